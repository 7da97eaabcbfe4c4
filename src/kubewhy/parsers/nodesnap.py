"""The JSON snapshots the node collector writes: processes, cgroups, kernel state and limits.

A snapshot is one header line then one item per line (``kubewhy.sources.node.snapshot``), so a
fact about an item cites that item's line. Formats: ``node-processes``, ``node-cgroups``,
``node-kernel``, ``node-limits``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, DocumentFormat, ParseResult

_UID = r"[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}"
_POD = lazy_compile(rf"pod({_UID})(?:\.slice)?(?:/|$)")
_CONTAINER = lazy_compile(
    r"(?:^|/)(?:cri-containerd-|docker-|crio-|containerd-)?([0-9a-f]{64})(?:\.scope)?$"
)
_QOS = lazy_compile(r"kubepods[-/.](?:slice/kubepods-)?(burstable|besteffort)", re.IGNORECASE)


@dataclass(frozen=True)
class PodCgroup:
    pod_uid: str | None
    container_id: str | None
    qos_class: str | None


def pod_cgroup(path: str) -> PodCgroup:
    """Pod UID, container id and QoS class from a cgroup path as kubelet lays it out
    (cgroupfs or systemd driver; containerd, CRI-O or Docker).

    >>> uid = "1f2e3d4c-0000-1111-2222-333344445555"
    >>> p = pod_cgroup(f"/kubepods/burstable/pod{uid}/" + "a" * 64)
    >>> p.pod_uid == uid, p.container_id == "a" * 64, p.qos_class
    (True, True, 'Burstable')
    >>> p = pod_cgroup("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-"
    ...     "pod1f2e3d4c_0000_1111_2222_333344445555.slice/cri-containerd-" + "b" * 64 + ".scope")
    >>> p.pod_uid, p.container_id[:4], p.qos_class
    ('1f2e3d4c-0000-1111-2222-333344445555', 'bbbb', 'BestEffort')
    >>> pod_cgroup(f"/kubepods.slice/kubepods-pod{uid.replace('-', '_')}.slice").qos_class
    'Guaranteed'
    >>> pod_cgroup("/system.slice/cron.service")
    PodCgroup(pod_uid=None, container_id=None, qos_class=None)
    """
    pod = _POD.search(path)
    if pod is None or "kubepods" not in path:
        return PodCgroup(None, None, None)
    container = _CONTAINER.search(path)
    qos = _QOS.search(path)
    return PodCgroup(
        pod_uid=pod.group(1).replace("_", "-"),
        container_id=container.group(1) if container else None,
        qos_class={"burstable": "Burstable", "besteffort": "BestEffort"}[qos.group(1).lower()]
        if qos
        else "Guaranteed",
    )


def _node(ctx: Context, header: dict[str, Any]) -> Entity:
    name = ctx.node or header.get("node") or UNKNOWN_NODE
    return Entity.for_node(str(name))


class _Snapshot:
    """Common reading of a snapshot: the header, the items and their line numbers."""

    name: str = ""
    list_key: str = ""

    def sniff(self, head: Sequence[str]) -> float:
        if head and head[0].startswith(f'{{"kubewhy_snapshot": "{self.name}"'):
            return 1.0
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            result.malformed += 1
            return result
        if not isinstance(doc, dict) or doc.get("kubewhy_snapshot") != self.name:
            result.malformed += 1
            return result
        items = doc.pop(self.list_key, [])
        node = _node(ctx, doc)
        result.entities.append(node)

        def fact(entity: Entity, name: str, value: Value, line: int | None, why: str) -> None:
            evidence = Evidence(ctx.source, line, None, why)
            result.facts.append(Fact(name, entity, value, evidence))

        # Item i (from 0) is on line i + 2: the header and the list opening share line 1.
        self.read(
            doc,
            [(i + 2, item) for i, item in enumerate(items) if isinstance(item, dict)],
            node,
            fact,
            result,
        )
        return result

    def read(
        self,
        header: dict[str, Any],
        items: list[tuple[int, dict[str, Any]]],
        node: Entity,
        fact: _FactAdder,
        result: ParseResult,
    ) -> None:
        raise NotImplementedError


_FactAdder = Callable[[Entity, str, Value, int | None, str], None]


def _describe(row: dict[str, Any]) -> str:
    command = row.get("cmdline") or f"[{row.get('comm', '')}]"
    text = (
        f"pid {row['pid']} ppid {row.get('ppid')} state {row.get('state')} "
        f"threads {row.get('threads')} cgroup {row.get('pids_cgroup')} cmd {command}"
    )
    nspid = row.get("nspid")
    if nspid:
        text += f" (pid {nspid[-1]} in its PID namespace)"
    return text


class NodeProcesses(_Snapshot):
    name = "node-processes"
    list_key = "processes"

    def read(
        self,
        header: dict[str, Any],
        items: list[tuple[int, dict[str, Any]]],
        node: Entity,
        fact: _FactAdder,
        result: ParseResult,
    ) -> None:
        totals = header.get("totals") or {}
        why = f"process walk of /proc: {json.dumps(totals)}"
        for key, name in (
            ("threads", "node.threads.total"),
            ("processes", "node.processes.total"),
            ("zombies", "node.zombies.total"),
            ("dstate", "node.dstate.total"),
        ):
            if isinstance(totals.get(key), int):
                fact(node, name, totals[key], 1, why)
        by_pid = {row["pid"]: (line, row) for line, row in items if isinstance(row.get("pid"), int)}
        zombies: Counter[int] = Counter()
        zombie_samples: dict[int, list[str]] = {}
        for _, row in items:
            if row.get("state") == "Z" and isinstance(row.get("ppid"), int):
                zombies[row["ppid"]] += 1
                zombie_samples.setdefault(row["ppid"], [])
                if len(zombie_samples[row["ppid"]]) < 5:
                    zombie_samples[row["ppid"]].append(f"{row['pid']} ({row.get('comm')})")
        for line, row in items:
            if not row.get("named") and row["pid"] not in zombies:
                continue
            if row.get("state") == "Z":
                continue
            entity = Entity.process(row["pid"], str(row.get("comm", "")), node.name)
            result.entities.append(entity)
            text = _describe(row)
            fact(entity, "process.threads", int(row.get("threads", 1)), line, text)
            fact(entity, "process.state", str(row.get("state", "?")), line, text)
            fact(entity, "process.ppid", int(row.get("ppid", 0)), line, text)
            fact(
                entity,
                "process.command",
                row.get("cmdline") or f"[{row.get('comm', '')}]",
                line,
                text,
            )
            if isinstance(row.get("rss_kb"), int):
                fact(entity, "process.rss_bytes", row["rss_kb"] * 1024, line, text)
            cgroup = row.get("pids_cgroup")
            if isinstance(cgroup, str):
                fact(entity, "process.cgroup", cgroup, line, text)
                where = pod_cgroup(cgroup)
                if where.container_id:
                    fact(entity, "process.container_id", where.container_id, line, text)
                if where.pod_uid:
                    fact(entity, "process.pod_uid", where.pod_uid, line, text)
            nspid = row.get("nspid")
            if isinstance(nspid, list) and len(nspid) > 1 and nspid[-1] == 1:
                fact(entity, "process.is_container_init", True, line, text)
            if zombies[row["pid"]]:
                samples = ", ".join(zombie_samples[row["pid"]])
                why_z = f"{text}: {zombies[row['pid']]} zombie children, e.g. {samples}"
                fact(entity, "process.zombie_children", zombies[row["pid"]], line, why_z)
        del by_pid


def _cgroup_text(row: dict[str, Any]) -> str:
    shown = {k: v for k, v in row.items() if k != "path" and v is not None}
    return f"cgroup {row['path']}: " + ", ".join(f"{k}={v}" for k, v in shown.items())


class NodeCgroups(_Snapshot):
    name = "node-cgroups"
    list_key = "cgroups"

    def read(
        self,
        header: dict[str, Any],
        items: list[tuple[int, dict[str, Any]]],
        node: Entity,
        fact: _FactAdder,
        result: ParseResult,
    ) -> None:
        memcg = header.get("memcg") or {}
        why = "memory cgroups: " + json.dumps(memcg)
        for key, name in (
            ("live_cgroups", "node.memcg.live_cgroups"),
            ("dying", "node.memcg.dying"),
            ("stat_read_seconds", "node.memcg.stat_read_seconds"),
        ):
            if isinstance(memcg.get(key), int | float):
                fact(node, name, memcg[key], 1, why)
        for line, row in items:
            if isinstance(row.get("path"), str):
                self._cgroup(row, line, node, fact, result)

    def _cgroup(
        self, row: dict[str, Any], line: int, node: Entity, fact: _FactAdder, result: ParseResult
    ) -> None:
        pids_max, current = row.get("pids_max"), row.get("pids_current")
        events = row.get("pids_events_max") or 0
        oom, failcnt, limit = (
            row.get("oom_kills") or 0,
            row.get("memory_failcnt") or 0,
            row.get("memory_limit"),
        )
        if not (isinstance(pids_max, int) or events or oom or failcnt or isinstance(limit, int)):
            return  # an unlimited cgroup with no event says nothing
        entity = Entity.cgroup(row["path"], node.name)
        result.entities.append(entity)
        text = _cgroup_text(row)
        if isinstance(current, int):
            fact(entity, "cgroup.pids.current", current, line, text)
            fact(entity, "cgroup.pids.events_max", int(events), line, text)
        if isinstance(pids_max, int) and isinstance(current, int):
            fact(entity, "cgroup.pids.max", pids_max, line, text)
            if pids_max > 0:
                fact(entity, "cgroup.pids.used_ratio", round(current / pids_max, 4), line, text)
        if "memory_usage" in row:
            fact(entity, "cgroup.memory.oom_kills", int(oom), line, text)
            if "memory_failcnt" in row:
                fact(entity, "cgroup.memory.failcnt", int(failcnt), line, text)
            if isinstance(limit, int):
                fact(entity, "cgroup.memory.limit_bytes", limit, line, text)


class NodeKernel(_Snapshot):
    name = "node-kernel"
    list_key = "crash_files"

    def read(
        self,
        header: dict[str, Any],
        items: list[tuple[int, dict[str, Any]]],
        node: Entity,
        fact: _FactAdder,
        result: ParseResult,
    ) -> None:
        collected, uptime = header.get("collected_at"), header.get("uptime_seconds")
        if isinstance(collected, str) and isinstance(uptime, int | float):
            try:
                at = datetime.fromisoformat(collected).timestamp()
            except ValueError:
                at = None
            if at is not None:
                text = f"collected at {collected}, up {uptime:.0f} s"
                fact(node, "node.collected_at", at, 1, text)
                fact(node, "node.boot_time", round(at - uptime, 3), 1, text)
        if header.get("release"):
            fact(
                node,
                "kernel.release",
                str(header["release"]),
                1,
                f"/proc/sys/kernel/osrelease: {header['release']}",
            )
        os_release = header.get("os_release") or {}
        for key, name in (
            ("ID", "os.id"),
            ("VERSION_ID", "os.version_id"),
            ("PRETTY_NAME", "os.pretty_name"),
        ):
            if os_release.get(key):
                fact(node, name, str(os_release[key]), 1, f"os-release {key}={os_release[key]}")
        kdump = header.get("kdump")
        if isinstance(kdump, dict):
            enabled, why = kdump_enabled(kdump)
            fact(node, "node.kdump.enabled", enabled, 1, why)
        dumps = [row for _, row in items if re.search(r"vmcore|dump\.\d+", str(row.get("path")))]
        if header.get("crash_dir_present") or dumps:
            names = ", ".join(str(row["path"]) for row in dumps[:5]) or "none"
            fact(
                node,
                "node.crash_dumps",
                len(dumps),
                items[0][0] if dumps else 1,
                f"crash dump files under /var/crash: {names}",
            )
        elif "crash_dir_present" in header:
            fact(node, "node.crash_dumps", 0, 1, "no /var/crash folder on the node")
        mounts = header.get("mounts") or {}
        if mounts.get("pid1") == "systemd" and isinstance(mounts.get("kubelet_pods"), int):
            fact(
                node,
                "node.systemd.kubelet_mount_units",
                mounts["kubelet_pods"],
                1,
                f"mounts below /var/lib/kubelet/pods in PID 1's mountinfo (systemd loads a "
                f"mount unit for each): {mounts['kubelet_pods']}, of which subPath "
                f"{mounts.get('kubelet_subpaths')}",
            )


def kdump_enabled(kdump: dict[str, Any]) -> tuple[bool, str]:
    """Whether a crash kernel would catch a panic, and why kubewhy thinks so.

    >>> kdump_enabled({"crash_loaded": True})
    (True, 'a crash kernel is loaded (/sys/kernel/kexec_crash_loaded = 1)')
    >>> kdump_enabled({"crash_loaded": None, "configs": [], "enabled_units": []})[0]
    False
    """
    if kdump.get("crash_loaded"):
        return True, "a crash kernel is loaded (/sys/kernel/kexec_crash_loaded = 1)"
    configured = [c["file"] for c in kdump.get("configs", []) if c.get("use_kdump") in ("1", "yes")]
    units = kdump.get("enabled_units") or []
    if kdump.get("crashkernel") and (configured or units):
        return True, f"crashkernel={kdump['crashkernel']} reserved; kdump enabled by " + ", ".join(
            configured + units
        )
    loaded = kdump.get("crash_loaded")
    state = "not loaded" if loaded is False else "not supported (no kexec_crash_loaded)"
    return False, (
        f"no crash kernel: {state}; crashkernel= {kdump.get('crashkernel') or 'not reserved'}; "
        f"kdump config enabling it: {', '.join(configured + units) or 'none'}"
    )


def effective_nproc(entries: list[dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """The nproc soft limit an ordinary user gets from limits.conf and limits.d, read in order
    (pam_limits: at the same domain, a later entry overrides an earlier one; ``*`` applies to
    every user but root).

    >>> effective_nproc([
    ...     {"file": "/etc/security/limits.conf", "line": 3, "domain": "*", "type": "soft",
    ...      "item": "nproc", "value": "4096"},
    ...     {"file": "/etc/security/limits.d/20-nproc.conf", "line": 1, "domain": "*", "type": "-",
    ...      "item": "nproc", "value": "204800"}])[0]
    '204800'
    """
    found: tuple[str, dict[str, Any]] | None = None
    for entry in entries:
        ordinary = entry.get("item") == "nproc" and entry.get("domain") == "*"
        if ordinary and entry.get("type") in ("soft", "-"):
            value = str(entry.get("value"))
            found = ("unlimited" if value in ("unlimited", "infinity", "-1") else value, entry)
    return found


class NodeLimits(_Snapshot):
    name = "node-limits"
    list_key = "limits_conf"

    def read(
        self,
        header: dict[str, Any],
        items: list[tuple[int, dict[str, Any]]],
        node: Entity,
        fact: _FactAdder,
        result: ParseResult,
    ) -> None:
        for key, raw in (header.get("sysctls") or {}).items():
            value: Value = int(raw) if re.fullmatch(r"-?\d+", str(raw)) else str(raw)
            name = "sysctl." + key.replace("-", "_").replace("/", ".")
            fact(node, name, value, 1, f"/proc/sys/{key.replace('.', '/')} = {raw}")
        nproc = effective_nproc([row for _, row in items])
        if nproc is not None:
            value_text, entry = nproc
            line = next(line for line, row in items if row is entry)
            limit: Value = int(value_text) if value_text.isdigit() else value_text
            fact(
                node,
                "node.limits.nproc",
                limit,
                line,
                f"{entry['file']}:{entry['line']}: {entry['domain']} {entry['type']} nproc "
                f"{entry['value']}",
            )
        own = (header.get("own_limits") or {}).get("max_processes")
        if isinstance(own, dict) and own.get("soft"):
            soft = str(own["soft"])
            fact(
                node,
                "node.ulimit.max_user_processes",
                int(soft) if soft.isdigit() else soft,
                1,
                f"Max processes of the collecting process: soft {soft}, hard {own.get('hard')}",
            )


FORMATS: list[DocumentFormat] = [NodeProcesses(), NodeCgroups(), NodeKernel(), NodeLimits()]
