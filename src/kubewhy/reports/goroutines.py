"""Goroutine dump analysis as plain text (80 columns), JSON (the stable contract) or Markdown."""

from __future__ import annotations

import json
import textwrap
from typing import Literal

from kubewhy.facts.goroutines import Convoy, GoroutineReport, GroupSummary
from kubewhy.model.redact import redact
from kubewhy.reports.safe import prepared_text

Format = Literal["text", "json", "markdown"]
TOP_GROUPS = 10
TOP_FRAMES = 8
WIDTH = 80


def render(report: GoroutineReport, fmt: Format) -> str:
    """The report in ``fmt``; text and Markdown end with a newline.

    >>> from kubewhy.facts.goroutines import GoroutineReport
    >>> empty = GoroutineReport(total=0, groups=[], leaks=[], convoys=[], signatures=[])
    >>> render(empty, "json")
    '{"total": 0, "groups": [], "leaks": [], "convoys": [], "signatures": []}'
    >>> print(render(empty, "text"), end="")
    Goroutine dump: 0 goroutines in 0 stack groups
    Nothing notable: no leaks, no lock convoys, no known failure signatures.
    """
    if fmt == "json":
        return redact(json.dumps(report.model_dump()))
    if fmt == "markdown":
        return prepared_text(_markdown(report), escape=True)
    return prepared_text(_text(report), escape=True)


def _minutes(value: int | None) -> str:
    return "-" if value is None else f"{value} min"


def _holder_text(convoy: Convoy) -> str:
    holder = convoy.holder
    if holder is None:
        return "no likely holder found"
    return holder.describe() + holder.inside() + holder.waiting_for()


def _clip(line: str) -> str:
    return line if len(line) <= WIDTH else line[: WIDTH - 3] + "..."


def _short_frame(frame: str) -> str:
    """``pkg.f (/long/path/file.go:12)`` -> ``pkg.f (file.go:12)``."""
    open_at = frame.rfind(" (")
    if open_at < 0 or not frame.endswith(")"):
        return frame
    where = frame[open_at + 2 : -1]
    return f"{frame[:open_at]} ({where.rsplit('/', 1)[-1]})"


def _text(report: GoroutineReport) -> str:
    out = [f"Goroutine dump: {report.total} goroutines in {len(report.groups)} stack groups"]
    if not report.notable:
        out.append("Nothing notable: no leaks, no lock convoys, no known failure signatures.")
    if report.leaks:
        out += ["", "LEAKS: goroutines piling up at one site"]
        for leak in report.leaks:
            out.append(
                f"  {leak.count:>7}  {leak.state:<14} max wait {_minutes(leak.max_wait_minutes)}"
            )
            out.append(_clip(f"           at {leak.site}"))
    if report.convoys:
        out += ["", "LOCK CONVOYS: goroutines queued on a mutex"]
        for convoy in report.convoys:
            out.append(_clip(f"  {convoy.waiters:>7} waiting to lock in {convoy.lock_function}"))
            holder = convoy.holder
            if holder is None:
                out.append("           no likely holder found")
                continue
            out.append(_clip(f"           likely holder: {holder.describe()}"))
            if holder.inside():
                out.append(_clip(f"            {holder.inside()[1:]}"))
            if holder.waits_for is not None:
                out.append(_clip(f"             waiting for {holder.waits_for.describe()}"))
    if report.signatures:
        out += ["", "KNOWN FAILURE SIGNATURES"]
        out += [f"  {m.count:>7}  {m.failure_mode}" for m in report.signatures]
    if report.groups:
        out += ["", f"TOP STACK GROUPS (of {len(report.groups)})"]
        for group in report.groups[:TOP_GROUPS]:
            out += _text_group(group)
    if report.notes:
        out += ["", "NOTES"]
        for note in report.notes:
            out += textwrap.wrap(note, WIDTH, initial_indent="  - ", subsequent_indent="    ")
    return "\n".join(out) + "\n"


def _text_group(group: GroupSummary) -> list[str]:
    wait = f", max wait {group.max_wait_minutes} min" if group.max_wait_minutes is not None else ""
    lines = [_clip(f"  {group.count:>7}  [{group.state}{wait}] {group.function}")]
    if len(group.waits) > 1:  # a spread of waits: when the goroutines got stuck
        spread = ", ".join(f"{bucket} min: {n}" for bucket, n in group.waits.items())
        lines.append(_clip(f"             waited {spread}"))
    frames = group.frames[:TOP_FRAMES]
    lines += [_clip(f"             {_short_frame(frame)}") for frame in frames]
    if len(group.frames) > TOP_FRAMES:
        lines.append(f"             ... {len(group.frames) - TOP_FRAMES} more frames")
    return lines


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|")


def _markdown(report: GoroutineReport) -> str:
    out = [
        "# Goroutine dump",
        "",
        f"{report.total} goroutines in {len(report.groups)} stack groups.",
    ]
    if not report.notable:
        out += ["", "Nothing notable: no leaks, no lock convoys, no known failure signatures."]
    if report.leaks:
        out += [
            "",
            "## Leaks",
            "",
            "| Goroutines | State | Max wait | Site |",
            "|---:|---|---|---|",
        ]
        out += [
            f"| {leak.count} | {_cell(leak.state)} | {_minutes(leak.max_wait_minutes)} "
            f"| `{_cell(leak.site)}` |"
            for leak in report.leaks
        ]
    if report.convoys:
        out += ["", "## Lock convoys", "", "| Waiters | Lock taken in | Likely holder |"]
        out.append("|---:|---|---|")
        out += [
            f"| {c.waiters} | `{_cell(c.lock_function)}` | {_cell(_holder_text(c))} |"
            for c in report.convoys
        ]
    if report.signatures:
        out += [
            "",
            "## Known failure signatures",
            "",
            "| Failure mode | Goroutines |",
            "|---|---:|",
        ]
        out += [f"| {m.failure_mode} | {m.count} |" for m in report.signatures]
    if report.groups:
        out += ["", "## Top stack groups", "", "| Goroutines | State | Max wait | Waits in |"]
        out.append("|---:|---|---|---|")
        out += [
            f"| {g.count} | {_cell(g.state)} | {_minutes(g.max_wait_minutes)} "
            f"| `{_cell(g.function)}` |"
            for g in report.groups[:TOP_GROUPS]
        ]
        for group in report.groups[: min(3, TOP_GROUPS)]:
            out += ["", f"`{group.function}` ({group.count} goroutines):", "", "```"]
            out += group.frames
            out.append("```")
    if report.notes:
        out += ["", "## Notes", ""] + [f"- {note}" for note in report.notes]
    return "\n".join(out) + "\n"
