"""Raw kernel files of a node: /proc/meminfo, /proc/vmstat, /proc/cgroups, /proc/pressure/*,
/proc/loadavg, /proc/uptime and the boot id.

Each is a document format: the whole file becomes facts on the node named by the context
(``(unknown node)`` when nothing says). Files are recognised by content; the node collector
also names the format in its manifest.

>>> from kubewhy.parsers.base import Context
>>> text = "MemTotal:       16000 kB\\nMemAvailable:    4000 kB\\nSwapTotal:  0 kB\\n"
>>> facts = {f.name: f.value for f in MEMINFO.parse(text, Context("m", node="n1")).facts}
>>> facts["node.memory.available_ratio"], facts["node.swap.total_bytes"]
(0.25, 0)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, DocumentFormat, ParseResult


def node_of(ctx: Context) -> Entity:
    return Entity.for_node(ctx.node or UNKNOWN_NODE)


def _fact(name: str, value: Value, ctx: Context, line: int | None, text: str) -> Fact:
    return Fact(name, node_of(ctx), value, Evidence(ctx.source, line, None, text.strip()))


def _numbered(text: str) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


class Meminfo:
    name = "proc-meminfo"

    def sniff(self, head: Sequence[str]) -> float:
        return 0.95 if head and head[0].startswith("MemTotal:") else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[node_of(ctx)])
        values: dict[str, tuple[int, int, str]] = {}
        for number, line in _numbered(text):
            key, sep, rest = line.partition(":")
            parts = rest.split()
            if not sep or not parts or not parts[0].isdigit():
                result.malformed += 1
                continue
            scale = 1024 if parts[1:] == ["kB"] else 1
            values[key] = (int(parts[0]) * scale, number, line)
        names = {
            "MemTotal": "node.memory.total_bytes",
            "MemAvailable": "node.memory.available_bytes",
            "SwapTotal": "node.swap.total_bytes",
        }
        for key, fact in names.items():
            if key in values:
                value, number, line = values[key]
                result.facts.append(_fact(fact, value, ctx, number, line))
        total = values.get("MemTotal", (0, 0, ""))[0]
        for key, fact in (
            ("MemAvailable", "node.memory.available_ratio"),
            ("Cached", "node.memory.cached_ratio"),
        ):
            if total and key in values:
                value, number, line = values[key]
                result.facts.append(_fact(fact, round(value / total, 4), ctx, number, line))
        return result


# Counters that tell reclaim, stalls and OOM kills; the rest of /proc/vmstat stays in the file.
VMSTAT_KEPT = lazy_compile(
    r"^(pgscan_\w+|pgsteal_\w+|allocstall_\w+|oom_kill|pgmajfault|workingset_refault\w*|"
    r"compact_stall|kswapd_\w+|pswpin|pswpout|drop_pagecache|drop_slab)$"
)


class Vmstat:
    name = "proc-vmstat"

    def sniff(self, head: Sequence[str]) -> float:
        return 0.9 if head and head[0].startswith("nr_free_pages ") else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[node_of(ctx)])
        allocstall = 0
        seen_allocstall: list[str] = []
        for number, line in _numbered(text):
            parts = line.split()
            if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
                result.malformed += 1
                continue
            key, value = parts[0], int(parts[1])
            if VMSTAT_KEPT.match(key):
                result.facts.append(_fact(f"node.vmstat.{key}", value, ctx, number, line))
            if key.startswith("allocstall"):
                allocstall += value
                seen_allocstall.append(line)
        if seen_allocstall:
            result.facts.append(
                _fact("node.vmstat.allocstall", allocstall, ctx, None, "; ".join(seen_allocstall))
            )
        return result


# Controllers whose cgroup every container runtime creates for each container, as it does the
# memory one: their counts are what the memory controller's would be without dying cgroups.
PER_CONTAINER_CONTROLLERS = ("cpu", "blkio", "pids")


# Controllers the kubelet refuses to start without (cpu, cpuacct, cpuset and memory in its system
# validation; pids once pod or node PID limits are on, the default since 1.14). A row whose
# `enabled` column is 0 was switched off at boot (cgroup_disable=, or a kernel built that way).
KUBELET_CONTROLLERS = ("cpu", "cpuacct", "cpuset", "memory", "pids")


def disabled_controllers(rows: Iterable[tuple[int, str]]) -> tuple[str, int, str] | None:
    """The controllers the kubelet needs that /proc/cgroups lists as disabled (its fourth
    column), comma-joined, with the first such row's number and text.

    >>> disabled_controllers([(1, "#subsys_name hierarchy num_cgroups enabled"),
    ...                       (2, "cpu 0 39 1"), (3, "memory 0 39 0"), (4, "rdma 0 1 0")])
    ('memory', 3, 'memory 0 39 0')
    """
    off: list[tuple[str, int, str]] = []
    for number, line in rows:
        cells = line.split()
        if len(cells) == 4 and cells[0] in KUBELET_CONTROLLERS and cells[3] == "0":
            off.append((cells[0], number, line))
    if not off:
        return None
    return ",".join(name for name, _, _ in off), off[0][1], off[0][2]


class ProcCgroups:
    name = "proc-cgroups"

    def sniff(self, head: Sequence[str]) -> float:
        return 1.0 if head and head[0].startswith("#subsys_name") else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[node_of(ctx)])
        others: list[tuple[int, int, str]] = []
        # One (memory count, largest per-container count) per reading: a file may hold several
        # (`cat /proc/cgroups; crictl rm ...; cat /proc/cgroups`).
        readings: list[list[tuple[int, int, str] | None]] = []
        for number, line in _numbered(text):
            if line.startswith("#subsys_name") or not readings:
                readings.append([None, None])
            parts = line.split()
            if len(parts) < 3 or not parts[2].isdigit():
                continue
            count = (int(parts[2]), number, line)
            if parts[0] == "memory":
                result.facts.append(_fact("node.memcg.num_cgroups", count[0], ctx, number, line))
                readings[-1][0] = count
            elif parts[0] in PER_CONTAINER_CONTROLLERS:
                others.append(count)
                readings[-1][1] = max(readings[-1][1] or count, count)
        if others:
            most, number, line = max(others)
            result.facts.append(_fact("node.cgroups.per_container", most, ctx, number, line))
        off = disabled_controllers(_numbered(text))
        if off is not None:
            names, number, line = off
            result.facts.append(_fact("node.cgroup.disabled_controllers", names, ctx, number, line))
        grew = _memcg_growth_alone(readings)
        if grew is not None:
            growth, number, line = grew
            result.facts.append(_fact("node.memcg.grew_alone", growth, ctx, number, line))
        return result


def _memcg_growth_alone(
    readings: list[list[tuple[int, int, str] | None]],
) -> tuple[int, int, str] | None:
    """How much the memory controller's count grew from the first reading to the last while
    the per-container controllers' did not: a cgroup removed from every hierarchy but memory
    (a dying memory cgroup) stays counted there."""
    complete = [(m, o) for m, o in readings if m is not None and o is not None]
    if len(complete) < 2:
        return None
    (memory_before, other_before), (memory_after, other_after) = complete[0], complete[-1]
    growth = memory_after[0] - memory_before[0]
    if growth <= 0 or other_after[0] > other_before[0]:
        return None
    return growth, memory_after[1], memory_after[2]


_PSI = lazy_compile(r"^(some|full)((?: \w+=[\d.]+)+)$")


class Pressure:
    """``/proc/pressure/<resource>``; the resource is the file name (cpu, memory, io)."""

    name = "proc-pressure"

    def sniff(self, head: Sequence[str]) -> float:
        return 0.95 if head and head[0].startswith("some avg10=") else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[node_of(ctx)])
        resource = re.sub(r"\W", "_", ctx.source.rstrip("/").rsplit("/", 1)[-1].split(".")[0])
        for number, line in _numbered(text):
            match = _PSI.match(line.strip())
            if not match:
                result.malformed += 1
                continue
            for pair in match.group(2).split():
                key, _, raw = pair.partition("=")
                if key.startswith("avg"):
                    name = f"node.psi.{resource}.{match.group(1)}_{key}"
                    result.facts.append(_fact(name, float(raw), ctx, number, line))
        return result


class Uptime:
    name = "proc-uptime"

    def sniff(self, head: Sequence[str]) -> float:
        return 0.5 if len(head) == 1 and re.fullmatch(r"\d+\.\d\d \d+\.\d\d", head[0]) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[node_of(ctx)])
        parts = text.split()
        try:
            seconds = float(parts[0])
        except (ValueError, IndexError):
            result.malformed += 1
            return result
        result.facts.append(_fact("node.uptime_seconds", seconds, ctx, 1, text))
        return result


class EntityOnly:
    """Files kept for the record that yield no catalogued fact yet (load average, boot id):
    recognised by the collector's hint so they are not scanned as plain text."""

    def __init__(self, name: str, shape: str) -> None:
        self.name = name
        self.shape = shape

    def sniff(self, head: Sequence[str]) -> float:
        return 0.5 if len(head) == 1 and re.fullmatch(self.shape, head[0].strip()) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        return ParseResult(entities=[node_of(ctx)])


MEMINFO = Meminfo()
LOADAVG = EntityOnly("proc-loadavg", r"[\d.]+ [\d.]+ [\d.]+ \d+/\d+ \d+")
BOOT_ID = EntityOnly(
    "proc-boot-id", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
FORMATS: list[DocumentFormat] = [
    MEMINFO,
    Vmstat(),
    ProcCgroups(),
    Pressure(),
    Uptime(),
    LOADAVG,
    BOOT_ID,
]
