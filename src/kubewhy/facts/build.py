"""The fact stage: parsed documents become one body of facts about unified entities.

1. Node names are unified across sources (an IP, a host name, a cloud name of one machine).
2. The year and zone that klog/syslog stamps lack are inferred from the exact stamps.
3. Every document's facts and entities go into the store, on their node's one name; files that
   name no node belong to the node their folder's other files name.
4. Derived facts (ratios, totals, versions) are computed.
5. The kernel's reports (OOM reports, hung tasks, soft lockups) become facts, their times
   resolved with the time context of the input they are in.
6. Goroutine dumps are analysed (groups, leaks, lock convoys) on the component they came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from kubewhy.facts.derive import derive_facts
from kubewhy.facts.goroutines import DumpAnalysis, analyze
from kubewhy.facts.kernel import add_kernel_facts
from kubewhy.facts.nodes import NodeNames
from kubewhy.facts.store import FactStore
from kubewhy.facts.timeline import file_context, infer_context
from kubewhy.facts.versions import derive_versions
from kubewhy.model.components import of_stack_frames
from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.times import TimeContext, unix_time
from kubewhy.parsers.kernel_reports import KernelReports
from kubewhy.parsers.read import LogInput, Parsed, ParsedDocument

# Never read: the first fact of a document always differs from `seen = None`.
_NO_ENTITY = Entity.cluster()

# Counts of what leaks or piles up: read twice, the larger is the symptom (the smaller one was
# taken after a restart or a cleanup, as pasted sessions often show).
PEAK_FACTS = (
    "node.systemd.units",
    "node.systemd.mount_units",
    "node.systemd.kubelet_mount_units",
    "node.systemd.slice_cgroups",
    "node.zombies.total",
    "node.threads.total",
    "node.processes.total",
    "node.memcg.num_cgroups",
    "process.zombie_children",
    "process.threads",
    "container.threads",
    "cgroup.pids.current",
    # A shell's limit read again after `ulimit -n N` lowered it: the first reading is the one
    # the runtime gave, the later one the workaround being tried.
    "node.ulimit.open_files",
    "node.ulimit.open_files_hard",
)


@dataclass
class FactBase:
    store: FactStore
    nodes: NodeNames
    # The year and zone of stamps that carry none; each log's own (its zone may differ).
    time: TimeContext
    log_times: list[TimeContext] = field(default_factory=list)
    dumps: list[DumpAnalysis] = field(default_factory=list)


def build_facts(parsed: Parsed, forced_offset_minutes: int | None = None) -> FactBase:
    nodes = _unified_nodes(parsed)
    # Stamps written in a local zone (logs, describe output) tell the hosts' zone; API objects'
    # UTC stamps tell only the year.
    local = [s for lg in parsed.logs for s in lg.head_stamps] + [
        s for d in parsed.documents for s in d.head_stamps
    ]
    anchors = [a for d in parsed.documents for a in d.result.anchors] + local
    base = infer_context(anchors, local, forced_offset_minutes)
    forced = forced_offset_minutes is not None
    store = FactStore()
    folder_node = _folder_nodes(parsed.documents, parsed.logs, nodes)
    for doc in parsed.documents:
        fallback = folder_node.get(doc.file.path.parent)
        # A parser gives the facts of one entity in a row, on one Entity value (a process's
        # five facts of ps): it is unified once.
        seen: Entity | None = None
        unified = _NO_ENTITY
        for fact in doc.result.facts:
            if fact.entity is not seen:
                seen = fact.entity
                unified = nodes.entity(seen, fallback)
            store.add(fact if unified is seen else fact.about(unified))
        for entity in doc.result.entities:
            store.add_entity(nodes.entity(entity, fallback))
    store.keep_peaks(PEAK_FACTS)
    derive_facts(store, nodes)
    derive_versions(store)
    facts = FactBase(
        store,
        nodes,
        base,
        [
            replace(file_context(base, log.head_stamps, forced), boot=_boot_of(log, store, nodes))
            for log in parsed.logs
        ],
    )
    kernel = [(d.kernel, d.ctx, base) for d in parsed.documents if d.kernel]
    add_kernel_facts(store, nodes, kernel)
    facts.dumps.extend(_analysed_dumps(parsed.documents, facts))
    return facts


def add_log_kernel_facts(
    facts: FactBase, logs: list[LogInput], reports: list[KernelReports]
) -> None:
    """The facts of the kernel's reports found in the logs. The log scan reads them from its
    own blocks (a log is read once), so they join the facts after it."""
    found = [
        (report, log.ctx, ctx)
        for log, ctx, report in zip(logs, facts.log_times, reports, strict=True)
        if report
    ]
    add_kernel_facts(facts.store, facts.nodes, found)


def _boot_of(log: LogInput, store: FactStore, nodes: NodeNames) -> datetime | None:
    """When the machine that wrote ``log`` booted, where a live read of it says (its kernel
    log's ``[seconds]`` count from then)."""
    name = nodes.canonical(log.ctx.node) if log.ctx.node else nodes.default()
    booted = [(n, v) for n in store.entities("node") if (v := store.value(n, "node.boot_time"))]
    value = next((v for n, v in booted if n.name == name), None)
    if value is None and len(booted) == 1 and name == UNKNOWN_NODE:
        value = booted[0][1]
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return unix_time(value)


def _unified_nodes(parsed: Parsed) -> NodeNames:
    nodes = NodeNames()
    for log in parsed.logs:
        nodes.observe_log_head(log.head, log.fmt)
    for doc in parsed.documents:
        nodes.observe_entities(doc.result.entities)
        nodes.observe_entities(f.entity for f in doc.result.facts)
    for doc in parsed.documents:
        for fact in doc.result.facts:
            if fact.name == "node.address" and fact.entity.kind == "node":
                nodes.alias(fact.entity.name, str(fact.value))
    for log in parsed.logs:
        if log.ctx.node:
            nodes.add(log.ctx.node)
    return nodes


def _folder_nodes(
    docs: list[ParsedDocument], logs: list[LogInput], nodes: NodeNames
) -> dict[Path, str]:
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


def _analysed_dumps(docs: list[ParsedDocument], facts: FactBase) -> list[DumpAnalysis]:
    found = []
    for doc in docs:
        for dump in doc.result.goroutine_dumps:
            report = analyze(dump)
            node = facts.nodes.canonical(doc.ctx.node) if doc.ctx.node else facts.nodes.default()
            frames = (f for g in report.groups[:20] for f in g.frames)
            entity = Entity.component(doc.ctx.component or of_stack_frames(frames), node)
            facts.store.add_entity(entity)
            found.append(DumpAnalysis(entity, doc.ctx.source, dump, report))
    return found
