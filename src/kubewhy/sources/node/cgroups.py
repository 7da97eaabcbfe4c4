"""pids and memory cgroups of a node: a bounded walk of the v1 hierarchies and of cgroup v2.

Each cgroup becomes one row keyed by its path relative to the hierarchy root (``/kubepods/...``),
so the pids and memory views of the same path (kubelet lays out every controller alike) land on
one row. OOM kill counts are kept local to the cgroup: cgroup v2 counts them hierarchically in
``memory.events`` (``memory.events.local`` is local), so without the local file a parent's own
count is its count less its children's.
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from kubewhy.sources.node.reader import Content, NodeReader, Unreadable

MAX_CGROUPS = 20_000
MAX_DEPTH = 16
CGROUP_ROOT = "/sys/fs/cgroup"


@dataclass(frozen=True)
class Hierarchy:
    mount: str  # node path of the hierarchy root
    version: int
    controllers: tuple[str, ...]


@dataclass
class CgroupWalk:
    rows: dict[str, dict[str, object]] = field(default_factory=dict)
    hierarchies: list[Hierarchy] = field(default_factory=list)
    memcg: dict[str, object] = field(default_factory=dict)
    truncated: bool = False
    gaps: list[Unreadable] = field(default_factory=list)
    seconds: float = 0.0


def find_hierarchies(reader: NodeReader) -> list[Hierarchy]:
    """The pids and memory hierarchies under ``/sys/fs/cgroup`` (v1 per controller, v2 unified
    at the top or at ``unified`` in hybrid mode) with the controllers they carry."""
    found: list[Hierarchy] = []
    for name in ("pids", "memory"):
        mount = f"{CGROUP_ROOT}/{name}"
        local = reader.host_path(mount)
        is_v1 = not (local / "cgroup.controllers").exists()
        if local.is_dir() and is_v1 and (local / "cgroup.procs").exists():
            found.append(Hierarchy(mount, 1, (name,)))
    for mount in (CGROUP_ROOT, f"{CGROUP_ROOT}/unified"):
        controllers = reader.read_quick(f"{mount}/cgroup.controllers")
        if controllers is None:
            continue
        wanted = tuple(c for c in controllers.decode().split() if c in ("pids", "memory"))
        taken = {c for h in found for c in h.controllers}
        wanted = tuple(c for c in wanted if c not in taken)
        if wanted:
            found.append(Hierarchy(mount, 2, wanted))
        break
    return found


def _number(data: bytes | None) -> int | None:
    """A counter or limit; ``max`` and absent give None.

    >>> _number(b"64\\n"), _number(b"max\\n"), _number(None)
    (64, None, None)
    """
    if data is None:
        return None
    try:
        return int(data.split()[0])
    except (ValueError, IndexError):
        return None


def keyed(data: bytes | None) -> dict[str, int]:
    """``key value`` lines (pids.events, memory.events, memory.oom_control, cgroup.stat).

    >>> keyed(b"oom_kill_disable 0\\nunder_oom 0\\noom_kill 1\\n")["oom_kill"]
    1
    """
    result: dict[str, int] = {}
    for line in (data or b"").decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            result[parts[0]] = int(parts[1])
    return result


# v1 reports "no limit" as the largest page-aligned value; anything this large is no limit.
_NO_MEMORY_LIMIT = 1 << 60


def _read_cgroup(reader: NodeReader, node_dir: str, hierarchy: Hierarchy) -> dict[str, object]:
    row: dict[str, object] = {}
    q = reader.read_quick
    if "pids" in hierarchy.controllers:
        current = _number(q(f"{node_dir}/pids.current"))
        if current is not None:
            row["pids_current"] = current
            raw_max = q(f"{node_dir}/pids.max")
            row["pids_max"] = _number(raw_max)
            row["pids_events_max"] = keyed(q(f"{node_dir}/pids.events")).get("max", 0)
    if "memory" in hierarchy.controllers:
        if hierarchy.version == 1:
            limit = _number(q(f"{node_dir}/memory.limit_in_bytes"))
            usage = _number(q(f"{node_dir}/memory.usage_in_bytes"))
            failcnt = _number(q(f"{node_dir}/memory.failcnt"))
            oom = keyed(q(f"{node_dir}/memory.oom_control"))
            if usage is not None:
                row["memory_usage"] = usage
                row["memory_limit"] = limit if limit and limit < _NO_MEMORY_LIMIT else None
                row["memory_failcnt"] = failcnt or 0
                row["oom_kills"] = oom.get("oom_kill", 0)
                row["under_oom"] = oom.get("under_oom", 0)
        else:
            usage = _number(q(f"{node_dir}/memory.current"))
            if usage is not None:
                row["memory_usage"] = usage
                row["memory_limit"] = _number(q(f"{node_dir}/memory.max"))
                events = keyed(q(f"{node_dir}/memory.events"))
                local = q(f"{node_dir}/memory.events.local")
                row["oom_kills_tree"] = events.get("oom_kill", 0)
                if local is not None:
                    row["oom_kills"] = keyed(local).get("oom_kill", 0)
                row["memory_max_events"] = events.get("max", 0)
    return row


def _walk_one(reader: NodeReader, hierarchy: Hierarchy, walk: CgroupWalk, budget: int) -> int:
    """Breadth-first over the hierarchy; returns the number of cgroup directories seen."""
    base = reader.host_path(hierarchy.mount)
    queue: deque[tuple[Path, str, int]] = deque([(base, "/", 0)])
    seen = 0
    while queue:
        local, rel, depth = queue.popleft()
        if seen >= budget:
            walk.truncated = True
            break
        seen += 1
        node_dir = hierarchy.mount if rel == "/" else f"{hierarchy.mount}{rel}"
        row = walk.rows.setdefault(rel, {"path": rel})
        row.update(_read_cgroup(reader, node_dir, hierarchy))
        if depth >= MAX_DEPTH:
            continue
        try:
            with os.scandir(local) as entries:
                children = sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
        except OSError:
            continue
        prefix = "" if rel == "/" else rel
        queue.extend((local / name, f"{prefix}/{name}", depth + 1) for name in children)
    return seen


def _local_oom_kills(rows: dict[str, dict[str, object]]) -> None:
    """Where only the hierarchical v2 count is known, a cgroup's own kills are its count less
    its direct children's."""
    for path, row in rows.items():
        tree = row.get("oom_kills_tree")
        if not isinstance(tree, int) or "oom_kills" in row:
            continue
        prefix = "/" if path == "/" else path + "/"
        children = 0
        for other, child in rows.items():
            rest = other[len(prefix) :]
            if other != path and other.startswith(prefix) and rest and "/" not in rest:
                value = child.get("oom_kills_tree")
                children += value if isinstance(value, int) else 0
        row["oom_kills"] = max(0, tree - children)


def _memcg_counts(reader: NodeReader, walk: CgroupWalk, live: int, version: int) -> None:
    walk.memcg["live_cgroups"] = live
    proc_cgroups = reader.read_quick("/proc/cgroups")
    num = None
    for line in (proc_cgroups or b"").decode().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "memory" and parts[2].isdigit():
            num = int(parts[2])
    walk.memcg["num_cgroups"] = num
    if version == 1 and num is not None and not walk.truncated:
        walk.memcg["dying"] = max(0, num - live)
        walk.memcg["dying_source"] = "/proc/cgroups num_cgroups less live memory cgroup dirs"
    elif version == 2:
        stat = keyed(reader.read_quick(f"{_v2_mount(walk)}/cgroup.stat"))
        if "nr_dying_subsys_memory" in stat:
            walk.memcg["dying"] = stat["nr_dying_subsys_memory"]
            walk.memcg["dying_source"] = "cgroup.stat nr_dying_subsys_memory"
        elif "nr_dying_descendants" in stat:
            walk.memcg["dying"] = stat["nr_dying_descendants"]
            walk.memcg["dying_source"] = "cgroup.stat nr_dying_descendants (all controllers)"


def _v2_mount(walk: CgroupWalk) -> str:
    for hierarchy in walk.hierarchies:
        if hierarchy.version == 2:
            return hierarchy.mount
    return CGROUP_ROOT


def _time_root_memory_stat(reader: NodeReader, walk: CgroupWalk, mount: str) -> None:
    # The cost kubelet/cAdvisor pays per stats pass; grows with dying memory cgroups.
    result = reader.read(f"{mount}/memory.stat")
    if isinstance(result, Content):
        walk.memcg["stat_read_seconds"] = round(result.seconds, 6)
    else:
        walk.gaps.append(result)


def walk_cgroups(reader: NodeReader) -> CgroupWalk:
    started = time.monotonic()
    walk = CgroupWalk(hierarchies=find_hierarchies(reader))
    for hierarchy in walk.hierarchies:
        seen = _walk_one(reader, hierarchy, walk, MAX_CGROUPS)
        if "memory" in hierarchy.controllers:
            _memcg_counts(reader, walk, seen, hierarchy.version)
            _time_root_memory_stat(reader, walk, hierarchy.mount)
    _local_oom_kills(walk.rows)
    if not walk.hierarchies:
        walk.gaps.append(Unreadable(CGROUP_ROOT, "absent", "no pids or memory cgroup hierarchy"))
    walk.seconds = time.monotonic() - started
    return walk
