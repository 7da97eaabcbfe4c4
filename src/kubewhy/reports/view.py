"""What every report says, computed once from the report model: the verdict, the chain split
into trigger, root and consequences, identical findings grouped, the timeline's lines with the
finding each supports, and how much of an evidence line to show. Renderers only lay it out, so
text, Markdown and HTML say the same thing."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from kubewhy.model.diagnosis import Diagnosis, EntityRef, Finding

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
    >>> metric = 'up{job="node",instance="10.0.0.1:9100",pod="web-5d9f8-x2",node="n1"} = 0'
    >>> excerpt(metric, None, 30)
    ['up{job="node",instance="10.0.…', '…"web-5d9f8-x2",node="n1"} = 0']
    >>> key = line.index("KEY PART")
    >>> excerpt(line, [key, key + 8], 40)
    ['…xxxxxxxxxxxxxx KEY PART yyyyyyyyyyyyyy…']
    """
    if len(text) <= width:
        return [text]
    if span is not None and not 0 <= span[0] < span[1] <= len(text):
        span = None  # the line changed after it was matched (a secret redacted): no span
    start = message_start(text)
    if span is None or span[0] < start:
        start = 0 if span is not None else start
    body = text[start:]
    if len(body) <= width:
        return [body]
    if span is None:
        # Nothing says which part matters: two lines, all of it when it fits, else its start
        # and its end (a value, ``= 44967``, or an error's reason usually closes a line).
        lines = wrapped(body, width)
        if len(lines) <= 2:
            return lines
        return [body[: width - 1] + "…", "…" + body[-(width - 1) :]]
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


def why_silent(d: Diagnosis, near_misses_below: bool = False) -> str:
    """Why a diagnosis names no cause: nothing understood, signs too weak, or nothing known."""
    if d.inputs and len(d.unread) == len(d.inputs):
        return "nothing in the evidence was understood."
    if d.near_misses:
        below = " (below)" if near_misses_below else ""
        return f"some signs were seen, too weak to name a cause{below}."
    return "nothing in the evidence matches a known failure mode."


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
    ['PID 1 of its container, not an init: 25,873 <defunct> children it never reaps',
     '25,873 <defunct> children it never reaps', '25,873 <defunct> children', '25,873 <defunct>',
     'PID 1 of its container', 'PID 1', '']
    >>> _figures("goroutine 67568 [semacquire, 1595 minutes] in pkg.Do, it waits for goroutine 6")
    ['goroutine 67568 [semacquire, 1595 minutes] in pkg.Do, it waits for goroutine 6', \
'1595 minutes', 'goroutine 67568', 'it waits for goroutine 6', '']
    """
    if not why:
        return [""]
    clauses = [c for c in re.split(r", |; |: | = ", why) if re.search(r"\d", c)]

    def weight(clause: str) -> tuple[bool, int]:
        # A goroutine's or a process' number names it, it measures nothing.
        measures = re.sub(r"(?i)\b(?:goroutine|pid|id)\s+\d+", "", clause)
        numbers = [int(n) for n in re.findall(r"\d+", measures)]
        return "%" in clause, max(numbers, default=0)

    out = [why]
    for clause in sorted(clauses, key=weight, reverse=True):
        out += [clause, *(" ".join(clause.split()[:n]) for n in (3, 2))]
    # A part cut inside brackets ("goroutine 67568 [semacquire") ends before the bracket, and
    # no part ends on a little word ("91% of the"); a part is a figure and what it counts.
    out = [re.sub(r"\s*[\[(][^\])]*$", "", part) for part in out]
    out = [re.sub(r"^([^\[(]*?)\s*[\])].*$", r"\1", part) for part in out]
    out = [_LITTLE_WORDS.sub("", part) for part in out]
    out = [part for part in out if re.search(r"\d", part) and " " in part]
    return list(dict.fromkeys([*(_grouped_digits(part) for part in out), ""]))


def _grouped_digits(text: str) -> str:
    """Counts of five digits or more grouped by thousands; names (pid 14244, port 10256) left
    alone.

    >>> _grouped_digits("44967 threads = 91% of the node's PID limit 49152, pid 14244")
    "44,967 threads = 91% of the node's PID limit 49,152, pid 14244"
    >>> _grouped_digits("listens on port 10256")
    'listens on port 10256'
    """
    return re.sub(
        r"(?<![\w.:/-])(?<!pid )(?<!PID )(?<!goroutine )(?<!port )(\d{5,})(?![\w.:/-])",
        lambda m: f"{int(m.group(1)):,}",
        text,
    )


def verdict(f: Finding, width: int) -> str:
    """The answer in one line of at most ``width`` columns: the root cause, where (the culprit
    when known), its figures, and what it led to; details give way before the line is cut."""
    label = _label(f)
    chain = consequences(f)
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


def grouped(findings: list[Finding]) -> list[list[Finding]]:
    """Findings of one failure mode with one explanation, as sure and as current as each
    other, together: five pods whose probes fail for one reason are one line, not five."""
    groups: dict[tuple[str, str | None, str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.failure_mode, f.explained_by, f.tier, f.state), []).append(f)
    return list(groups.values())


def triggers(f: Finding) -> list[str]:
    """The failure modes that set this root cause off (its chain's links before its own)."""
    own = next((i for i, link in enumerate(f.chain) if link.failure_mode == f.failure_mode), 0)
    return list(dict.fromkeys(link.failure_mode for link in f.chain[:own]))


def consequences(f: Finding) -> list[str]:
    """The failure modes this root cause led to, in causal order (its chain after its link)."""
    own = next((i for i, link in enumerate(f.chain) if link.failure_mode == f.failure_mode), 0)
    return list(dict.fromkeys(link.failure_mode for link in f.chain[own + 1 :]))


@dataclass(frozen=True)
class TimelineRow:
    time: str  # ISO 8601, UTC
    finding: str  # the first reported finding (in rank order) the line supports
    also: int  # how many more reported findings it supports
    message: str  # the line after its syslog prefix and klog header
    source: str
    count: int = 1  # lines in a row that say the same


def timeline_rows(diagnosis: Diagnosis) -> list[TimelineRow]:
    """The timed lines that are evidence of a reported finding, each with the first of them in
    rank order; a line repeated back to back is one row with its count."""
    rank: dict[str, int] = {}
    for f in diagnosis.findings:
        rank.setdefault(f.failure_mode, f.rank)
    rows: list[TimelineRow] = []
    for entry in diagnosis.timeline:
        labels = sorted((fm for fm in entry.findings if fm in rank), key=rank.__getitem__)
        if entry.findings and not labels:
            continue
        message = entry.text[message_start(entry.text) :].strip()
        row = TimelineRow(
            entry.time, labels[0] if labels else "", max(len(labels) - 1, 0), message, entry.source
        )
        last = rows[-1] if rows else None
        if last and (last.finding, last.also, last.message) == (row.finding, row.also, message):
            rows[-1] = TimelineRow(
                last.time, last.finding, last.also, message, last.source, last.count + 1
            )
        else:
            rows.append(row)
    return rows
