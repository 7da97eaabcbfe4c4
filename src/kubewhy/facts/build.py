"""From input files to facts and symptom hits.

1. Detect every input's format from its first lines (a manifest hint wins).
2. Parse documents fully (they are small and structured): facts, records, exact time anchors.
3. Infer the year and zone that klog/syslog stamps lack.
4. Scan logs once with every knowledge-base pattern; parse only the matched lines.
5. Match the documents' records (event messages, statuses) with the same patterns.
6. Unify node names across sources, then derive facts (ratios, totals).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from kubewhy.facts.derive import derive_facts
from kubewhy.facts.nodes import NodeNames
from kubewhy.facts.store import FactStore
from kubewhy.facts.timeline import exact_stamps, file_context, infer_context
from kubewhy.facts.versions import derive_versions
from kubewhy.kb.load import KnowledgeBase, compile_patterns
from kubewhy.kb.schema import LogSymptom
from kubewhy.model.diagnosis import InputRef
from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.hits import SymptomHit
from kubewhy.model.times import Stamp, TimeContext
from kubewhy.parsers.base import Context, LogFormat, LogLine, ParseResult, Record
from kubewhy.parsers.registry import Detected, all_formats, detect
from kubewhy.scanning import LineMatch, open_stream
from kubewhy.sources.files import InputFile, Inputs

HEAD_BYTES = 64 << 10
MAX_TRANSCRIPT_BYTES = 16 << 20
# A shell prompt with its user and host (root@node:~# cmd, [root@node ~]# cmd) or a bare "$ cmd":
# a file with several is a pasted terminal session, one section per command.
PROMPT_HOST = re.compile(r"^\[?[\w.-]+@([\w.-]+)")
PROMPT = re.compile(
    r"^(?:\[[\w.-]+@[\w.-]+[^\]]*\]|[\w.-]+@[\w.-]+(?::\S*)?(?: \S+)?)\s*[#$] \S|^\$ \S"
)
MAX_DOCUMENT_BYTES = 1 << 30
_IDENT = re.compile(r"^[\w.-]+$")
# Named groups that name the entity a line is about (they override what the input's context says).
_NAMING_GROUPS = frozenset({"node", "pod", "container", "pid", "cgroup"})


@dataclass
class Gathered:
    store: FactStore = field(default_factory=FactStore)
    hits: dict[tuple[str, str, Entity, str | None], SymptomHit] = field(default_factory=dict)
    inputs: list[InputRef] = field(default_factory=list)
    extras: list[tuple[Context, str, object]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    parse_errors: dict[str, int] = field(default_factory=dict)
    nodes: NodeNames = field(default_factory=NodeNames)


@dataclass
class _Doc:
    file: InputFile
    ctx: Context
    result: ParseResult
    head_stamps: list[Stamp]


@dataclass
class _Log:
    file: InputFile
    ctx: Context
    fmt: LogFormat | None
    head_stamps: list[Stamp]


class PatternTable:
    """The knowledge base's log patterns and the scanner they were compiled into."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.entries: list[tuple[str, LogSymptom]] = kb.log_patterns()
        if kb.scanner is None:
            kb.scanner = compile_patterns(kb)
        self.scanner = kb.scanner
        self.has_groups = ["(?P<" in s.pattern for _, s in self.entries]


def _read_head(file: InputFile) -> list[str]:
    with open_stream(file.path) as stream:
        data = stream.read(HEAD_BYTES)
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(data) == HEAD_BYTES and lines:
        lines.pop()  # the last line may be cut
    return lines


def _format_by_name(name: str) -> Detected | None:
    logs, docs = all_formats()
    for log in logs:
        if log.name == name:
            return Detected(name, log, None, 1.0)
    for doc in docs:
        if doc.name == name:
            return Detected(name, None, doc, 1.0)
    return None


def _folder_nodes(docs: list[_Doc], logs: list[_Log], nodes: NodeNames) -> dict[Path, str]:
    """The node each folder is about, where its files name exactly one (a uname, a journal's
    host, a prompt): a person collects one node's outputs into one folder, so the files there
    that name no node are about that one."""
    seen: dict[Path, set[str]] = {}
    for doc in docs:
        named = {
            e.name
            for e in (*doc.result.entities, *(f.entity for f in doc.result.facts))
            if e.kind == "node" and e.name != UNKNOWN_NODE
        }
        if doc.ctx.node:
            named.add(doc.ctx.node)
        if len(named) == 1:
            seen.setdefault(doc.file.path.parent, set()).add(nodes.canonical(named.pop()))
    for log in logs:
        if log.ctx.node:
            seen.setdefault(log.file.path.parent, set()).add(nodes.canonical(log.ctx.node))
    return {folder: names.pop() for folder, names in seen.items() if len(names) == 1}


def transcript_sections(text: str) -> list[tuple[int, str]] | None:
    """Split a pasted terminal session into (first line number, text) per command.

    Each section keeps its place in the file: earlier lines become blank lines, so the line
    numbers that parsers cite are the file's own.

    >>> s = transcript_sections("root@n1:~# uname -r\\n4.4.0-104-generic\\nroot@n1:~# nproc\\n8\\n")
    >>> [(start, body.strip()) for start, body in s]
    [(1, 'root@n1:~# uname -r\\n4.4.0-104-generic'), (3, 'root@n1:~# nproc\\n8')]
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if PROMPT.match(line)]
    if len(starts) < 2:
        return None
    if starts[0] != 0 and any(line.strip() for line in lines[: starts[0]]):
        starts.insert(0, 0)
    sections = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = "\n" * start + "\n".join(lines[start:end]) + "\n"
        sections.append((start + 1, body))
    return sections


def gather(
    inputs: Inputs,
    kb: KnowledgeBase,
    forced_offset_minutes: int | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Gathered:
    out = Gathered()
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    out.gaps.extend(
        f"could not read {g.origin}: {g.reason}" + (f" ({g.detail})" if g.detail else "")
        for g in inputs.gaps
    )
    table = PatternTable(kb)
    docs: list[_Doc] = []
    logs: list[_Log] = []
    for file in inputs.files:
        ctx = Context(file.display, file.node, file.component, file.namespace, file.pod)
        try:
            head = _read_head(file)
        except (OSError, EOFError, ValueError) as exc:
            out.gaps.append(f"could not read {file.display}: {exc}")
            continue
        detected = (_format_by_name(file.format_hint) if file.format_hint else None) or detect(head)
        if not file.format_hint and PROMPT.match(head[0] if head else ""):
            sections = _transcript(file)
            if sections:
                for start, body in sections:
                    _add_section(file, ctx, start, body, out, docs)
                continue
        out.inputs.append(InputRef(path=file.display, format=detected.name))
        if detected.document is not None:
            result = _parse_document(file, detected, ctx, out)
            if result is not None:
                docs.append(_Doc(file, ctx, result, exact_stamps(head)))
        elif detected.name != "empty":
            out.nodes.observe_log_head(head, detected.log)
            logs.append(_Log(file, ctx, detected.log, exact_stamps(head)))

    for doc in docs:
        out.nodes.observe_entities(doc.result.entities)
        out.nodes.observe_entities(f.entity for f in doc.result.facts)
    for doc in docs:
        for fact in doc.result.facts:
            if fact.name == "node.address" and fact.entity.kind == "node":
                out.nodes.alias(fact.entity.name, str(fact.value))
    for log in logs:
        if log.ctx.node:
            out.nodes.add(log.ctx.node)

    # Stamps written in a local zone (logs, describe output) tell the hosts' zone; API objects'
    # UTC stamps tell only the year.
    local = [s for lg in logs for s in lg.head_stamps] + [s for d in docs for s in d.head_stamps]
    anchors = [a for d in docs for a in d.result.anchors] + local
    base = infer_context(anchors, local, forced_offset_minutes)

    folder_node = _folder_nodes(docs, logs, out.nodes)
    for doc in docs:
        fallback = folder_node.get(doc.file.path.parent)
        for fact in doc.result.facts:
            entity = out.nodes.entity(fact.entity, fallback)
            out.store.add(fact if entity is fact.entity else replace(fact, entity=entity))
        for entity in doc.result.entities:
            out.store.add_entity(out.nodes.entity(entity, fallback))
        _match_records(doc, table, base, out)
        for name, extra in doc.result.extras.items():
            out.extras.append((doc.ctx, name, extra))
        if doc.result.malformed:
            out.parse_errors[doc.file.display] = doc.result.malformed
    forced = forced_offset_minutes is not None
    scan_jobs = [(log, file_context(base, log.head_stamps, forced)) for log in logs]
    scans = _scan_logs(scan_jobs, table, kb, jobs, out.nodes, progress)
    if progress is not None:
        progress.finish()
    for log, scan in zip(logs, scans, strict=True):
        for key, hit in scan.hits.items():
            if key in out.hits:
                out.hits[key].merge(hit)
            else:
                out.hits[key] = hit
        out.gaps.extend(scan.gaps)
        if scan.malformed:
            out.parse_errors[log.file.display] = scan.malformed
    derive_facts(out.store, out.nodes)
    derive_versions(out.store)
    # Checks that reason over several hits at once (pull queues) read them from the store.
    out.store.extras.append((Entity.cluster(), "hits", list(out.hits.values())))
    return out


def _transcript(file: InputFile) -> list[tuple[int, str]] | None:
    try:
        with open_stream(file.path) as stream:
            data = stream.read(MAX_TRANSCRIPT_BYTES + 1)
    except (OSError, EOFError, ValueError):
        return None
    if len(data) > MAX_TRANSCRIPT_BYTES:
        return None
    return transcript_sections(data.decode("utf-8", errors="replace"))


def _add_section(
    file: InputFile, ctx: Context, start: int, body: str, out: Gathered, docs: list[_Doc]
) -> None:
    """One command of a terminal session, detected and parsed on its own; the prompt's host
    (root@node-7:~#) says which node the output is from."""
    lines = body.splitlines()
    host = PROMPT_HOST.search(lines[start - 1]) if len(lines) >= start else None
    if host and ctx.node is None:
        ctx = replace(ctx, node=host.group(1))
    detected = detect(lines)
    out.inputs.append(InputRef(path=f"{file.display}:{start}", format=detected.name))
    if detected.document is not None:
        try:
            result = detected.document.parse(body, ctx)
        except Exception as exc:  # a parser bug must not sink the diagnosis: record it
            out.gaps.append(f"{file.display}:{start}: {detected.name} parser failed: {exc}")
            return
        docs.append(_Doc(file, ctx, result, exact_stamps(lines)))
        return
    # Output of a command no parser knows: still matched against the log patterns.
    records = [Record(text, n) for n, text in enumerate(lines, 1) if text.strip()]
    docs.append(_Doc(file, ctx, ParseResult(records=records), exact_stamps(lines)))


def _parse_document(
    file: InputFile, detected: Detected, ctx: Context, out: Gathered
) -> ParseResult | None:
    assert detected.document is not None
    try:
        with open_stream(file.path) as stream:
            data = stream.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, EOFError, ValueError) as exc:
        out.gaps.append(f"could not read {file.display}: {exc}")
        return None
    if len(data) > MAX_DOCUMENT_BYTES:
        out.gaps.append(f"{file.display}: larger than {MAX_DOCUMENT_BYTES >> 20} MiB, not parsed")
        return None
    text = data.decode("utf-8", errors="replace")
    try:
        return detected.document.parse(text, ctx)
    except Exception as exc:  # a parser bug must not sink the diagnosis: record it
        out.gaps.append(
            f"{file.display}: {detected.name} parser failed: {type(exc).__name__}: {exc}"
        )
        return None


def _entity_for(
    groups: dict[str, str], ctx: Context, line: LogLine | None, nodes: NodeNames
) -> Entity:
    node = groups.get("node") or (line.host if line and line.host else None) or ctx.node
    node = nodes.canonical(node) if node else nodes.default()
    pod = groups.get("pod") or ctx.pod
    namespace = groups.get("namespace") or ctx.namespace
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


def _record_hit(
    out: Gathered,
    table: PatternTable,
    index: int,
    text: str,
    evidence: Evidence,
    ctx: Context,
    line: LogLine | None,
    entity: Entity | None = None,
) -> None:
    fm_id, symptom = table.entries[index]
    component = (line.component if line else None) or ctx.component
    if symptom.components and component and component not in symptom.components:
        return
    groups = table.scanner.groups(index, text) if table.has_groups[index] else {}
    if entity is None or _NAMING_GROUPS.intersection(groups):
        entity = _entity_for(groups, ctx, line, out.nodes)
    part = groups.get(symptom.split_by) if symptom.split_by else None
    key = (fm_id, symptom.id, entity, part)
    hit = out.hits.get(key)
    if hit is None:
        hit = out.hits[key] = SymptomHit(fm_id, symptom.id, entity, part=part)
    hit.add(evidence, groups)


class Progress(Protocol):
    """Told how many bytes of log there are and how many have been scanned."""

    def start(self, total: int) -> None: ...

    def advance(self, done: int) -> None: ...

    def finish(self) -> None: ...


class _Counting(io.RawIOBase):
    """A stream that reports the bytes read through it."""

    def __init__(self, inner: BinaryIO, progress: Progress) -> None:
        super().__init__()
        self.inner = inner
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        got = self.inner.readinto(buffer)  # type: ignore[attr-defined]
        if got:
            self.progress.advance(int(got))
        return int(got or 0)


@dataclass
class _LogScan:
    """What one log file gave: its hits, what could not be read, matched lines not parsed."""

    hits: dict[tuple[str, str, Entity, str | None], SymptomHit]
    gaps: list[str]
    malformed: int


def _scan_log(
    log: _Log,
    table: PatternTable,
    ctx: TimeContext,
    nodes: NodeNames,
    progress: Progress | None = None,
) -> _LogScan:
    part = Gathered(nodes=nodes)
    malformed = 0
    try:
        with open_stream(log.file.path) as raw:
            stream: BinaryIO = raw if progress is None else _Counting(raw, progress)  # type: ignore[assignment]
            for match in table.scanner.scan_stream(stream):
                malformed += _on_log_match(log, table, ctx, part, match)
    except (OSError, EOFError, ValueError) as exc:
        part.gaps.append(f"could not read all of {log.file.display}: {exc}")
    return _LogScan(part.hits, part.gaps, malformed)


def _on_log_match(
    log: _Log, table: PatternTable, ctx: TimeContext, out: Gathered, match: LineMatch
) -> int:
    """Record the hits of one matched line; 1 if the line is not of the file's format."""
    line = log.fmt.parse_line(match.text) if log.fmt else None
    when: datetime | None = line.stamp.resolve(ctx) if line and line.stamp else None
    evidence = Evidence(log.file.display, match.line_no, when, match.text).clipped()
    for index in match.patterns:
        _record_hit(out, table, index, match.text, evidence, log.ctx, line)
    return 1 if log.fmt is not None and line is None else 0


# Workers pay off only when at least two logs are this big: one big file is scanned by one
# process either way, and small ones cost less than starting a worker.
PARALLEL_MIN_BYTES = 32 << 20
# The parent's pattern table; forked workers inherit it instead of loading and compiling again.
_WORKER_TABLE: PatternTable | None = None


def _init_worker(kb_dir: str | None) -> None:
    global _WORKER_TABLE  # noqa: PLW0603 - one table per worker process, built once
    if _WORKER_TABLE is not None:  # forked: already there
        return
    from kubewhy.kb.load import default_knowledge_base, load_knowledge_base

    kb = load_knowledge_base(Path(kb_dir)) if kb_dir else default_knowledge_base()
    _WORKER_TABLE = PatternTable(kb)


def _scan_in_worker(log: _Log, ctx: TimeContext, nodes: NodeNames) -> _LogScan:
    assert _WORKER_TABLE is not None
    return _scan_log(log, _WORKER_TABLE, ctx, nodes)


def _scan_logs(
    jobs: list[tuple[_Log, TimeContext]],
    table: PatternTable,
    kb: KnowledgeBase,
    workers: int,
    nodes: NodeNames,
    progress: Progress | None = None,
) -> list[_LogScan]:
    """Scan every log once; big evidence on several processes (one file each), else here.

    Any failure to start workers (a node that cannot fork, no threads) falls back to scanning
    in this process: kubewhy must still answer."""
    global _WORKER_TABLE  # noqa: PLW0603 - handed to forked workers
    sizes = [_size(log.file.path) for log, _ in jobs]
    if progress is not None:
        progress.start(sum(sizes))
    big = sum(1 for size in sizes if size >= PARALLEL_MIN_BYTES)
    if workers > 1 and big >= 2:
        kb_dir = str(kb.directory) if kb.directory else None
        _WORKER_TABLE = table
        try:
            with ProcessPoolExecutor(
                max_workers=min(workers, big),
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
                initargs=(kb_dir,),
            ) as pool:
                futures = [pool.submit(_scan_in_worker, log, ctx, nodes) for log, ctx in jobs]
                results = []
                for size, future in zip(sizes, futures, strict=True):
                    results.append(future.result())
                    if progress is not None:
                        progress.advance(size)
                return results
        except (OSError, RuntimeError, BrokenProcessPool):
            pass  # no workers on this node (cannot fork, no threads): scan here instead
    return [_scan_log(log, table, ctx, nodes, progress) for log, ctx in jobs]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _match_records(doc: _Doc, table: PatternTable, ctx: TimeContext, out: Gathered) -> None:
    records = doc.result.records
    if not records:
        return
    text = "\n".join(r.text.replace("\n", " ") for r in records)
    for match in table.scanner.scan_bytes(text.encode()):
        record: Record = records[match.line_no - 1]
        when = record.stamp.resolve(ctx) if record.stamp else None
        evidence = Evidence(doc.file.display, record.line, when, record.text).clipped()
        line = LogLine(record.stamp, None, record.component, record.text)
        entity = out.nodes.entity(record.entity) if record.entity else None
        for index in match.patterns:
            _record_hit(out, table, index, match.text, evidence, doc.ctx, line, entity)
