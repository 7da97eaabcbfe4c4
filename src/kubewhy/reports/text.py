"""The terminal report: the verdict in one line, what to do now, then the proof.

Rendered with rich on a console of a fixed width (the terminal's, or ``COLUMNS`` in a pipe); a
line of evidence keeps the part its pattern matched in view, and the culprit's own evidence is
never cut, only wrapped.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from kubewhy.model.diagnosis import Diagnosis, EvidenceRef, Finding
from kubewhy.model.redact import redact
from kubewhy.model.steps import COMMANDS, looks_like_command
from kubewhy.reports.view import (
    consequences,
    entity_name,
    excerpt,
    grouped,
    message_start,
    timeline_rows,
    triggers,
    verdict,
    why_silent,
    wrapped,
)

__all__ = ["COMMANDS", "looks_like_command", "message_start", "render_text", "verdict"]

MAX_EVIDENCE = 12
MAX_TIMELINE = 30
MAX_STEPS_NOW = 4


def _culprit(f: Finding) -> str:
    if f.culprit is None:
        return ""
    c = f.culprit
    name = f"{c.kind}/{c.namespace + '/' if c.namespace else ''}{c.name}"
    if c.pid is not None:
        name += f" (pid {c.pid})"
    return name + (f": {c.why}" if c.why else "")


def _say(console: Console, text: str, indent: int, style: str = "") -> None:
    """Print wrapped with a hanging indent, so long statements stay readable at 80 columns."""
    console.print(Padding(Text(text, style=style), (0, 0, 0, indent)))


def _step(console: Console, step: str, indent: int) -> None:
    _say(console, f"$ {step}" if looks_like_command(step) else f"- {step}", indent)


def _where(ev: EvidenceRef, folder: str = "") -> str:
    source = ev.source[len(folder) :] if folder and ev.source.startswith(folder) else ev.source
    return source + (f":{ev.line}" if ev.line else "")


def evidence_folder(diagnosis: Diagnosis) -> str:
    """The folder every cited input is in (``examples/x/``), said once rather than on every
    line, so a line's reference fits the width.

    >>> from kubewhy.model.diagnosis import InputRef
    >>> d = Diagnosis(kubewhy_version="0", inputs=[InputRef(path="ex/a/k.log", format="t"),
    ...     InputRef(path="ex/a/b/p.txt", format="t")])
    >>> evidence_folder(d)
    'ex/a/'
    """
    paths = [i.path for i in diagnosis.inputs]
    if len(paths) < 2:
        return ""
    folders = [path.split("/")[:-1] for path in paths]
    common: list[str] = []
    for parts in zip(*folders, strict=False):
        if len(set(parts)) > 1:
            break
        common.append(parts[0])
    return "".join(f"{part}/" for part in common)


def _evidence_head(
    console: Console, ev: EvidenceRef, indent: int, tag: str = "", folder: str = ""
) -> None:
    # Seconds are enough to read a timeline; the JSON report keeps the full stamp.
    when = f"{ev.time[:19]}Z " if ev.time else ""
    times = f"(x{ev.count}) " if ev.count > 1 else ""
    _say(console, f"[{ev.id}] {tag}{when}{times}{_where(ev, folder)}", indent, "cyan")


def _lines(console: Console, lines: Iterable[str], indent: int) -> None:
    for line in lines:
        console.print(Text(" " * indent + line), overflow="ignore", no_wrap=True, crop=False)


def _finding(console: Console, f: Finding, detailed: bool, width: int, folder: str = "") -> None:
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
                _evidence_head(console, ev, 4, folder=folder)
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
        _evidence_head(console, ev, 4, folder=folder)
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


def _group(console: Console, group: list[Finding]) -> None:
    first = group[0]
    ranks = ", ".join(f"#{f.rank}" for f in group)
    _say(console, f"{ranks} {first.title}  [{first.failure_mode}, {first.tier}]", 0, "bold")
    names = ", ".join(entity_name(f.entity) for f in group[:6])
    more = f" and {len(group) - 6} more" if len(group) > 6 else ""
    _say(console, f"on {names}{more}", 3)
    if first.explained_by:
        console.print(f"   explained by: {first.explained_by}", style="dim")


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
    rows = timeline_rows(diagnosis)
    if not rows:
        return
    one_day = len({row.time[:10] for row in rows}) == 1
    zone = f"UTC, {rows[0].time[:10]}" if one_day else "UTC"
    console.print(f"Timeline ({zone}), each line with the finding it supports:", style="bold")
    for row in rows[:MAX_TIMELINE]:
        stamp = row.time[11:19] if one_day else row.time[:19].replace("T", " ")
        label = row.finding + (f" +{row.also}" if row.also else "")
        times = f" (x{row.count})" if row.count > 1 else ""
        line = f"  {stamp}  {label}{times}: {row.message}" if label else f"  {stamp}  {row.message}"
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
    folder = evidence_folder(diagnosis)
    read = f"kubewhy {diagnosis.kubewhy_version}: {len(diagnosis.inputs)} input(s)"
    read += f" in {folder}" if folder else ""
    if not diagnosis.findings:
        console.print(
            Text(f"NO FINDING: {why_silent(diagnosis, near_misses_below=True)}", style="bold")
        )
        _say(console, read + ".", 0)
        _honest_silence(console, diagnosis)
    else:
        top = roots[0] if roots else diagnosis.findings[0]
        line = verdict(top, width)
        console.print(Text(line, style="bold red"), no_wrap=True, crop=False)
        chain = consequences(top)
        if chain and f"-> {chain[-1]}" not in line:
            _say(console, "which led to: " + " -> ".join(chain), 2, "bold")
        if triggers(top):
            _say(console, "set off by: " + ", ".join(triggers(top)), 2, "bold")
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
    # The same root cause in several places is told once, with where else it is.
    root_groups = grouped(roots)
    for group in root_groups[:3]:
        _finding(console, group[0], detailed=True, width=width, folder=folder)
        if len(group) > 1:
            also = ", ".join(f"{entity_name(f.entity)} (#{f.rank})" for f in group[1:7])
            more = f" and {len(group) - 7} more" if len(group) > 7 else ""
            _say(console, f"also on: {also}{more}", 3, "bold")
        console.print()
    if len(root_groups) > 3:
        console.print("Other root causes:", style="bold")
        for group in root_groups[3:]:
            _group(console, group)
        console.print()
    if victims:
        console.print("Consequences (explained by the findings above):", style="bold")
        for group in grouped(victims):
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
