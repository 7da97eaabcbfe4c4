"""The terminal report: the answer first, then the proof, then the next command.

Rendered with rich on a fixed-width console; in a pipe it is plain text that still reads well at
80 columns.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from kubewhy.model.diagnosis import Diagnosis, EvidenceRef, Finding
from kubewhy.model.redact import redact

COMMANDS = frozenset(
    "kubectl kubeadm kubewhy crictl docker ctr systemctl journalctl sysctl cat grep find ps top "
    "kill ls awk sar vmstat free dmesg mount umount df du conntrack ip iptables ipvsadm echo for "
    "etcdctl curl openssl chronyc timedatectl sed tail head time fio ionice nsenter pidof "
    "kdump-config ulimit".split()
)


def looks_like_command(step: str) -> bool:
    """A remediation step to type (shown after ``$``) rather than advice in prose.

    >>> looks_like_command("sysctl -w kernel.pid_max=4194304")
    True
    >>> looks_like_command("restart kubelet once the daemon answers")
    False
    >>> looks_like_command("ETCDCTL_API=3 etcdctl endpoint health")
    True
    """
    words = [w for w in step.split() if "=" not in w or w.startswith("-")]
    return bool(words) and words[0] in COMMANDS


def _say(console: Console, text: str, indent: int, style: str = "") -> None:
    """Print wrapped with a hanging indent, so long statements stay readable at 80 columns."""
    console.print(Padding(Text(text, style=style), (0, 0, 0, indent)))


def _where(ev: EvidenceRef) -> str:
    loc = ev.source + (f":{ev.line}" if ev.line else "")
    return loc


def _culprit(f: Finding) -> str:
    if f.culprit is None:
        return ""
    c = f.culprit
    name = f"{c.kind}/{c.namespace + '/' if c.namespace else ''}{c.name}"
    if c.pid is not None:
        name += f" (pid {c.pid})"
    return name + (f": {c.why}" if c.why else "")


def _finding(console: Console, f: Finding, detailed: bool) -> None:
    head = Text()
    head.append(f"#{f.rank} ", style="bold")
    head.append(f.title, style="bold red" if f.explained_by is None else "bold yellow")
    status = [f.failure_mode, f"{f.tier} {f.confidence:.2f}"]
    if f.state == "past":
        status.append(f"past, {f.age}" if f.age else "past")
    head.append(f"  [{', '.join(status)}]", style="dim")
    console.print(head)
    entity = (
        f"{f.entity.kind}/{f.entity.namespace + '/' if f.entity.namespace else ''}{f.entity.name}"
    )
    console.print(f"   on {escape(entity)}")
    if f.culprit:
        _say(console, f"culprit: {_culprit(f)}", 3, "bold")
    if f.explained_by:
        console.print(f"   explained by: {f.explained_by}", style="dim")
    if f.why_ranked and detailed:
        _say(console, f"why this rank: {f.why_ranked}", 3, "dim")
    for note in f.version_notes:
        _say(console, f"version: {note}", 3)
    if not detailed:
        return
    console.print("   chain:", style="bold")
    for i, link in enumerate(f.chain, 1):
        refs = "".join(f"[{e}]" for e in link.evidence)
        _say(console, f"{i}. {link.failure_mode}: {link.statement} {refs}".rstrip(), 4)
    console.print("   evidence:", style="bold")
    for ev in f.evidence[:12]:
        # Seconds are enough to read a timeline; the JSON report keeps the full stamp.
        when = f"{ev.time[:19]}Z " if ev.time else ""
        times = f"(x{ev.count}) " if ev.count > 1 else ""
        console.print(Text(f"    [{ev.id}] {when}{times}{_where(ev)}", style="cyan"))
        console.print(Text(f"        {ev.text}"), overflow="ellipsis", no_wrap=True)
    if len(f.evidence) > 12:
        console.print(f"    ... {len(f.evidence) - 12} more in --format json", style="dim")
    console.print("   fix:", style="bold")
    for step in f.remediation:
        _say(console, f"$ {step}" if looks_like_command(step) else f"- {step}", 4)
    if f.prevention:
        console.print("   prevent:", style="bold")
        for item in f.prevention:
            _say(console, f"- {item}", 4)
    if f.references:
        console.print("   references:", style="bold")
        for ref in f.references[:6]:
            _say(console, ref, 4)


def _why_silent(diagnosis: Diagnosis) -> str:
    if diagnosis.inputs and len(diagnosis.unread) == len(diagnosis.inputs):
        return "nothing in the evidence was understood."
    if diagnosis.near_misses:
        return "some signs were seen, too weak to name a cause (below)."
    return "nothing in the evidence matches a known failure mode."


def _honest_silence(console: Console, diagnosis: Diagnosis) -> None:
    """What "no finding" rests on: what was read and how, what was not understood, and the
    hypotheses that came closest, with what would settle them."""
    formats: dict[str, int] = {}
    for ref in diagnosis.inputs:
        formats[ref.format] = formats.get(ref.format, 0) + 1
    if formats:
        read = ", ".join(f"{n} {name}" for name, n in sorted(formats.items(), key=lambda x: -x[1]))
        _say(console, f"Read as: {read}.", 0)
    for u in diagnosis.unread:
        _say(console, f"Not understood: {u.path} ({u.reason}).", 0)
    if diagnosis.near_misses:
        console.print("Closest, too weak to report:", style="bold")
        for near in diagnosis.near_misses:
            seen = "; ".join(near.seen[:2]) or "weak signs"
            _say(console, f"- {near.failure_mode} ({near.confidence:.2f}): seen {seen}", 2)
            for ask in near.confirm[:1]:
                _say(console, f"$ {ask}" if looks_like_command(ask) else f"to settle: {ask}", 4)


def render_text(diagnosis: Diagnosis, width: int = 100, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        soft_wrap=False,
    )
    roots = [f for f in diagnosis.findings if f.explained_by is None]
    victims = [f for f in diagnosis.findings if f.explained_by is not None]
    summary = f"kubewhy {diagnosis.kubewhy_version}: {len(diagnosis.inputs)} input(s), "
    if not diagnosis.findings:
        console.print(summary + "no finding: " + _why_silent(diagnosis))
        _honest_silence(console, diagnosis)
    else:
        console.print(summary + f"{len(roots)} root cause(s), {len(victims)} consequence(s)")
    console.print()
    for i, f in enumerate(roots):
        _finding(console, f, detailed=i < 3)
        console.print()
    if victims:
        console.print("Consequences (explained by the findings above):", style="bold")
        for f in victims:
            _finding(console, f, detailed=False)
        console.print()
    if diagnosis.timeline:
        console.print("Timeline (UTC):", style="bold")
        for entry in diagnosis.timeline[:30]:
            console.print(Text(f"  {entry.time}  {entry.text}"), overflow="ellipsis", no_wrap=True)
        console.print()
    if diagnosis.missing_evidence:
        console.print("Evidence that would confirm or rule out these findings:", style="bold")
        for item in diagnosis.missing_evidence:
            _say(console, f"- {item}", 2)
        console.print()
    if diagnosis.unread and diagnosis.findings:
        names = ", ".join(u.path for u in diagnosis.unread[:5])
        more = f" and {len(diagnosis.unread) - 5} more" if len(diagnosis.unread) > 5 else ""
        console.print(f"Not understood (read as plain text, nothing matched): {names}{more}.")
    if diagnosis.lines_outside_window:
        console.print(
            f"{diagnosis.lines_outside_window} matching line(s) outside --since/--until left out.",
            style="dim",
        )
    if diagnosis.parse_errors:
        skipped = sum(diagnosis.parse_errors.values())
        console.print(
            f"{skipped} malformed line(s) skipped in {len(diagnosis.parse_errors)} input(s).",
            style="dim",
        )
    for f in diagnosis.suppressed:
        by = f.suppressed
        until = f" until {by.expires[:10]}: {by.reason}" if by else ""
        _say(console, f"suppressed: {f.failure_mode} on {f.entity.kind}/{f.entity.name}{until}", 0)
    text = "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())
    return redact(text) + "\n"
