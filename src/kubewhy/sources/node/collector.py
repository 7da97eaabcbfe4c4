"""Read a live node into an evidence bundle: ``collect_node(root, node_name)``.

Raw kernel files are kept byte for byte with a ``format`` hint; what kubewhy gathers from many
small files (the process table, the cgroups, kernel state, limits) is written as JSON snapshots,
one item per line. Each piece is isolated: a part that cannot be read becomes a gap with its
reason and the rest goes on. Nothing here starts a thread; the only processes started are
``journalctl`` calls, one at a time, where journald keeps a journal.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from kubewhy.model.bundle import Artefact
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.node import cgroups, journals, kernel, kmsg, limits, processes
from kubewhy.sources.node.reader import Content, NodeReader, Unreadable
from kubewhy.sources.node.snapshot import dumps_snapshot

# Raw kernel files: bundle path, node path, format name (parsers/procfs.py).
PROC_FILES = (
    ("proc/meminfo", "/proc/meminfo", "proc-meminfo"),
    ("proc/vmstat", "/proc/vmstat", "proc-vmstat"),
    ("proc/cgroups", "/proc/cgroups", "proc-cgroups"),
    ("proc/pressure/cpu", "/proc/pressure/cpu", "proc-pressure"),
    ("proc/pressure/memory", "/proc/pressure/memory", "proc-pressure"),
    ("proc/pressure/io", "/proc/pressure/io", "proc-pressure"),
    ("proc/loadavg", "/proc/loadavg", "proc-loadavg"),
    ("proc/uptime", "/proc/uptime", "proc-uptime"),
    ("proc/sys/kernel/random/boot_id", "/proc/sys/kernel/random/boot_id", "proc-boot-id"),
)
PROCESS_WALK_SECONDS = 60.0
KUBELET_CMDLINE_CAP = 64 << 10
KUBELET_CONFIG_CAP = 1 << 20


class _Collection:
    def __init__(self, reader: NodeReader, node: str | None) -> None:
        self.reader = reader
        self.node = node
        self.bundle = BundleWriter("node", node)

    def add(
        self,
        path: str,
        data: bytes,
        origin: str,
        started: datetime,
        *,
        fmt: str | None = None,
        component: str | None = None,
        seconds: float = 0.0,
        truncated: bool = False,
        returncode: int | None = None,
    ) -> None:
        artefact = Artefact(
            path=path,
            origin=origin,
            node=self.node,
            component=component,
            format=fmt,
            started=started,
            seconds=round(seconds, 6),
            truncated=truncated,
            returncode=returncode,
        )
        self.bundle.add(path, data, artefact)

    def gap(self, unreadable: Unreadable) -> None:
        self.bundle.gap(unreadable.origin, unreadable.reason, unreadable.detail)

    def snapshot(
        self,
        kind: str,
        header: dict[str, object],
        key: str,
        items: list[object],
        *,
        started: datetime,
        seconds: float,
        truncated: bool = False,
    ) -> None:
        """Write snapshot ``kind`` (``node-processes``) as ``kubewhy/processes.json``."""
        data = dumps_snapshot(kind, {"node": self.node, **header}, key, items)
        self.add(
            f"kubewhy/{kind.removeprefix('node-')}.json",
            data,
            "kubewhy node collector",
            started,
            fmt=kind,
            seconds=seconds,
            truncated=truncated,
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _proc_files(c: _Collection) -> None:
    for path, origin, fmt in PROC_FILES:
        started = _now()
        result = c.reader.read(origin)
        if isinstance(result, Unreadable):
            c.gap(result)
        else:
            c.add(
                path,
                result.data,
                origin,
                started,
                fmt=fmt,
                seconds=result.seconds,
                truncated=result.truncated,
            )


def _processes(c: _Collection) -> list[processes.ProcessRow]:
    started = _now()
    until = time.monotonic() + PROCESS_WALK_SECONDS
    table = processes.walk_processes(c.reader, min(until, c.reader.deadline or until))
    if table.unreadable is not None:
        c.gap(table.unreadable)
    rows = processes.name_and_order(c.reader, table)
    header: dict[str, object] = {
        "totals": table.totals(),
        "vanished_during_walk": table.vanished,
        "rows_kept": len(rows),
        "kept_rule": (
            f"every process up to {processes.MAX_ROWS} rows; command lines of the top "
            f"{processes.TOP_THREAD_OWNERS} thread owners, the top {processes.TOP_PER_CGROUP} "
            "per pids cgroup, parents of zombies, D-state processes and the kubelet"
        ),
    }
    c.snapshot(
        "node-processes",
        header,
        "processes",
        [row.as_json() for row in rows],
        started=started,
        seconds=table.seconds,
        truncated=len(rows) < len(table.rows),
    )
    return table.rows


def _cgroups(c: _Collection) -> None:
    started = _now()
    walk = cgroups.walk_cgroups(c.reader)
    for unreadable in walk.gaps:
        c.gap(unreadable)
    header: dict[str, object] = {
        "hierarchies": [
            {"mount": h.mount, "version": h.version, "controllers": list(h.controllers)}
            for h in walk.hierarchies
        ],
        "memcg": walk.memcg,
    }
    rows: list[object] = [walk.rows[path] for path in sorted(walk.rows)]
    c.snapshot(
        "node-cgroups",
        header,
        "cgroups",
        rows,
        started=started,
        seconds=walk.seconds,
        truncated=walk.truncated,
    )


def _limits(c: _Collection, wanted_sysctls: Collection[str]) -> None:
    started = _now()
    t0 = time.monotonic()
    sysctls, gaps = limits.read_sysctls(c.reader, wanted_sysctls)
    entries, more = limits.read_limits_conf(c.reader)
    for unreadable in gaps + more:
        c.gap(unreadable)
    header: dict[str, object] = {"sysctls": sysctls, "own_limits": limits.own_limits()}
    c.snapshot(
        "node-limits",
        header,
        "limits_conf",
        list(entries),
        started=started,
        seconds=time.monotonic() - t0,
    )


def _kernel(c: _Collection) -> None:
    started = _now()
    t0 = time.monotonic()
    dumps, unreadable = _crash_files(c)
    header: dict[str, object] = {
        **kernel.kernel_identity(c.reader),
        "collected_at": started.isoformat(),
        "kdump": kernel.kdump_state(c.reader),
        "crash_dir_present": unreadable is None,
        "mounts": kernel.mount_counts(c.reader),
    }
    c.snapshot(
        "node-kernel",
        header,
        "crash_files",
        list(dumps),
        started=started,
        seconds=time.monotonic() - t0,
    )


def _crash_files(c: _Collection) -> tuple[list[dict[str, object]], Unreadable | None]:
    dumps, unreadable = kernel.crash_dumps(c.reader)
    if unreadable is not None and unreadable.reason != "absent":
        c.gap(unreadable)
    return dumps, unreadable


def _kernel_log(c: _Collection) -> None:
    started = _now()
    log = kmsg.read_kmsg(c.reader)
    if isinstance(log, Unreadable):
        c.gap(log)
        return
    c.add(
        "kernel/dmesg.txt",
        log.text,
        "/dev/kmsg",
        started,
        component="kernel",
        seconds=log.seconds,
        truncated=log.truncated,
    )


def _journals(c: _Collection, since: str) -> None:
    found, gaps = journals.read_journals(c.reader, since)
    for unreadable in gaps:
        c.gap(unreadable)
    for journal in found:
        c.add(
            f"journal/{journal.name}.log",
            journal.data,
            " ".join(journal.command),
            _now(),
            component=journal.name,
            seconds=journal.seconds,
            returncode=journal.returncode,
        )


def kubelet_config_path(args: list[str]) -> str | None:
    """The ``--config`` file named on a kubelet command line.

    >>> kubelet_config_path(["/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml"])
    '/var/lib/kubelet/config.yaml'
    >>> kubelet_config_path(["kubelet", "--config", "/etc/k.yaml", "--v=2"])
    '/etc/k.yaml'
    """
    for index, arg in enumerate(args):
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
        if arg == "--config" and index + 1 < len(args):
            return args[index + 1]
    return None


def _kubelet(c: _Collection, rows: list[processes.ProcessRow]) -> None:
    kubelets = [row for row in rows if row.comm == "kubelet"]
    if not kubelets:
        c.bundle.gap("kubelet process", "absent", "no process named kubelet on this node")
        return
    row = kubelets[0]
    started = _now()
    args = processes.read_cmdline(c.reader, row.pid, KUBELET_CMDLINE_CAP)
    if not args:
        c.bundle.gap(f"/proc/{row.pid}/cmdline", "absent", "the kubelet exited during collection")
        return
    c.add(
        "kubelet/kubelet-cmdline.txt",
        (processes.scrub(args) + "\n").encode(),
        f"/proc/{row.pid}/cmdline",
        started,
        fmt="kubelet-config",
        component="kubelet",
    )
    config = kubelet_config_path(args)
    if config:
        result = c.reader.read(config, KUBELET_CONFIG_CAP)
        if isinstance(result, Content):
            c.add(
                "kubelet/config.yaml",
                result.data,
                config,
                _now(),
                fmt="kubelet-config",
                component="kubelet",
                seconds=result.seconds,
                truncated=result.truncated,
            )
        else:
            c.gap(result)


def default_node_name(reader: NodeReader) -> str | None:
    for path in ("/proc/sys/kernel/hostname", "/etc/hostname"):
        data = reader.read_quick(path, 4096)
        if data and data.strip():
            return data.decode("utf-8", "replace").strip()
    return None


def collect_node(
    root: Path = Path("/"),
    node_name: str | None = None,
    *,
    timeout: float = 2.0,
    journal_since: str = "-6h",
    sysctls: Collection[str] = (),
    deadline: float = 60.0,
) -> BundleWriter:
    """Everything kubewhy reads on a node, below ``root``, as an in-memory bundle.

    ``node_name`` defaults to the host name read below ``root``. ``timeout`` bounds each read;
    the process walk has its own overall limit. ``sysctls`` are kernel parameters to read besides
    the usual ones (the knowledge base names them). ``deadline`` bounds the whole collection in
    seconds: what is not read by then is a gap. The bundle's manifest lists every artefact and
    every gap.
    """
    reader = NodeReader(root, timeout, time.monotonic() + deadline)
    node = node_name or default_node_name(reader)
    c = _Collection(reader, node)
    _proc_files(c)
    rows = _processes(c)
    _cgroups(c)
    _limits(c, sysctls)
    _kernel(c)
    _kernel_log(c)
    _kubelet(c, rows)
    _journals(c, journal_since)
    return c.bundle
