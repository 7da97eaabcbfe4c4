"""Kernel limits (sysctls under ``/proc/sys``), limits.conf entries and the collector's own
ulimits: the numbers to compare usage against."""

from __future__ import annotations

from collections.abc import Iterable

from kubewhy.sources.node.reader import Content, NodeReader, Unreadable

SYSCTLS = (
    "kernel.pid_max",
    "kernel.threads-max",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.softlockup_panic",
    "kernel.hung_task_panic",
    "kernel.hung_task_timeout_secs",
    "vm.max_map_count",
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "vm.min_free_kbytes",
    "vm.swappiness",
    "fs.file-max",
    "fs.file-nr",
    "fs.inotify.max_user_watches",
    "fs.inotify.max_user_instances",
    "net.netfilter.nf_conntrack_max",
    "net.netfilter.nf_conntrack_count",
    "net.netfilter.nf_conntrack_tcp_timeout_established",
)
EXPECTED = frozenset(("kernel.pid_max", "kernel.threads-max", "fs.file-max", "vm.max_map_count"))
LIMITS_FILES_MAX = 200
LIMITS_ENTRIES_MAX = 2_000


def read_sysctls(
    reader: NodeReader, wanted: Iterable[str] = ()
) -> tuple[dict[str, str], list[Unreadable]]:
    """The kernel parameters kubewhy compares usage against: :data:`SYSCTLS` and ``wanted``
    (fact-style names the knowledge base uses, ``kernel.threads_max`` for ``threads-max``)."""
    values: dict[str, str] = {}
    gaps: list[Unreadable] = []
    names = list(SYSCTLS)
    known = {_fact_style(n) for n in names}
    for name in wanted:
        if _fact_style(name) not in known:
            found = _real_name(reader, name)
            if found is not None:
                names.append(found)
                known.add(_fact_style(found))
    for name in names:
        result = reader.read("/proc/sys/" + name.replace(".", "/"), 4096)
        if isinstance(result, Content):
            values[name] = " ".join(result.text().split())
        elif name in EXPECTED:  # the others exist only with their module or kernel option
            gaps.append(result)
    return values, gaps


def _fact_style(name: str) -> str:
    return name.replace("-", "_")


def _real_name(reader: NodeReader, name: str) -> str | None:
    """The sysctl a fact-style name means, as the kernel spells it (``-`` or ``_``), if the
    kernel has it."""
    *folders, leaf = name.split(".")
    listing = reader.listdir("/proc/sys/" + "/".join(folders))
    if isinstance(listing, Unreadable):
        return None
    for entry in listing:
        if _fact_style(entry) == leaf:
            return ".".join([*folders, entry])
    return None


def limits_conf_files(reader: NodeReader) -> list[str]:
    """limits.conf then limits.d/*.conf in C-locale order: the order pam_limits reads them."""
    files = ["/etc/security/limits.conf"]
    listing = reader.listdir("/etc/security/limits.d")
    if not isinstance(listing, Unreadable):
        files += [f"/etc/security/limits.d/{n}" for n in sorted(listing) if n.endswith(".conf")]
    return files[:LIMITS_FILES_MAX]


def parse_limits_line(line: str) -> tuple[str, str, str, str] | None:
    """``<domain> <type> <item> <value>`` of one limits.conf line, comments dropped.

    >>> parse_limits_line("*   soft   nproc   204800  # users")
    ('*', 'soft', 'nproc', '204800')
    >>> parse_limits_line("# comment") is None
    True
    """
    fields = line.split("#", 1)[0].split()
    if len(fields) != 4:
        return None
    return fields[0], fields[1], fields[2], fields[3]


def read_limits_conf(reader: NodeReader) -> tuple[list[dict[str, object]], list[Unreadable]]:
    entries: list[dict[str, object]] = []
    gaps: list[Unreadable] = []
    for path in limits_conf_files(reader):
        result = reader.read(path, 256 << 10)
        if isinstance(result, Unreadable):
            if result.reason != "absent":
                gaps.append(result)
            continue
        for number, line in enumerate(result.text().splitlines(), 1):
            parsed = parse_limits_line(line)
            if parsed and len(entries) < LIMITS_ENTRIES_MAX:
                domain, kind, item, value = parsed
                entries.append(
                    {
                        "file": path,
                        "line": number,
                        "domain": domain,
                        "type": kind,
                        "item": item,
                        "value": value,
                    }
                )
    return entries, gaps


def own_limits() -> dict[str, dict[str, str]]:
    """Soft and hard limits of the collecting process (``/proc/self/limits``, not through root:
    these are kubewhy's own)."""
    found: dict[str, dict[str, str]] = {}
    try:
        with open("/proc/self/limits", encoding="utf-8") as handle:
            text = handle.read(16 << 10)
    except OSError:
        return found
    for line in text.splitlines()[1:]:
        parts = line[26:].split()
        name = line[:26].strip().lower().replace(" ", "_")
        if len(parts) >= 2:
            found[name] = {"soft": parts[0], "hard": parts[1]}
    return found
