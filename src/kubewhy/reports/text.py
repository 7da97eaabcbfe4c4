"""The terminal report: the verdict in one line, what to do now, then the proof.

Rendered with rich on a console of a fixed width (the terminal's, or ``COLUMNS`` in a pipe); a
line of evidence keeps the part its pattern matched in view, and the culprit's own evidence is
never cut, only wrapped.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from kubewhy.model.diagnosis import Diagnosis, EntityRef, EvidenceRef, Finding
from kubewhy.model.redact import redact
from kubewhy.model.steps import COMMANDS, looks_like_command

__all__ = ["COMMANDS", "looks_like_command", "render_text", "verdict"]

MAX_EVIDENCE = 12
MAX_TIMELINE = 30
MAX_STEPS_NOW = 4

# What a log line says before its message: a syslog/journal prefix, then a klog header. The
# header's time and source are shown apart, so a narrow report drops them to show the message.
_PREFIXES = (
    re.compile(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ [^\s:\[]+(?:\[\d+\])?: ?"),
    re.compile(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)? \S+ [^\s:\[]+(?:\[\d+\])?: "
    ),
    re.compile(r"\s*[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w.-]+:\d+\] "),
)


def message_start(text: str) -> int:
    """Where the message of a log line starts, after its syslog prefix and klog header.

    >>> line = "Jul 23 22:09:47 node-xx kubelet[1893]: I0723 22:09:47.1    1893 pod.go:1] boom"
    >>> line[message_start(line):]
    'boom'
    """
    start = 0
    for prefix in _PREFIXES:
        found = prefix.match(text, start)
        if found:
            start = found.end()
    return start


def excerpt(text: str, span: list[int] | None, width: int) -> list[str]:
    """The lines to show of one evidence line in ``width`` columns: all of it when it fits;
    else its message, around the matched span with the context that fits; a span wider than
    the width is wrapped, never cut.

    >>> line = "Jul 23 22:09:47 node-xx kubelet[1893]: " + "x" * 30 + " KEY PART " + "y" * 40
    >>> key = line.index("KEY PART")
    >>> excerpt(line, [key, key + 8], 40)
    ['…xxxxxxxxxxxxxx KEY PART yyyyyyyyyyyyyy…']
    """
    if len(text) <= width:
        return [text]
    start = message_start(text)
    if span is None or span[0] < start:
        start = 0 if span is not None else start
    body = text[start:]
    if len(body) <= width:
        return [body]
    if span is None:
        return [body[: width - 1] + "…"]
    lo, hi = span[0] - start, span[1] - start
    if hi - lo > width - 2:
        return textwrap.wrap(body[lo:hi], width, break_on_hyphens=False) or [body[lo:hi]]
    room = width - 2 - (hi - lo)
    left = max(0, lo - room // 2)
    right = min(len(body), left + width - 2)
    left = max(0, right - (width - 2))
    shown = body[left:right]
    return [("…" if left > 0 else "") + shown + ("…" if right < len(body) else "")]


def wrapped(text: str, width: int) -> list[str]:
    """All of ``text``, wrapped to ``width``: what is never cut (the culprit's evidence)."""
    return textwrap.wrap(text, width, break_on_hyphens=False, replace_whitespace=False) or [""]


def entity_name(ref: EntityRef | None, short: bool = False) -> str:
    """``kind/namespace/name``; short: a container as ``namespace/container``.

    >>> entity_name(EntityRef(kind="container", name="web-5d9-x2/app", namespace="shop"), True)
    'shop/app'
    """
    if ref is None:
        return ""
    if short and ref.kind == "container":
        return f"{ref.namespace + '/' if ref.namespace else ''}{ref.name.rsplit('/', 1)[-1]}"
    if short and ref.kind == "pod":
        return f"{ref.namespace + '/' if ref.namespace else ''}{ref.name}"
    if short and ref.kind in ("component", "process"):
        # A component's name may carry where it was seen: "kernel (/build/.../fs.h)".
        return ref.name.split(" (", 1)[0]
    return f"{ref.kind}/{ref.namespace + '/' if ref.namespace else ''}{ref.name}"


def _culprit(f: Finding) -> str:
    if f.culprit is None:
        return ""
    c = f.culprit
    name = f"{c.kind}/{c.namespace + '/' if c.namespace else ''}{c.name}"
    if c.pid is not None:
        name += f" (pid {c.pid})"
    return name + (f": {c.why}" if c.why else "")


def _label(f: Finding) -> str:
    if f.tier == "lead":
        return "POSSIBLE CAUSE"
    return "PAST ROOT CAUSE" if f.state == "past" else "ROOT CAUSE"


_LITTLE_WORDS = re.compile(r"(?:\s+(?:of|the|a|an|to|in|on|for|at|by|with|and|its|is))+$")


def _figures(why: str) -> list[str]:
    """The culprit's why, then shorter and shorter parts of it that keep a figure: a share
    first, then the largest number (25873 zombies before PID 1).

    >>> _figures("PID 1 of its container, not an init: 25873 <defunct> children it never reaps")
    ... # doctest: +NORMALIZE_WHITESPACE
    ['PID 1 of its container, not an init: 25873 <defunct> children it never reaps',
     '25873 <defunct> children it never reaps', '25873 <defunct> children', '25873 <defunct>',
     'PID 1 of its container', 'PID 1', '']
    """
    if not why:
        return [""]
    clauses = [c for c in re.split(r", |; |: | = ", why) if re.search(r"\d", c)]

    def weight(clause: str) -> tuple[bool, int]:
        numbers = [int(n) for n in re.findall(r"\d+", clause)]
        return "%" in clause, max(numbers, default=0)

    out = [why]
    for clause in sorted(clauses, key=weight, reverse=True):
        out += [clause, *(" ".join(clause.split()[:n]) for n in (3, 2))]
    # A part cut inside brackets ("goroutine 67568 [semacquire") ends before the bracket, and
    # no part ends on a little word ("91% of the"); a part is a figure and what it counts.
    out = [re.sub(r"\s*[\[(][^\])]*$", "", part) for part in out]
    out = [_LITTLE_WORDS.sub("", part) for part in out]
    out = [part for part in out if re.search(r"\d", part) and " " in part]
    return list(dict.fromkeys([*out, ""]))


def verdict(f: Finding, width: int) -> str:
    """The answer in one line of at most ``width`` columns: the root cause, where (the culprit
    when known), its figures, and what it led to; details give way before the line is cut."""
    label = _label(f)
    chain = list(dict.fromkeys(link.failure_mode for link in f.chain[1:]))
    if f.culprit is not None:
        ref = EntityRef(kind=f.culprit.kind, name=f.culprit.name, namespace=f.culprit.namespace)
        pid = f" (pid {f.culprit.pid})" if f.culprit.pid is not None else ""
        places = [f"in {entity_name(ref, True)}{pid}", f"in {entity_name(ref)}{pid}"]
        why = re.sub(r"^named by \d+ line\(s\): ", "", f.culprit.why)
    else:
        places = [f"on {entity_name(f.entity, True)}", f"on {entity_name(f.entity)}"]
        why = ""
    # Details give way in this order: the tail of the chain, the chain, then the figures part
    # by part (the figures say why this is the cause); the place stays.
    chains = [(chain, ""), (chain[:1], " -> ..."), ([], " -> ..."), ([], "")]
    for why_part in _figures(why):
        for chain_part, marker in chains:
            more = marker if len(chain_part) < len(chain) else ""
            line = f"{label}: {f.failure_mode} {places[0]}"
            if why_part:
                # The pid's brackets take the figures too: (pid 14244, 25873 <defunct> children)
                joined = f"{line[:-1]}, {why_part})"
                line = joined if line.endswith(")") else f"{line} ({why_part})"
            line += "".join(f" -> {step}" for step in chain_part) + more
            if len(line) <= width:
                return line
    line = f"{label}: {f.failure_mode} {places[0]}"
    return line if len(line) <= width else line[: width - 1] + "…"


def _say(console: Console, text: str, indent: int, style: str = "") -> None:
    """Print wrapped with a hanging indent, so long statements stay readable at 80 columns."""
    console.print(Padding(Text(text, style=style), (0, 0, 0, indent)))


def _step(console: Console, step: str, indent: int) -> None:
    _say(console, f"$ {step}" if looks_like_command(step) else f"- {step}", indent)


def _where(ev: EvidenceRef) -> str:
    return ev.source + (f":{ev.line}" if ev.line else "")


def _evidence_head(console: Console, ev: EvidenceRef, indent: int, tag: str = "") -> None:
    # Seconds are enough to read a timeline; the JSON report keeps the full stamp.
    when = f"{ev.time[:19]}Z " if ev.time else ""
    times = f"(x{ev.count}) " if ev.count > 1 else ""
    _say(console, f"[{ev.id}] {tag}{when}{times}{_where(ev)}", indent, "cyan")


def _lines(console: Console, lines: Iterable[str], indent: int) -> None:
    for line in lines:
        console.print(Text(" " * indent + line), overflow="ignore", no_wrap=True, crop=False)


def _finding(console: Console, f: Finding, detailed: bool, width: int) -> None:
    head = Text()
    head.append(f"#{f.rank} ", style="bold")
    head.append(f.title, style="bold red" if f.explained_by is None else "bold yellow")
    status = [f.failure_mode, f"{f.tier} {f.confidence:.2f}"]
    if f.state == "past":
        status.append(f"past, {f.age}" if f.age else "past")
    head.append(f"  [{', '.join(status)}]", style="dim")
    console.print(head)
    console.print(f"   on {escape(entity_name(f.entity))}")
    by_id = {ev.id: ev for ev in f.evidence}
    named_by = [by_id[i] for i in (f.culprit.evidence if f.culprit else []) if i in by_id]
    if f.culprit:
        _say(console, f"culprit: {_culprit(f)}", 3, "bold")
        if detailed:
            for ev in named_by:
                _evidence_head(console, ev, 4)
                _lines(console, wrapped(ev.text, width - 8), 8)
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
    shown = [ev for ev in f.evidence if ev not in named_by]
    if shown:
        console.print("   evidence:", style="bold")
    for ev in shown[:MAX_EVIDENCE]:
        _evidence_head(console, ev, 4)
        _lines(console, excerpt(ev.text, ev.span, width - 8), 8)
    if len(shown) > MAX_EVIDENCE:
        console.print(f"    ... {len(shown) - MAX_EVIDENCE} more in --format json", style="dim")
    console.print("   fix:", style="bold")
    for step in f.remediation:
        _step(console, step, 4)
    if f.prevention:
        console.print("   prevent:", style="bold")
        for item in f.prevention:
            _say(console, f"- {item}", 4)
    if f.references:
        console.print("   references:", style="bold")
        for ref in f.references[:6]:
            _say(console, ref, 4)


def _grouped(findings: list[Finding]) -> list[list[Finding]]:
    """Findings of one failure mode with one explanation, together: five pods whose probes
    fail for one reason are one line, not five."""
    groups: dict[tuple[str, str | None], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.failure_mode, f.explained_by), []).append(f)
    return list(groups.values())


def _group(console: Console, group: list[Finding]) -> None:
    first = group[0]
    ranks = ", ".join(f"#{f.rank}" for f in group)
    _say(console, f"{ranks} {first.title}  [{first.failure_mode}, {first.tier}]", 0, "bold")
    names = ", ".join(entity_name(f.entity) for f in group[:6])
    more = f" and {len(group) - 6} more" if len(group) > 6 else ""
    _say(console, f"on {names}{more}", 3)
    if first.explained_by:
        console.print(f"   explained by: {first.explained_by}", style="dim")


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


def _timeline(console: Console, diagnosis: Diagnosis, width: int) -> None:
    """The timed lines that are evidence of a reported finding, each labelled with the first
    of them in rank order; a line repeated back to back is one entry with its count."""
    rank: dict[str, int] = {}
    for f in diagnosis.findings:
        rank.setdefault(f.failure_mode, f.rank)
    rows: list[tuple[str, str, str, int]] = []
    for entry in diagnosis.timeline:
        labels = sorted((fm for fm in entry.findings if fm in rank), key=rank.__getitem__)
        if entry.findings and not labels:
            continue
        label = labels[0] + (f" +{len(labels) - 1}" if len(labels) > 1 else "") if labels else ""
        message = entry.text[message_start(entry.text) :].strip()
        if rows and rows[-1][1:3] == (label, message):
            rows[-1] = (*rows[-1][:3], rows[-1][3] + 1)
        else:
            rows.append((entry.time, label, message, 1))
    if not rows:
        return
    days = {when[:10] for when, *_ in rows}
    one_day = len(days) == 1
    zone = f"UTC, {rows[0][0][:10]}" if one_day else "UTC"
    console.print(f"Timeline ({zone}), each line with the finding it supports:", style="bold")
    for when, label, message, count in rows[:MAX_TIMELINE]:
        stamp = when[11:19] if one_day else when[:19].replace("T", " ")
        times = f" (x{count})" if count > 1 else ""
        line = f"  {stamp}  {label}{times}: {message}" if label else f"  {stamp}  {message}"
        if len(line) > width:
            line = line[: width - 1] + "…"
        console.print(Text(line), no_wrap=True, crop=False)
    if len(rows) > MAX_TIMELINE:
        console.print(f"  ... {len(rows) - MAX_TIMELINE} more in --format json", style="dim")
    console.print()


def render_text(diagnosis: Diagnosis, width: int = 100, color: bool = False) -> str:
    width = max(width, 40)
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
    read = f"kubewhy {diagnosis.kubewhy_version}: {len(diagnosis.inputs)} input(s)"
    if not diagnosis.findings:
        console.print(Text(f"NO FINDING: {_why_silent(diagnosis)}", style="bold"))
        _say(console, read + ".", 0)
        _honest_silence(console, diagnosis)
    else:
        top = roots[0] if roots else diagnosis.findings[0]
        line = verdict(top, width)
        console.print(Text(line, style="bold red"), no_wrap=True, crop=False)
        chain = list(dict.fromkeys(link.failure_mode for link in top.chain[1:]))
        if chain and f"-> {chain[-1]}" not in line:
            _say(console, "which led to: " + " -> ".join(chain), 2, "bold")
        others = f"; {len(roots) - 1} more root cause(s) below" if len(roots) > 1 else ""
        _say(
            console,
            f"{read}, {len(roots)} root cause(s), {len(victims)} consequence(s){others}",
            0,
            "dim",
        )
        console.print()
        console.print("Do now:", style="bold")
        for step in top.remediation[:MAX_STEPS_NOW]:
            _step(console, step, 2)
        if len(top.remediation) > MAX_STEPS_NOW:
            console.print("  (more under fix: below)", style="dim")
    console.print()
    for i, f in enumerate(roots):
        if i < 3:
            _finding(console, f, detailed=True, width=width)
            console.print()
    if len(roots) > 3:
        console.print("Other root causes:", style="bold")
        for group in _grouped(roots[3:]):
            _group(console, group)
        console.print()
    if victims:
        console.print("Consequences (explained by the findings above):", style="bold")
        for group in _grouped(victims):
            _group(console, group)
        console.print()
    _timeline(console, diagnosis, width)
    if diagnosis.missing_evidence:
        console.print("Evidence that would confirm or rule out these findings:", style="bold")
        for item in diagnosis.missing_evidence:
            _say(console, f"- {item}", 2)
        console.print()
    if diagnosis.unread and diagnosis.findings:
        names = ", ".join(u.path for u in diagnosis.unread[:5])
        more = f" and {len(diagnosis.unread) - 5} more" if len(diagnosis.unread) > 5 else ""
        _say(console, f"Not understood (read as plain text, nothing matched): {names}{more}.", 0)
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
