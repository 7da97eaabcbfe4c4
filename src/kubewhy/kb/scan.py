"""The knowledge base's scan: every log read once with every pattern, documents' records and
goroutine dumps matched too, each match recorded as a symptom hit on the entity it is about.

Logs are never parsed line by line in full: the scanning engine finds the lines that match a
pattern, and only those lines go through their format's ``parse_line`` for time, host and
component. Floods keep a count, first and last time and a few samples (:class:`SymptomHit`).
Big evidence (two or more logs of 32 MiB) is scanned on forked worker processes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from kubewhy.facts.build import FactBase
from kubewhy.facts.goroutines import DumpAnalysis, match_signatures
from kubewhy.facts.nodes import NodeNames
from kubewhy.kb.load import KnowledgeBase, compile_patterns
from kubewhy.kb.schema import LogSymptom
from kubewhy.model.bundle import Gap
from kubewhy.model.components import UNKNOWN_GO_PROGRAM, of_port, roles_of
from kubewhy.model.entities import Entity, Kind
from kubewhy.model.evidence import Evidence
from kubewhy.model.hits import SymptomHit
from kubewhy.model.times import ListingTime, Stamp, TimeContext, TimeWindow
from kubewhy.parsers.base import Context, LogFormat, LogLine, Record
from kubewhy.parsers.journald import JOURNALD
from kubewhy.parsers.kernel_reports import KernelReportFeed, KernelReports
from kubewhy.parsers.object_refs import pod_ref
from kubewhy.parsers.read import LogInput, Parsed, ParsedDocument
from kubewhy.parsers.sessions import is_typed_command, prompt_of
from kubewhy.scanning import LineMatch, Scanner
from kubewhy.scanning.boxed import boxed_records
from kubewhy.scanning.folded import folded_scalars
from kubewhy.scanning.pool import Progress, map_forked
from kubewhy.scanning.pretty_json import pretty_records
from kubewhy.scanning.scanner import DEFAULT_CHUNK
from kubewhy.scanning.wraps import joined_matches, wrapped_pairs
from kubewhy.sources.streams import counted, notes_of

_IDENT = re.compile(r"^[\w.-]+$")
# Named groups that name the entity a line is about (they override what the input's context says).
_NAMING_GROUPS = frozenset({"node", "pod", "container", "pid", "cgroup"})
# Workers pay off only when at least two logs are this big: one big file is scanned by one
# process either way, and small ones cost less than starting a worker.
PARALLEL_MIN_BYTES = 32 << 20
# Threads searching one big log at most: past this, the thread that reads and checks the
# candidate lines is the bound (and each thread holds a block of its own, 4 MiB).
MAX_SCAN_THREADS = 4

HitKey = tuple[str, str, Entity, str | None]


@dataclass
class Scan:
    """What the scan found: the hits, in the order first met; what could not be read; lines of a
    log's format that did not parse, per input."""

    hits: list[SymptomHit] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    parse_errors: dict[str, int] = field(default_factory=dict)
    # Matching lines left out because their time is outside --since/--until.
    outside_window: int = 0
    # The kernel's reports in each log, in the order of the logs.
    kernel: list[KernelReports] = field(default_factory=list)


# A log is scanned in blocks this big (the scanner's default; tests make it small to put
# reports across block boundaries).
LOG_CHUNK = DEFAULT_CHUNK


class PatternTable:
    """The knowledge base's log patterns and the scanner they were compiled into."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.entries: list[tuple[str, LogSymptom]] = kb.log_patterns()
        if kb.scanner is None:
            kb.scanner = compile_patterns(kb)
        self.scanner: Scanner = kb.scanner
        # Indices from here on are the kernel reports' markers, not symptoms.
        self.first_marker = len(self.entries)
        self.has_groups = ["(?P<" in s.pattern for _, s in self.entries]


class _Hits:
    """Hits keyed by failure mode, symptom, entity and split value, folded as they come."""

    def __init__(
        self, table: PatternTable, nodes: NodeNames, window: TimeWindow | None = None
    ) -> None:
        self.table = table
        self.nodes = nodes
        self.window = window
        self.outside_window = 0
        self.by_key: dict[HitKey, SymptomHit] = {}

    def record(
        self,
        index: int,
        text: str,
        evidence: Evidence,
        ctx: Context,
        line: LogLine | None,
        entity: Entity | None = None,
        count: int = 1,
        since: datetime | ListingTime | None = None,
        written_by: str | None = None,
    ) -> None:
        if index >= self.table.first_marker:
            return  # a kernel report's marker, read by the kernel report reader
        if line is None and is_typed_command(text):
            # A command typed at a prompt says what the person looked for or wrote into a log
            # (echo "task blocked ..." | systemd-cat), not what the system said.
            return
        if self.window is not None and not self.window.holds(evidence.time):
            self.outside_window += 1
            return
        fm_id, symptom = self.table.entries[index]
        component = (line.component if line else None) or ctx.component
        # A symptom scoped to components counts only where the component is known: the same
        # words from another client (client-go's throttling in any program) are not its.
        if symptom.components and not any(
            role in symptom.components for role in roles_of(component or "")
        ):
            return
        groups = self.table.scanner.groups(index, text) if self.table.has_groups[index] else {}
        if symptom.measure is not None and not symptom.measure.counts(groups):
            return  # the number the line carries is in the normal range
        if entity is None or _NAMING_GROUPS.intersection(groups):
            entity = _entity_for(groups, ctx, line, self.nodes)
        part = groups.get(symptom.split_by) if symptom.split_by else None
        key = (fm_id, symptom.id, entity, part)
        hit = self.by_key.get(key)
        if hit is None:
            hit = self.by_key[key] = SymptomHit(fm_id, symptom.id, entity, part=part)
        writer = component or ctx.program or written_by
        if symptom.blames and "{named_pod}" in symptom.blames:
            groups = {**groups, "named_pod": _object_named(groups, entity, text) or ""}
        if symptom.blames and "{port_owner}" in symptom.blames:
            groups = {**groups, "port_owner": of_port(groups.get("port") or "") or ""}
        blamed = symptom.blamed(groups, writer)
        hit.add(evidence, groups, blamed, count=count, since=since)
        if writer:
            hit.writers.add(writer)

    def fold(self, other: dict[HitKey, SymptomHit], outside_window: int = 0) -> None:
        self.outside_window += outside_window
        for key, hit in other.items():
            if key in self.by_key:
                self.by_key[key].merge(hit)
            else:
                self.by_key[key] = hit


def scan_evidence(
    parsed: Parsed,
    facts: FactBase,
    kb: KnowledgeBase,
    jobs: int = 1,
    progress: Progress | None = None,
    window: TimeWindow | None = None,
) -> Scan:
    """Documents' records first, then every log, then goroutine dumps. Lines whose time is
    outside ``window`` are left out (and counted)."""
    table = PatternTable(kb)
    hits = _Hits(table, facts.nodes, window)
    out = Scan()
    for doc in parsed.documents:
        _match_records(doc, facts.time, hits)
        _scan_raw_lines(doc, facts.time, hits)
    logs = list(zip(parsed.logs, facts.log_times, strict=True))
    scans = _scan_logs(logs, table, facts.nodes, jobs, progress, window)
    for log, scan in zip(parsed.logs, scans, strict=True):
        hits.fold(_inside_reports(scan.hits, scan.kernel), scan.outside_window)
        out.kernel.append(scan.kernel)
        out.gaps.extend(scan.gaps)
        if scan.malformed:
            out.parse_errors[log.file.display] = scan.malformed
    out.hits = list(hits.by_key.values())
    out.outside_window = hits.outside_window
    out.hits.extend(goroutine_hits(facts.dumps, kb))
    return out


_POD_KINDS = (Kind.POD.value, Kind.CONTAINER.value)


def _object_named(groups: dict[str, str], entity: Entity | None, text: str) -> str | None:
    """The pod a line is about (``pod/[<namespace>/]<name>``): what the pattern or the line's
    words name (a volume "already used by" one pod is about that pod, whatever event row it is
    in), else the pod a record was parsed for."""
    ref = pod_ref(groups, text)
    if ref is None and entity is not None and entity.kind in _POD_KINDS:
        # a container is named "<pod>/<container>"
        ref = Entity.pod(entity.name.split("/", 1)[0], entity.namespace).ref()
    return ref


def _entity_for(
    groups: dict[str, str], ctx: Context, line: LogLine | None, nodes: NodeNames
) -> Entity:
    node = groups.get("node") or (line.host if line and line.host else None) or ctx.node
    node = nodes.canonical(node) if node else nodes.default()
    pod = groups.get("pod") or ctx.pod
    namespace = (
        groups.get("namespace") or ctx.namespace or (nodes.namespace_of(pod) if pod else None)
    )
    if groups.get("cgroup"):
        return Entity.cgroup(groups["cgroup"], node)
    if groups.get("pid", "").isdigit():
        command = groups.get("command") or groups.get("process") or "?"
        return Entity.process(int(groups["pid"]), command, node)
    if groups.get("container") and pod:
        return Entity.container(groups["container"], pod, namespace, node)
    if pod and _IDENT.match(pod):
        return Entity.pod(pod, namespace, node)
    component = (line.component if line and line.component else None) or ctx.component
    if component and component not in ("kernel", "journald", "systemd"):
        return Entity.component(component, node)
    return Entity.for_node(node)


def _match_records(doc: ParsedDocument, ctx: TimeContext, hits: _Hits) -> None:
    records = doc.result.records
    if not records:
        return
    text = "\n".join(r.text.replace("\n", " ") for r in records)
    for match in hits.table.scanner.scan_bytes(text.encode()):
        record: Record = records[match.line_no - 1]
        stamp = record.stamp
        when = stamp.resolve(ctx) if stamp else None
        listed = stamp.listed if stamp else None
        evidence = Evidence(doc.file.display, record.line, when, record.text, listed).clipped()
        line = LogLine(record.stamp, None, record.component, record.text)
        entity = hits.nodes.entity(record.entity) if record.entity else None
        since = _moment(record.since, ctx)
        for index in match.patterns:
            hits.record(index, match.text, evidence, doc.ctx, line, entity, record.count, since)


def _moment(stamp: Stamp | None, ctx: TimeContext) -> datetime | ListingTime | None:
    """A stamp's wall-clock time, or its moment on its listing's clock (kubectl's ages)."""
    if stamp is None:
        return None
    return stamp.listed or stamp.resolve(ctx)


# What starts a line of its own in most text: a time, a log level, a kernel stamp, a JSON or
# logfmt record, a goroutine, a syslog priority, a comment.
_RECORD_START = re.compile(
    r"^(?:\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d|[A-Z][a-z]{2} [ \d]\d \d\d:|\[\s*\d+\.\d+\]|"
    r"\[[A-Z][a-z]{2} |[IWEF]\d{4} |time=|level=|ts=|[{\[]|<\d+>|goroutine \d+ |#|-- )"
)


def _starts_record(fmt: LogFormat | None) -> Callable[[str], bool]:
    def starts(line: str) -> bool:
        if _RECORD_START.match(line) or prompt_of(line) is not None:
            return True
        try:
            return fmt is not None and fmt.parse_line(line) is not None
        except Exception:  # one hostile line costs its own parse
            return False

    return starts


def _scan_wrapped(
    text: str,
    fmt: LogFormat | None,
    hits: _Hits,
    record: Callable[[int, str, tuple[int, ...]], None],
) -> None:
    """Lines a terminal cut in two, scanned joined: what matches only across the cut; and
    records printed over many lines, scanned as the line their program wrote."""
    lines = text.splitlines()
    pairs = wrapped_pairs(lines, _starts_record(fmt))
    for i, joined, patterns in joined_matches(hits.table.scanner, lines, pairs):
        record(i, joined, patterns)
    # Records pasted pretty-printed, quoted YAML strings a writer folded over several lines, and
    # records a terminal UI wrapped inside its box, read as the one line they hold: only what
    # none of their own lines matched is new.
    spans = pretty_records(lines) + folded_scalars(lines) + boxed_records(lines)
    _scan_spans(spans, lines, hits, record)


def _scan_spans(
    spans: list[tuple[int, int, str]],
    lines: list[str],
    hits: _Hits,
    record: Callable[[int, str, tuple[int, ...]], None],
) -> None:
    """Scan each span's text as one line and record the patterns that its lines alone miss."""
    if not spans:
        return
    compact = "\n".join(text for _, _, text in spans)
    found = hits.table.scanner.scan_bytes(compact.encode("utf-8", "replace"))
    for match in found:
        start, end, _ = spans[match.line_no - 1]
        # What the span's own lines match alone (only the spans that matched are scanned
        # again, never the whole text).
        own = "\n".join(lines[start : end + 1]).encode("utf-8", "replace")
        known = {p for m in hits.table.scanner.scan_bytes(own) for p in m.patterns}
        new = tuple(p for p in match.patterns if p not in known)
        if new:
            record(start, match.text, new)


def _scan_raw_lines(doc: ParsedDocument, ctx: TimeContext, hits: _Hits) -> None:
    """The document's own lines, scanned like a log's: what its parser did not turn into a
    record (a log line pasted under a command, a warning above a table) is read too. Lines the
    records already cite are skipped, so nothing counts twice."""
    if not doc.text:
        return
    covered = {r.line for r in doc.result.records if r.line is not None}
    offset = doc.first_line - 1
    # A document about one pod (its describe) speaks of that pod on every line.
    pods = {e for e in doc.result.entities if e.kind == "pod"}
    about = hits.nodes.entity(next(iter(pods))) if len(pods) == 1 else None
    for match in hits.table.scanner.scan_bytes(doc.text.encode()):
        number = match.line_no + offset
        if number in covered:
            continue
        # A log pasted under a prompt keeps its times; a syslog line anywhere says who wrote it.
        line = _log_line(doc.log_format, match.text) or JOURNALD.parse_line(match.text)
        when = line.stamp.resolve(ctx) if line and line.stamp else None
        writer = line.component if line else None
        evidence = Evidence(doc.file.display, number, when, match.text).clipped()
        for index in match.patterns:
            hits.record(index, match.text, evidence, doc.ctx, None, about, written_by=writer)

    def joined(i: int, text: str, patterns: tuple[int, ...]) -> None:
        number = i + 1 + offset
        if number in covered:
            return
        line = _log_line(doc.log_format, text) or JOURNALD.parse_line(text)
        when = line.stamp.resolve(ctx) if line and line.stamp else None
        evidence = Evidence(doc.file.display, number, when, text).clipped()
        writer = line.component if line else None
        for index in patterns:
            hits.record(index, text, evidence, doc.ctx, None, about, written_by=writer)

    _scan_wrapped(doc.text, doc.log_format, hits, joined)


def _inside_reports(
    found: dict[HitKey, SymptomHit], kernel: KernelReports
) -> dict[HitKey, SymptomHit]:
    """Lines of a memory cgroup's OOM report are about that cgroup, whatever entity they are
    counted on: a hit whose every line sits inside such reports says which cgroups (so that it
    is past once they are gone, like the reports' own findings)."""
    spans = [
        (r.first.line, max([c.line for c in r.cited.values()] + [r.first.line]), r.oom_memcg)
        for r in kernel.ooms
        if r.oom and r.memcg and r.oom_memcg
    ]
    if not spans:
        return found
    for hit in found.values():
        cgroups = [
            next((cg for lo, hi, cg in spans if lo <= (ev.line or 0) <= hi), None)
            for ev in hit.samples
        ]
        if cgroups and None not in cgroups:
            hit.within = {str(cg) for cg in cgroups}
    return found


def _log_line(fmt: LogFormat | None, text: str) -> LogLine | None:
    if fmt is None:
        return None
    try:
        return fmt.parse_line(text)
    except Exception:  # one hostile line costs its own parse, never the document
        return None


@dataclass
class _LogScan:
    """What one log file gave: its hits, what could not be read, matched lines not parsed."""

    hits: dict[HitKey, SymptomHit]
    gaps: list[Gap]
    malformed: int
    outside_window: int = 0
    # The kernel's reports in the log, read from the scan's own blocks.
    kernel: KernelReports = field(default_factory=KernelReports)


def _scan_log(
    log: LogInput,
    ctx: TimeContext,
    table: PatternTable,
    nodes: NodeNames,
    advance: Callable[[int], None] | None = None,
    window: TimeWindow | None = None,
    threads: int = 1,
) -> _LogScan:
    hits = _Hits(table, nodes, window)
    gaps: list[Gap] = []
    malformed = 0
    kernel = KernelReportFeed(log.fmt)
    marks: list[int] = []  # where lines with a kernel report's marker start, in the stream
    scanned = 0  # where the block being scanned starts, in the stream

    def on_block(buf: bytearray, end: int, first_line: int, newlines: int) -> None:
        nonlocal scanned
        kernel.block(buf, end, first_line, newlines, [m - scanned for m in marks])
        marks.clear()
        scanned += end

    try:
        # A small log read whole with its head is not opened again.
        opened = log.file.open() if log.whole is None else io.BytesIO(log.whole)
        with opened as raw:
            stream = raw if advance is None else counted(raw, advance)
            for found in table.scanner.scan_stream(stream, LOG_CHUNK, on_block, threads):
                if found.patterns[-1] >= table.first_marker:
                    marks.append(found.offset)
                    found = _without_markers(found, table.first_marker)  # noqa: PLW2901
                    if not found.patterns:
                        continue
                malformed += _on_log_match(log, ctx, hits, found)
            gaps.extend(Gap(origin=log.file.display, reason=r, detail=d) for r, d in notes_of(raw))
        if log.whole is not None:
            # A small log read whole: its lines a terminal cut in two are read joined too.

            def joined(i: int, text: str, patterns: tuple[int, ...]) -> None:
                _on_log_match(log, ctx, hits, LineMatch(i + 1, 0, text, patterns))

            _scan_wrapped(log.whole.decode("utf-8", errors="replace"), log.fmt, hits, joined)
    except (OSError, EOFError, ValueError) as exc:
        reason = getattr(exc, "reason", "error")
        detail = f"not read to the end: {exc}"
        gaps.append(Gap(origin=log.file.display, reason=reason, detail=detail))
    return _LogScan(hits.by_key, gaps, malformed, hits.outside_window, kernel.finish())


def _without_markers(match: LineMatch, first_marker: int) -> LineMatch:
    return replace(match, patterns=tuple(i for i in match.patterns if i < first_marker))


def _on_log_match(log: LogInput, ctx: TimeContext, hits: _Hits, match: LineMatch) -> int:
    """Record the hits of one matched line; 1 if the line is not of the file's format. A line
    its format's reader fails on is such a line: it still counts, without its time and host,
    and the rest of the log is read."""
    try:
        line = log.fmt.parse_line(match.text) if log.fmt else None
    except Exception:  # one hostile line costs its own parse, never the file
        line = None
    when: datetime | None = line.stamp.resolve(ctx) if line and line.stamp else None
    evidence = Evidence(log.file.display, match.line_no, when, match.text).clipped()
    for index in match.patterns:
        hits.record(index, match.text, evidence, log.ctx, line)
    return 1 if log.fmt is not None and line is None else 0


def _scan_logs(
    logs: list[tuple[LogInput, TimeContext]],
    table: PatternTable,
    nodes: NodeNames,
    workers: int,
    progress: Progress | None = None,
    window: TimeWindow | None = None,
) -> list[_LogScan]:
    """Scan every log once; big evidence on several processes (one file each), else here."""
    sizes = [log.file.size() for log, _ in logs]
    if progress is not None:
        progress.start(sum(sizes))
    big = sum(1 for size in sizes if size >= PARALLEL_MIN_BYTES)
    scans = None
    if workers > 1 and big >= 2:
        scans = map_forked(
            lambda job: _scan_log(job[0], job[1], table, nodes, window=window),
            logs,
            min(workers, big),
            done=(lambda i: progress.advance(sizes[i])) if progress is not None else None,
        )
    if scans is None:
        # Here, a big log is searched by up to the workers' count of threads (Hyperscan
        # searches without the GIL): several cores for one file, compressed or not.
        threads = min(workers, MAX_SCAN_THREADS)
        advance = progress.advance if progress is not None else None
        scans = [
            _scan_log(
                log,
                ctx,
                table,
                nodes,
                advance,
                window,
                threads if size >= PARALLEL_MIN_BYTES else 1,
            )
            for (log, ctx), size in zip(logs, sizes, strict=True)
        ]
    if progress is not None:
        progress.finish()
    return scans


def _dumped_program(found: DumpAnalysis) -> str | None:
    """The program a signature's goroutines run in: a signature is a known bug of that
    program's own code, so the program is what the finding blames (when the dump says which)."""
    entity = found.entity
    if entity.kind != Kind.COMPONENT.value or entity.name == UNKNOWN_GO_PROGRAM:
        return None
    return entity.name


def goroutine_hits(dumps: list[DumpAnalysis], kb: KnowledgeBase) -> list[SymptomHit]:
    """A knowledge-base goroutine signature that a dump shows becomes a hit of its failure mode
    on the dump's component, citing the stack group that matched."""
    signatures = kb.goroutine_signatures()
    hits: list[SymptomHit] = []
    for found in dumps:
        counted = {m.failure_mode: m.count for m in match_signatures(found.dump, signatures)}
        for fm_id, signature in signatures:
            if fm_id not in counted:
                continue
            pattern = re.compile(signature.function)
            groups = found.report.groups
            group = next((g for g in groups if any(pattern.search(f) for f in g.frames)), None)
            if group is None:
                continue
            waited = f", up to {group.max_wait_minutes} minutes" if group.max_wait_minutes else ""
            text = f"{group.count} goroutines [{group.state}{waited}] in {group.function}"
            hit = SymptomHit(fm_id, signature.id, found.entity)
            hit.add(Evidence(found.source, None, None, text), {}, _dumped_program(found))
            hit.count = group.count
            hits.append(hit)
    return hits
