"""Facts from the kernel's multi-line reports (OOM reports, hung tasks, soft lockups).

What an SRE reads in an OOM report becomes facts with the line each comes from: how the node's
memory stood (page cache against anonymous memory, free pages against the min watermark, swap),
whether the OOM was the node's or a memory cgroup's and which cgroup (a pod's names the pod UID
and the container), the biggest tasks of its table and the victim. A blocked or spinning task
becomes facts about that process: how long, its kernel stack, and the mechanism the stack waits
in (network namespaces, memory cgroups, a filesystem journal, writeback, NFS, reclaim).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from kubewhy.facts.nodes import NodeNames
from kubewhy.facts.store import FactStore
from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.model.times import TimeContext
from kubewhy.parsers.base import Context
from kubewhy.parsers.kernel_reports import Cited, KernelReports, OomReport, Stall
from kubewhy.parsers.nodesnap import pod_cgroup

# What a stack waits in, by its frames, most specific first: memcg reclaim runs shrink_* too,
# and a journal commit waits on writeback. Each mechanism names the failure mode it points to
# in the knowledge base's words (node.stalls.<mechanism>).
MECHANISMS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "netns",
        re.compile(
            r"^(?:copy_net_ns|cleanup_net|net_ns_\w+|unregister_netdevice\w*|netdev_run_todo"
            r"|netdev_wait_allref\w*|rtnl_lock|rtnetlink_rcv_msg|default_device_exit\w*"
            r"|ops_exit_list|setup_net)$"
        ),
        "network namespace setup or teardown (net_mutex, rtnl_lock)",
    ),
    (
        "memcg",
        re.compile(r"^(?:mem_cgroup_\w+|memcg_\w+|try_charge\w*|try_to_free_mem_cgroup_pages)$"),
        "memory cgroup charge or reclaim",
    ),
    (
        "nfs",
        re.compile(r"^(?:nfs\d?_\w+|rpc_\w+|__rpc_\w+|xprt_\w+|nlmclnt_\w+)$"),
        "an NFS server",
    ),
    (
        "journal",
        re.compile(r"^(?:jbd2_\w+|jbd2__\w+|__jbd2_\w+|ext4_\w+|xfs_\w+|xlog_\w+|btrfs_\w+)$"),
        "the filesystem journal (jbd2, ext4, xfs)",
    ),
    (
        "writeback",
        re.compile(
            r"^(?:wb_wait_for_completion|__?writeback_\w+|writeback_\w+|sync_filesystem|sync_inodes_sb"
            r"|balance_dirty_pages\w*|wait_on_page_\w+|folio_wait_\w+|__filemap_fdatawait\w*"
            r"|filemap_fdatawait\w*|filemap_write_and_wait\w*|submit_bio_wait|blk_mq_\w+"
            r"|__lock_page\w*|wait_on_buffer|__wait_on_buffer|sync_dirty_buffer)$"
        ),
        "disk I/O and writeback",
    ),
    (
        "reclaim",
        re.compile(
            r"^(?:shrink_\w+|do_try_to_free_pages|try_to_free_pages|__alloc_pages_slowpath\w*"
            r"|__alloc_pages_direct_\w+|kswapd|balance_pgdat|compact_zone\w*|isolate_\w+_pages\w*"
            r"|throttle_direct_reclaim)$"
        ),
        "memory reclaim or compaction",
    ),
    (
        "fuse",
        re.compile(r"^(?:fuse_\w+|request_wait_answer)$"),
        "a FUSE filesystem daemon",
    ),
)
DESCRIBED = {name: words for name, _, words in MECHANISMS}
_CONTAINER_ID = lazy_compile(r"(?:^|/|-)([0-9a-f]{64})(?:\.scope)?$")
MIB = 1 << 20


def mechanism_of(frames: list[str]) -> str | None:
    """The first mechanism, from the top of the stack, that a frame belongs to.

    >>> mechanism_of(["__mutex_lock_slowpath", "mutex_lock", "copy_net_ns"])
    'netns'
    >>> mechanism_of(["wb_wait_for_completion", "__writeback_inodes_sb_nr"]), mechanism_of([])
    ('writeback', None)
    """
    for frame in frames:
        for name, pattern, _ in MECHANISMS:
            if pattern.match(frame):
                return name
    return None


def container_of(path: str) -> tuple[str | None, str | None]:
    """Pod UID and container id of a memory cgroup path (a Kubernetes pod's, a Docker or CRI
    container's); (None, None) for a service, a slice or the root.

    >>> pod = "/kubepods/burstable/pod0330b2c1-a15b-4cdd-b5e5-72d4a90bee82/"
    >>> uid, cid = container_of(pod + "b" * 64)
    >>> uid, cid[:4]
    ('0330b2c1-a15b-4cdd-b5e5-72d4a90bee82', 'bbbb')
    >>> container_of("/docker/" + "a" * 64)[1][:4], container_of("/podruntime.slice")
    ('aaaa', (None, None))
    """
    pod = pod_cgroup(path)
    if pod.pod_uid:
        return pod.pod_uid, pod.container_id
    found = _CONTAINER_ID.search(path)
    return None, found.group(1) if found else None


@dataclass
class _Counts:
    """Counts of one input, per node: inputs that hold the same reports (dmesg and the journal
    of one node) must not add up, so the largest input's count is the node's."""

    values: defaultdict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    cite: dict[tuple[str, str], Evidence] = field(default_factory=dict)

    def add(self, node: str, name: str, evidence: Evidence) -> None:
        self.values[(node, name)] += 1
        self.cite[(node, name)] = evidence


class KernelFacts:
    """Facts of every input's kernel reports, added to the store at the end."""

    def __init__(self, store: FactStore, nodes: NodeNames) -> None:
        self.store = store
        self.nodes = nodes
        self.counts: dict[tuple[str, str], tuple[int, Evidence]] = {}
        # the lowest ratios seen per node: the worst moment is the symptom
        self.lowest: dict[tuple[str, str], tuple[float, Evidence]] = {}

    def add_input(self, reports: KernelReports, ctx: Context, time: TimeContext) -> None:
        counts = _Counts()
        for report in reports.ooms:
            self._oom(report, ctx, time, counts)
        for stall in reports.stalls:
            self._stall(stall, ctx, time, counts)
        for key, value in counts.values.items():
            known = self.counts.get(key)
            if known is None or value > known[0]:
                self.counts[key] = (value, counts.cite[key])

    def finish(self) -> None:
        for (node, name), (value, evidence) in self.counts.items():
            self._set(Entity.for_node(node), name, value, evidence)
        for (node, name), (ratio, evidence) in self.lowest.items():
            self._set(Entity.for_node(node), name, round(ratio, 6), evidence)

    # --- adding facts ---------------------------------------------------------------------------
    def _node(self, cited: Cited, ctx: Context) -> str:
        host = cited.host or ctx.node
        return self.nodes.canonical(host) if host else self.nodes.default()

    def _evidence(self, source: str, cited: Cited, time: TimeContext, note: str = "") -> Evidence:
        when = cited.stamp.resolve(time) if cited.stamp is not None else None
        text = f"{cited.text} -> {note}" if note else cited.text
        return Evidence(source, cited.line, when, text).clipped()

    def _set(self, entity: Entity, name: str, value: Value, evidence: Evidence) -> None:
        self.store.add(Fact(name, entity, value, evidence))

    def _once(self, entity: Entity, name: str, value: Value, evidence: Evidence) -> None:
        """A fact a live read or a command output may already state better: kept only when
        nothing else says it."""
        if self.store.fact(entity, name) is None:
            self.store.add(Fact(name, entity, value, evidence))

    def _lowest(self, node: str, name: str, ratio: float, evidence: Evidence) -> None:
        known = self.lowest.get((node, name))
        if known is None or ratio < known[0]:
            self.lowest[(node, name)] = (ratio, evidence)

    # --- OOM reports --------------------------------------------------------------------------
    def _oom(self, report: OomReport, ctx: Context, time: TimeContext, counts: _Counts) -> None:
        source = ctx.source
        node = self._node(report.first, ctx)
        node_entity = Entity.for_node(node)
        first = self._evidence(source, report.first, time)
        if report.release:
            self._once(node_entity, "kernel.release", report.release, first)
        self._memory_state(report, node, source, time)
        if not report.oom:
            return
        where = report.cited.get("summary") or report.cited.get("victim") or report.first
        said = self._evidence(source, where, time)
        # The memory cgroup over its limit; None for a node-wide OOM (the node's lines are
        # about the node) and for a memcg OOM whose excerpt does not name its cgroup.
        path: str | None = None
        if report.memcg:
            counts.add(node, "node.oom.memcg_kills", said)
            path = report.oom_memcg
        else:
            counts.add(node, "node.oom.global_kills", said)
        in_container: bool | None = None
        if path is not None:
            cgroup = Entity.cgroup(path, node)
            cite = report.cited.get("stats") or report.cited.get("task_in") or where
            evidence = self._evidence(source, cite, time)
            counts.add(node, f"cgroup:{path}", evidence)
            pod_uid, container_id = container_of(path)
            in_container = bool(pod_uid or container_id)
            if pod_uid:
                self._set(cgroup, "cgroup.pod_uid", pod_uid, evidence)
            if container_id:
                self._set(cgroup, "cgroup.container_id", container_id, evidence)
            scope = "container" if in_container else "system"
            self._set(cgroup, "cgroup.oom_scope", scope, evidence)
            usage = report.cited.get("usage")
            if usage is not None and report.limit_kb is not None:
                cite_usage = self._evidence(source, usage, time)
                used = (report.usage_kb or 0) * 1024
                self._set(cgroup, "cgroup.memory.usage_bytes", used, cite_usage)
                self._once(cgroup, "cgroup.memory.limit_bytes", report.limit_kb * 1024, cite_usage)
                self._once(cgroup, "cgroup.memory.failcnt", report.failcnt or 0, cite_usage)
        page_kb = report.page_kb()
        victim = report.victim
        if victim is not None:
            process = Entity.process(victim.pid, victim.name, node)
            evidence = self._evidence(source, victim.cited, time)
            self._set(process, "process.oom_killed", True, evidence)
            if victim.rss_kb is not None:
                self._once(process, "process.rss_bytes", victim.rss_kb * 1024, evidence)
            if path is not None:
                self._set(process, "process.oom_memcg", path, evidence)
            if in_container is not None:
                self._set(process, "process.oom_in_container", in_container, evidence)
        for task in report.tasks:
            process = Entity.process(task.pid, task.name, node)
            rss = int((task.rss_kb or 0) * page_kb * 1024)
            note = f"rss {rss / MIB:.0f} MiB, among the largest in the OOM report's task table"
            evidence = self._evidence(source, task.cited, time, note)
            self._once(process, "process.rss_bytes", rss, evidence)
            if path is not None:
                self._once(process, "process.oom_memcg", path, evidence)

    def _memory_state(self, report: OomReport, node: str, source: str, time: TimeContext) -> None:
        """The node's memory when the kernel printed it (Mem-Info): only a node-wide report
        says it (a memcg OOM prints its cgroup's counters instead)."""
        if report.memcg:
            return
        info, kb = report.mem_info, report.node_kb
        file_pages = info.get("active_file", 0) + info.get("inactive_file", 0)
        anon_pages = info.get("active_anon", 0) + info.get("inactive_anon", 0)
        cite = report.cited.get("meminfo_active_file")
        if not anon_pages and kb:
            file_pages = kb.get("active_file", 0) + kb.get("inactive_file", 0)
            anon_pages = kb.get("active_anon", 0) + kb.get("inactive_anon", 0)
            cite = report.cited.get("node_kb")
        if anon_pages > 0 and cite is not None:
            ratio = file_pages / anon_pages
            note = (
                f"page cache (active+inactive file) {file_pages} = {ratio:.2%} of anonymous "
                f"memory {anon_pages}"
            )
            self._lowest(
                node,
                "node.memory_report.file_to_anon_ratio",
                ratio,
                self._evidence(source, cite, time, note),
            )
        zone = report.cited.get("zone")
        if zone is not None and report.zone_min_kb > 0:
            ratio = report.zone_free_kb / report.zone_min_kb
            note = (
                f"free {report.zone_free_kb} kB against the min watermark {report.zone_min_kb} kB"
            )
            self._lowest(
                node,
                "node.memory_report.free_to_min_ratio",
                ratio,
                self._evidence(source, zone, time, note),
            )
        swap = report.cited.get("swap")
        if swap is not None and report.swap_total_kb is not None:
            evidence = self._evidence(source, swap, time)
            self._once(
                Entity.for_node(node),
                "node.swap.total_bytes",
                report.swap_total_kb * 1024,
                evidence,
            )

    # --- hung tasks and soft lockups ------------------------------------------------------------
    def _stall(self, stall: Stall, ctx: Context, time: TimeContext, counts: _Counts) -> None:
        node = self._node(stall.cited, ctx)
        process = Entity.process(stall.pid, stall.comm, node)
        top = stall.top()
        mechanism = mechanism_of(top)
        stack = " < ".join(top)
        note = f"kernel stack: {stack}" if stack else ""
        if mechanism:
            note += f" ({DESCRIBED[mechanism]})"
        evidence = self._evidence(ctx.source, stall.cited, time, note)
        if stall.release:
            self._once(Entity.for_node(node), "kernel.release", stall.release, evidence)
        if stall.kind == "lockup":
            self._set(process, "process.lockup_seconds", stall.seconds or 0, evidence)
            counts.add(node, "node.stalls.lockups", evidence)
        else:
            self._set(process, "process.blocked_seconds", stall.seconds or 0, evidence)
            counts.add(node, "node.stalls.blocked", evidence)
        if stack:
            self._set(process, "process.kernel_stack", stack, evidence)
        if mechanism:
            self._set(process, "process.waits_in", mechanism, evidence)
            counts.add(node, f"node.stalls.{mechanism}", evidence)


def add_kernel_facts(
    store: FactStore, nodes: NodeNames, inputs: list[tuple[KernelReports, Context, TimeContext]]
) -> None:
    facts = KernelFacts(store, nodes)
    for reports, ctx, time in inputs:
        facts.add_input(reports, ctx, time)
    # cgroups' OOM counts were kept with the node counts under a "cgroup:" key
    for (node, name), (value, evidence) in list(facts.counts.items()):
        if name.startswith("cgroup:"):
            del facts.counts[(node, name)]
            path = name.split(":", 1)[1]
            store.add(Fact("cgroup.memory.oom_reports", Entity.cgroup(path, node), value, evidence))
    facts.finish()
