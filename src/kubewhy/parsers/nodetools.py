"""Outputs of the everyday node tools, recognised by their shape: ``/etc/resolv.conf``, ``top``,
``free``, ``df -h`` and ``df -i``, ``perf top`` / ``perf report``.

Each gives facts on the node the file is about (``(unknown node)`` when nothing says):

- resolv.conf: its name servers (none at all, in a file of only ``search``/``options`` lines,
  leaves CoreDNS without upstreams), and whether one is on loopback (``127.0.0.53`` of
  systemd-resolved, ``127.0.0.1`` of dnsmasq): a pod that inherits it (CoreDNS with
  ``forward . /etc/resolv.conf``, ``dnsPolicy: Default``) sends queries to itself.
- top: load, tasks and zombies, CPU time in iowait, memory and swap as top prints them (KiB,
  MiB or GiB), and the processes it shows (state, %CPU, resident memory): kswapd's CPU share says
  the kernel is reclaiming memory.
- free: memory total and available, swap total.
- df: the fullest filesystem by blocks or by inodes, with its row as evidence.
- perf: the share of samples in kernel functions that name a mechanism (iterating memory
  cgroups, reclaiming pages, spinning on locks, conntrack).

>>> r = RESOLV_CONF.parse("nameserver 127.0.0.53\\noptions edns0\\n", Context("resolv.conf", "n1"))
>>> {f.name: f.value for f in r.facts}
{'node.resolv_conf.nameserver_count': 1, 'node.resolv_conf.nameservers': '127.0.0.53', \
'node.resolv_conf.loopback': True}
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, DocumentFormat, ParseResult, Record

_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def _node(ctx: Context) -> Entity:
    return Entity.for_node(ctx.node or UNKNOWN_NODE)


def _fact(name: str, value: Value, ctx: Context, line: int, text: str) -> Fact:
    return Fact(name, _node(ctx), value, Evidence(ctx.source, line, None, text.strip()))


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


# --- /etc/resolv.conf -----------------------------------------------------------------------------

_RESOLV = re.compile(r"^\s*(?:nameserver|search|domain|options|sortlist)\s+\S|^\s*[#;]")
_RESOLV_DIRECTIVE = re.compile(r"^\s*(?:nameserver|search|domain|options|sortlist)\s+\S")
# Where resolv.conf files live on a node, as a bundle that mirrors the node's paths names them.
_RESOLV_PATH = re.compile(r"(?:^|[/!])((?:etc|run/systemd/resolve)/(?:stub-)?resolv\.conf)$")

ResolvReading = tuple[str, Value, int, str]


def resolv_conf_slug(path: str) -> str:
    """The fact that holds the name servers of the resolv.conf at ``path``.

    >>> resolv_conf_slug("/run/systemd/resolve/resolv.conf")
    'node.resolv_conf.at.run_systemd_resolve_resolv_conf'
    """
    return "node.resolv_conf.at." + re.sub(r"[/.\-]", "_", path.strip("/"))


def resolv_conf_readings(lines: list[tuple[int, str]], path: str | None) -> list[ResolvReading]:
    """What a resolv.conf says: its name servers, how many, whether one is on loopback, and,
    when the file's path is known, its servers under that path (the kubelet reads one file).
    A file with no ``nameserver`` line gives pods that inherit it no server at all."""
    servers = [
        (n, line.split()[1], line)
        for n, line in lines
        if line.split()[:1] == ["nameserver"] and len(line.split()) > 1
    ]
    if servers:
        where, shown = servers[0][0], servers[0][2]
    elif lines:
        where, shown = lines[0]
    else:
        where, shown = 1, "(empty)"
    listed = ",".join(s for _, s, _ in servers)
    out: list[ResolvReading] = [("node.resolv_conf.nameserver_count", len(servers), where, shown)]
    if servers:
        out.append(("node.resolv_conf.nameservers", listed, where, shown))
    # Only a loopback server is news: several copies of the file (the stub's and the upstream
    # one of systemd-resolved) must not hide it behind the last one read.
    loopback = [(n, line) for n, server, line in servers if _is_loopback(server)]
    if loopback:
        out.append(("node.resolv_conf.loopback", True, loopback[0][0], loopback[0][1]))
    if path:
        out.append((resolv_conf_slug(path), listed, where, shown))
    cluster = _cluster_search(lines)
    if cluster is not None:
        out.append(("node.resolv_conf.cluster_search", cluster[1], cluster[0], cluster[2]))
    searched = _loopback_search(lines)
    if searched is not None:
        n, domain, line = searched
        out.append(("node.resolv_conf.search_loopback_domain", domain, n, line))
    return out


def _searched(lines: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """The domains of the ``search`` lines: (line number, domain without its dot, the line)."""
    return [
        (n, domain.rstrip("."), line)
        for n, line in lines
        if line.split()[:1] == ["search"]
        for domain in line.split()[1:]
    ]


def _cluster_search(lines: list[tuple[int, str]]) -> tuple[int, str, str] | None:
    """The cluster's service domain (``svc.cluster.local``) when the file searches it but is not
    a file the kubelet wrote for a pod: those always carry ``options ndots:5``. A node file that
    searches the cluster's domains lists the cluster DNS among its servers (kubespray's
    host_resolvconf mode, hand-made nodes), and CoreDNS forwarding to it asks itself."""
    options = [w for _, line in lines if line.split()[:1] == ["options"] for w in line.split()[1:]]
    if "ndots:5" in options:
        return None
    found = (s for s in _searched(lines) if s[1].startswith("svc.") and s[1].count(".") >= 2)
    return next(found, None)


def _loopback_search(lines: list[tuple[int, str]]) -> tuple[int, str, str] | None:
    """A ``localhost`` domain in the search list. Names under it resolve to loopback (RFC 6761
    section 6.3; systemd-resolved and nss-myhostname synthesise the answer), so every name with
    fewer dots than ndots (5 in pods) is first tried under it and answered with 127.0.0.1 or ::1."""
    for n, domain, line in _searched(lines):
        name = domain.lower()
        if name == "localhost" or name.endswith(".localhost"):
            return n, name, line
    return None


def resolv_conf_path(ctx: Context) -> str | None:
    """The file's path, where the command that printed it or the bundle's file name says."""
    words = (ctx.command or "").split()
    named = [w for w in words[1:] if w.startswith("/") and w.endswith("resolv.conf")]
    if words[:1] == ["cat"] and len(named) == 1:
        return named[0]
    found = _RESOLV_PATH.search(ctx.source)
    return "/" + found.group(1) if found else None


class ResolvConf:
    name = "resolv-conf"
    hints = (_RESOLV_DIRECTIVE,)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines or not any(_RESOLV_DIRECTIVE.match(line) for line in lines):
            return 0.0
        return 0.85 if all(_RESOLV.match(line) for line in lines) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        lines = [(n, line) for n, line in _lines(text) if not line.lstrip().startswith(("#", ";"))]
        for name, value, n, shown in resolv_conf_readings(lines, resolv_conf_path(ctx)):
            result.facts.append(_fact(name, value, ctx, n, shown))
        return result


def _is_loopback(server: str) -> bool:
    try:
        return ipaddress.ip_address(server.split("%", maxsplit=1)[0]).is_loopback
    except ValueError:
        return False


# --- top ----------------------------------------------------------------------------------------

_TOP_HEAD = re.compile(r"^top - \d\d:\d\d:\d\d up ")
_LOAD = re.compile(r"load average:\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)")
_TASKS = re.compile(r"^(?:Tasks|Threads):\s*(\d+) total.*?(\d+) zombie")
_CPU = re.compile(r"^%?Cpu\(s\):.*?([\d.]+)\s*wa\b")
_MEM = re.compile(r"^(KiB|MiB|GiB) Mem\s*:\s*([\d.]+)\s*total,\s*([\d.]+)\s*free")
_SWAP = re.compile(r"^(KiB|MiB|GiB) Swap\s*:\s*([\d.]+)\s*total.*?([\d.]+)\s*avail Mem")
_TOP_ROW = re.compile(
    r"^\s*(?P<pid>\d+)\s+\S+\s+\S+\s+-?\d+\s+\S+\s+(?P<res>\S+)\s+\S+\s+(?P<state>[RSDZTtIX])\s+"
    r"(?P<cpu>[\d.]+)\s+(?P<mem>[\d.]+)\s+\S+\s+(?P<command>\S.*?)\s*$"
)


def _top_bytes(unit: str, number: str) -> int:
    return int(float(number) * {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[unit])


def _res_bytes(text: str) -> int | None:
    """top's RES column: KiB by default, or with a unit letter (``1.2g``)."""
    found = re.fullmatch(r"([\d.]+)([kmgtp]?)", text.lower())
    if not found:
        return None
    return int(float(found.group(1)) * _UNITS.get(found.group(2) or "k", 1 << 10))


class Top:
    name = "top"
    hints = ("top - ",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        return 0.9 if any(_TOP_HEAD.match(line) for line in lines[:3]) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = _node(ctx)
        result = ParseResult(entities=[node])
        facts = result.facts
        for n, line in _lines(text):
            stripped = line.strip()
            if _TOP_HEAD.match(stripped) and (load := _LOAD.search(stripped)):
                for minutes, value in zip(("1m", "5m", "15m"), load.groups(), strict=True):
                    facts.append(_fact(f"node.loadavg.{minutes}", float(value), ctx, n, line))
            elif tasks := _TASKS.match(stripped):
                facts.append(_fact("node.zombies.total", int(tasks.group(2)), ctx, n, line))
            elif cpu := _CPU.match(stripped):
                facts.append(_fact("node.cpu.iowait_percent", float(cpu.group(1)), ctx, n, line))
            elif mem := _MEM.match(stripped):
                total = _top_bytes(mem.group(1), mem.group(2))
                facts.append(_fact("node.memory.total_bytes", total, ctx, n, line))
            elif swap := _SWAP.match(stripped):
                unit = swap.group(1)
                facts.append(
                    _fact("node.swap.total_bytes", _top_bytes(unit, swap.group(2)), ctx, n, line)
                )
                available = _top_bytes(unit, swap.group(3))
                facts.append(_fact("node.memory.available_bytes", available, ctx, n, line))
            elif row := _TOP_ROW.match(line):
                self._process(row, n, line, ctx, result)
        return result

    def _process(
        self, row: re.Match[str], n: int, line: str, ctx: Context, result: ParseResult
    ) -> None:
        name = row.group("command").split()[0]
        entity = Entity.process(int(row.group("pid")), name, node=ctx.node or UNKNOWN_NODE)
        evidence = Evidence(ctx.source, n, None, line.strip())
        result.entities.append(entity)
        cpu = float(row.group("cpu"))
        result.facts.append(Fact("process.state", entity, row.group("state"), evidence))
        result.facts.append(Fact("process.cpu_percent", entity, cpu, evidence))
        rss = _res_bytes(row.group("res"))
        if rss is not None:
            result.facts.append(Fact("process.rss_bytes", entity, rss, evidence))
        if name.startswith("kswapd"):
            result.facts.append(_fact("node.kswapd_cpu_percent", cpu, ctx, n, line))
        if row.group("state") == "D":
            result.records.append(Record(line.strip(), n, entity=entity))


# --- free ---------------------------------------------------------------------------------------

_FREE_HEAD = re.compile(r"^\s*total\s+used\s+free\s+shared\s+buff/cache\s+available\s*$")
_FREE_UNITS = {"-b": 1, "-k": 1 << 10, "-m": 1 << 20, "-g": 1 << 30}


class Free:
    name = "free"
    hints = ("buff/cache",)

    def sniff(self, head: Sequence[str]) -> float:
        return 0.9 if any(_FREE_HEAD.match(line) for line in head[:3]) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        flags = (ctx.command or "").split()
        unit = next((_FREE_UNITS[f] for f in flags if f in _FREE_UNITS), 1 << 10)
        human = "-h" in flags or any(f.startswith("--human") for f in flags)
        for n, line in _lines(text):
            cells = line.split()
            if cells[:1] == ["Mem:"] and len(cells) >= 7:
                total, available = _amount(cells[1], unit, human), _amount(cells[6], unit, human)
                if total is not None:
                    result.facts.append(_fact("node.memory.total_bytes", total, ctx, n, line))
                if available is not None:
                    result.facts.append(
                        _fact("node.memory.available_bytes", available, ctx, n, line)
                    )
            elif cells[:1] == ["Swap:"] and len(cells) >= 2:
                total = _amount(cells[1], unit, human)
                if total is not None:
                    result.facts.append(_fact("node.swap.total_bytes", total, ctx, n, line))
        return result


def _amount(text: str, unit: int, human: bool) -> int | None:
    found = re.fullmatch(r"([\d.]+)([KMGTP]i?)?B?", text)
    if not found:
        return None
    number = float(found.group(1))
    if found.group(2):
        return int(number * _UNITS[found.group(2)[0].lower()])
    return None if human and number else int(number * unit)


# --- df -----------------------------------------------------------------------------------------

_DF_HEAD = re.compile(
    r"^Filesystem\s+(?:(?:1K-blocks|Size|\d+[KMG]?-blocks)\s+Used\s+Avail(?:able)?\s+(?:Use%|Capacity)"
    r"|Inodes\s+IUsed\s+IFree\s+IUse%)\s+Mounted on"
)
_DF_ROW = re.compile(r"^(?P<fs>\S+)\s+(?:\S+\s+){3}(?P<pct>\d+)%\s+(?P<mount>/\S*)\s*$")
# Filesystems that cannot fill up the node's disk, or only mirror the one beneath them.
# Read-only images always show 100%: snaps (squashfs on a loop device), optical drives.
_READ_ONLY_IMAGE = re.compile(r"^/dev/sr\d+$")
_SNAP_MOUNT = re.compile(r"^(?:/var/lib/snapd)?/snap/")
# The filesystems the kubelet's eviction thresholds watch: nodefs (the root, or the kubelet's
# own directory when it is a mount of its own) and imagefs (the runtime's directory).
_KUBELET_FILESYSTEMS = frozenset(
    {"/", "/var", "/var/lib", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd"}
)
_NOT_DISKS = ("tmpfs", "devtmpfs", "shm", "overlay", "none", "udev", "cgroup", "proc", "sysfs")


# A file named after the command that wrote it (df-i.txt, df_inodes.log, df-h.out) says what a
# header-less listing counts; rows whose sizes carry units (20G) are blocks whatever the name.
_INODES_NAME = re.compile(r"(?:^|[-_. ])(?:df[-_ ]?i|inodes?)(?:[-_. ]|$)", re.IGNORECASE)
_BLOCKS_NAME = re.compile(r"(?:^|[-_. ])(?:df(?:[-_ ]?[hk])?|disk|blocks)(?:[-_. ]|$)", re.I)
_SIZE_WITH_UNIT = re.compile(r"^\S+\s+\d+(?:[.,]\d+)?[KMGTP]i?\s")


class Df:
    name = "df"
    # Its header, or rows (a percentage, then the mount point).
    hints = ("Filesystem", re.compile(r"%\s+/"))

    def sniff(self, head: Sequence[str]) -> float:
        if any(_DF_HEAD.match(line) for line in head[:3]):
            return 0.9
        # Pasted without its header: every line a df row.
        rows = [line.strip() for line in head[:20] if line.strip()]
        return 0.5 if len(rows) >= 2 and all(_DF_ROW.match(row) for row in rows) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        inodes: bool | None = "IUse%" in first if _DF_HEAD.match(first) else None
        if inodes is None:
            inodes = _counted_by_name(ctx.source, first)
        best: tuple[int, int, str] | None = None
        kubelet_fs: tuple[int, int, str] | None = None
        for n, printed in _lines(text):
            # People bold the figure that matters when they paste into Markdown (**100%**).
            line = printed.replace("**", "")
            if _DF_HEAD.match(line):
                inodes = "IUse%" in line
                continue
            if inodes is None:
                continue  # no header and no name to say whether it counts blocks or inodes
            row = _DF_ROW.match(line.strip())
            if row is None:
                continue
            # An overlay mounted at / is a host's (or a container's) root: its fill is the disk's.
            if row.group("mount") in ("/run", "/var/run") and inodes is not None:
                # The tmpfs the runtimes keep their state in: full, no container starts.
                name = "node.fs.run_inodes_used_percent" if inodes else "node.fs.run_used_percent"
                result.facts.append(_fact(name, int(row.group("pct")), ctx, n, line))
            root_overlay = row.group("fs") == "overlay" and row.group("mount") == "/"
            fs_name = row.group("fs")
            if not root_overlay and (fs_name.split("/")[-1] in _NOT_DISKS or fs_name in _NOT_DISKS):
                continue
            if _READ_ONLY_IMAGE.match(row.group("fs")) or _SNAP_MOUNT.match(row.group("mount")):
                continue  # a squashfs snap or an ISO is full by construction
            percent = int(row.group("pct"))
            if best is None or percent > best[0]:
                best = (percent, n, line)
            if row.group("mount") in _KUBELET_FILESYSTEMS and (
                kubelet_fs is None or percent > kubelet_fs[0]
            ):
                kubelet_fs = (percent, n, line)
        if best is not None and inodes is not None:
            name = "node.fs.max_inodes_used_percent" if inodes else "node.fs.max_used_percent"
            result.facts.append(_fact(name, best[0], ctx, best[1], best[2]))
        if kubelet_fs is not None and inodes is not None:
            name = (
                "node.fs.kubelet_inodes_used_percent" if inodes else "node.fs.kubelet_used_percent"
            )
            result.facts.append(_fact(name, kubelet_fs[0], ctx, kubelet_fs[1], kubelet_fs[2]))
        return result


def _counted_by_name(source: str, first_row: str) -> bool | None:
    """Whether a header-less df listing counts inodes (True) or blocks (False), from its
    sizes or its file's name; None when neither tells."""
    if _SIZE_WITH_UNIT.match(first_row.strip()):
        return False
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    if _INODES_NAME.search(name):
        return True
    return False if _BLOCKS_NAME.search(name) else None


# --- perf ---------------------------------------------------------------------------------------

_PERF_ROW = re.compile(r"^\s*(?P<pct>[\d.]+)%\s+.*?\[k\]\s+(?P<symbol>[\w.]+)")
# Kernel functions and the mechanism they belong to, from the kernel's own sources
# (mm/memcontrol.c, kernel/cgroup, mm/vmscan.c, kernel/locking, net/netfilter).
MECHANISMS = {
    "memcg_iteration": re.compile(
        r"^(?:memcg_stat_show|memcg_sum_events|memcg_page_state|mem_cgroup_iter|"
        r"mem_cgroup_usage|mem_cgroup_node_nr_lru_pages|mem_cgroup_nr_lru_pages|"
        r"css_next_descendant_pre|memory_stat_show|mem_cgroup_flush_stats|cgroup_rstat_flush)"
    ),
    "reclaim": re.compile(r"^(?:shrink_|isolate_lru_pages|page_referenced|kswapd|do_try_to_free)"),
    "spinlock": re.compile(r"^(?:native_queued_spin_lock_slowpath|_raw_spin_lock|queued_spin)"),
    "conntrack": re.compile(r"^(?:nf_conntrack|__nf_conntrack|nf_ct_)"),
}


class Perf:
    name = "perf"
    hints = ("[k]",)

    def sniff(self, head: Sequence[str]) -> float:
        rows = sum(1 for line in head if _PERF_ROW.match(line))
        return 0.8 if rows >= 3 else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        shares: dict[str, tuple[float, int, str]] = {}
        commands: dict[str, dict[str, float]] = {}
        for n, line in _lines(text):
            row = _PERF_ROW.match(line)
            if row is None:
                continue
            for mechanism, pattern in MECHANISMS.items():
                if pattern.match(row.group("symbol")):
                    total, first, shown = shares.get(mechanism, (0.0, n, line))
                    shares[mechanism] = (total + float(row.group("pct")), first, shown)
                    command = _perf_command(line) or ctx.component or ctx.program
                    if command:
                        by = commands.setdefault(mechanism, {})
                        by[command] = by.get(command, 0.0) + float(row.group("pct"))
        for mechanism, (total, n, line) in shares.items():
            name = f"node.perf.{mechanism}_percent"
            result.facts.append(_fact(name, round(total, 2), ctx, n, line))
            if commands.get(mechanism):
                by = commands[mechanism]
                top = max(by, key=lambda c: by[c])
                result.facts.append(_fact(f"node.perf.{mechanism}_command", top, ctx, n, line))
        return result


# perf report's rows carry the sampled task's command before the shared object ("37.92%  0.02%
# kubelet  [kernel.kallsyms]  [k] memcg_stat_show"); perf top's do not.
_PERF_COMMAND_ROW = re.compile(
    r"^\s*[\d.]+%\s+(?:[\d.]+%\s+)?(?P<comm>[^\s\[][^\s]*)\s+(?:\[[^\]]+\]|\S+)\s+\[k\]"
)


def _perf_command(line: str) -> str | None:
    found = _PERF_COMMAND_ROW.match(line)
    return found.group("comm") if found else None


RESOLV_CONF = ResolvConf()


# --- the memory-available.sh of the Kubernetes docs ---------------------------------------------

# The script (node-pressure eviction docs) prints what the kubelet computes memory.available from:
# the node's capacity, and the root memory cgroup's usage, inactive file pages and working set.
_MEMORY_AVAILABLE = re.compile(
    r"^memory\.(capacity_in_bytes|usage_in_bytes|total_inactive_file|working_set|"
    r"available_in_bytes)\s+(-?\d+)\b"
)
_MEMORY_AVAILABLE_FACTS = {
    "capacity_in_bytes": "node.memory.total_bytes",
    "usage_in_bytes": "node.memcg.root_usage_bytes",
    "working_set": "node.memcg.root_working_set_bytes",
}


class MemoryAvailable:
    name = "memory-available"
    hints = ("memory.capacity_in_bytes",)

    def sniff(self, head: Sequence[str]) -> float:
        rows = [line.strip() for line in head[:10] if line.strip()]
        found = {m.group(1) for row in rows if (m := _MEMORY_AVAILABLE.match(row))}
        return 0.9 if {"capacity_in_bytes", "usage_in_bytes"} <= found else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        for n, line in _lines(text):
            row = _MEMORY_AVAILABLE.match(line.strip())
            name = _MEMORY_AVAILABLE_FACTS.get(row.group(1)) if row else None
            if row is not None and name is not None:
                result.facts.append(_fact(name, int(row.group(2)), ctx, n, line))
        return result


FORMATS: list[DocumentFormat] = [RESOLV_CONF, Top(), Free(), Df(), Perf(), MemoryAvailable()]
