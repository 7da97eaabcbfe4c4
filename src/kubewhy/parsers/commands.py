"""Command outputs read by the command that produced them (a section of a pasted terminal session).

The same bytes mean different things after different commands: ``131079`` after
``systemctl list-units --all | wc -l`` is the number of units systemd has loaded, after
``cat /proc/sys/kernel/pid_max`` a kernel limit. Each reader below knows one family of commands
(:mod:`kubewhy.parsers.shell` parses the command line) and turns its output into facts whose
evidence cites the output line and the command. Listings cut by ``head`` or filtered by ``grep``
are never taken for totals; a ``grep`` that printed nothing is evidence of absence; commands that
change the node (``sysctl -w``, ``echo 1 > /proc/...``) print the new state, not the diagnosed
one, and give no fact.

>>> r = COMMANDS.parse("root@n1:~# kubelet --version\\nKubernetes v1.11.2\\n", Context("t", "n1"))
>>> [(f.name, f.value) for f in r.facts]
[('node.kubelet_version', 'v1.11.2')]
>>> r = COMMANDS.parse("kube-3 ~ # systemctl list-units --all | wc -l\\n131079\\n", Context("t"))
>>> [(f.name, f.value, f.evidence.text) for f in r.facts]
[('node.systemd.units', 131079, 'systemctl list-units --all | wc -l -> 131079')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult
from kubewhy.parsers.clocks import read_clocks
from kubewhy.parsers.counted import (
    Output,
    Reader,
    Reading,
    read_agent_counts,
    read_count,
    read_fd_count,
    read_grouped_zombies,
    read_inotify_holders,
    read_one_agent_requests,
    read_program_threads,
)
from kubewhy.parsers.firewall import read_firewall
from kubewhy.parsers.procfs import KUBELET_CONTROLLERS, disabled_controllers
from kubewhy.parsers.sessions import PROMPT_HINT, prompt_of
from kubewhy.parsers.shell import Pipeline, after_global_options, parse_command, remote_command

_CGROUP_FILE = lazy_compile(
    r"^/sys/fs/cgroup/(?:(?P<controller>pids|memory|cpu,cpuacct|cpu|unified)/)?(?P<path>.*?)/?"
    r"(?P<file>pids\.max|pids\.current|pids\.events|memory\.limit_in_bytes|memory\.max|"
    r"memory\.failcnt|memory\.oom_control|memory\.events)$"
)

# --- files read with cat ------------------------------------------------------------------------


def _read_cat(p: Pipeline, out: Output) -> list[Reading] | None:
    src = p.source
    if src.name != "cat" or len(src.paths) != 1 or p.filtered or p.counts_lines:
        return None
    path = src.paths[0]
    lines = [(n, line.strip()) for n, line in out if line.strip()]
    if path == "/proc/net/sockstat":
        return _sockstat_readings(lines)
    if path.startswith("/proc/sys/"):
        if len(lines) != 1:
            return []
        name = "sysctl." + path.removeprefix("/proc/sys/").replace("/", ".").replace("-", "_")
        return [Reading(name, _value(lines[0][1]), lines[0][0])]
    found = _CGROUP_FILE.match(path)
    if found is None:
        return None
    cgroup = Entity.cgroup("/" + found.group("path").strip("/"))
    return _cgroup_readings(found.group("file"), lines, cgroup)


# /proc/net/sockstat (net/ipv4/proc.c sockstat_seq_show): "TCP: inuse %d orphan %d tw %d alloc %d
# mem %ld", mem in pages, the figure the kernel compares with net.ipv4.tcp_mem.
_SOCKSTAT_TCP = lazy_compile(
    r"^TCP: inuse \d+ orphan (?P<orphan>\d+) tw \d+ alloc \d+ mem (?P<mem>\d+)"
)


def _sockstat_readings(lines: list[tuple[int, str]]) -> list[Reading]:
    """The TCP line of /proc/net/sockstat: socket memory in pages and orphaned sockets."""
    for n, text in lines:
        found = _SOCKSTAT_TCP.match(text)
        if found:
            return [
                Reading("node.sockstat.tcp_mem_pages", int(found.group("mem")), n),
                Reading("node.sockstat.tcp_orphans", int(found.group("orphan")), n),
            ]
    return []


def _cgroup_readings(file: str, lines: list[tuple[int, str]], cgroup: Entity) -> list[Reading]:
    if file in (
        "pids.max",
        "pids.current",
        "memory.limit_in_bytes",
        "memory.max",
        "memory.failcnt",
    ):
        if len(lines) != 1:
            return []
        text = lines[0][1]
        if file in ("pids.max", "memory.max") and text == "max":
            return []  # unlimited: no limit to compare with
        if not text.isdigit():
            return []
        name = {
            "pids.max": "cgroup.pids.max",
            "pids.current": "cgroup.pids.current",
            "memory.limit_in_bytes": "cgroup.memory.limit_bytes",
            "memory.max": "cgroup.memory.limit_bytes",
            "memory.failcnt": "cgroup.memory.failcnt",
        }[file]
        return [Reading(name, int(text), lines[0][0], cgroup)]
    wanted = {"pids.events": ("max", "cgroup.pids.events_max")}.get(
        file, ("oom_kill", "cgroup.memory.oom_kills")
    )
    for n, text in lines:
        key, _, value = text.partition(" ")
        if key == wanted[0] and value.strip().isdigit():
            return [Reading(wanted[1], int(value), n, cgroup)]
    return []


# --- other one-line checks ----------------------------------------------------------------------


def _read_sysctl(p: Pipeline, out: Output) -> list[Reading] | None:
    src = p.source
    if src.name != "sysctl" or p.filtered or src.has_flag("-a"):
        return None
    names = [w for w in src.words if re.match(r"^(?:abi|debug|dev|fs|kernel|net|user|vm)\.", w)]
    if not names:
        return None
    lines = [
        (n, line.strip()) for n, line in out if line.strip() and not line.startswith("sysctl:")
    ]
    readings = []
    if src.has_flag("-n") or src.has_flag("-b"):
        for name, (n, text) in zip(names, lines, strict=False):
            readings.append(Reading(_sysctl_fact(name), _value(text), n))
        return readings
    for n, text in lines:
        key, sep, value = text.partition("=")
        if sep:
            readings.append(Reading(_sysctl_fact(key.strip()), _value(value), n))
    return readings


def _sysctl_fact(key: str) -> str:
    return "sysctl." + key.strip("/").replace("/", ".").replace("-", "_")


def _asks_open_files(args: tuple[str, ...]) -> bool:
    """``ulimit -n``, ``-Hn``, ``-Sn``, ``-n -H``: a query of the open-files limit. A value among
    the arguments (``ulimit -n 1024``) sets it instead, and prints nothing."""
    flags = "".join(a[1:] for a in args if a.startswith("-"))
    return (
        bool(args)
        and all(a.startswith("-") for a in args)
        and set(flags) <= set("nHS")
        and ("n" in flags)
    )


def _value(text: str) -> Value:
    stripped = text.strip()
    if re.fullmatch(r"-?\d+", stripped):
        return int(stripped)
    return " ".join(stripped.split())


def _read_simple(p: Pipeline, out: Output) -> list[Reading] | None:
    src = p.source
    lines = [(n, line.strip()) for n, line in out if line.strip()]
    if src.name == "uname" and src.args == ("-r",):
        return [Reading("kernel.release", text, n) for n, text in lines[:1]]
    if src.name == "ulimit" and src.args == ("-u",):
        numbers = [(n, text) for n, text in lines[:1] if text.isdigit()]
        return [Reading("node.ulimit.max_user_processes", int(t), n) for n, t in numbers]
    if src.name == "ulimit" and _asks_open_files(src.args):
        numbers = [(n, text) for n, text in lines[:1] if text.isdigit()]
        hard = "H" in "".join(src.args)
        name = "node.ulimit.open_files_hard" if hard else "node.ulimit.open_files"
        return [Reading(name, int(t), n) for n, t in numbers]
    if src.name == "conntrack" and src.has_flag("-C", "--count") and not p.filtered:
        # The entries in the table now, as /proc/sys/net/netfilter/nf_conntrack_count says.
        numbers = [(n, text) for n, text in lines[:1] if text.isdigit()]
        return [Reading("sysctl.net.netfilter.nf_conntrack_count", int(t), n) for n, t in numbers]
    if src.name == "kubelet" and src.has_flag("--version"):
        for n, line in lines:
            found = re.match(r"Kubernetes (v\d+\.\d+\.\d+\S*)", line)
            if found:
                return [Reading("node.kubelet_version", found.group(1), n)]
        return []
    if src.name in ("iptables", "ip6tables") and src.has_flag("--version", "-V"):
        for n, line in lines:
            found = re.search(r"v(\d+\.\d+(?:\.\d+)?)\s*(?:\((nf_tables|legacy)\))?", line)
            if found:
                return [
                    Reading("node.iptables.backend", found.group(2) or "legacy", n),
                    Reading("node.iptables.version", found.group(1), n),
                ]
        return []
    return None


_LSMOD_ROW = lazy_compile(r"^(\w+)\s+\d+\s+-?\d+\b")


def _read_absence(p: Pipeline, out: Output) -> list[Reading] | None:
    """A grep for a kernel module or a metric that printed nothing (or what it found)."""
    src, greps = p.source, p.grep_patterns
    if len(greps) != 1 or p.counts_lines:
        return None
    wanted = greps[0].strip("'\"^ ")
    lines = [(n, line) for n, line in out if line.strip()]
    if src.name == "lsmod" and re.fullmatch(r"\w+", wanted):
        # grep matches a part of the line: ``lsmod | grep vmx`` lists vmxnet3. Each module row it
        # printed is loaded; no module row at all (nothing, or a note such as "(empty)") says
        # the module the pattern names is not.
        rows = [(n, m.group(1)) for n, line in lines if (m := _LSMOD_ROW.match(line.strip()))]
        if rows:
            return [Reading(f"node.kmod.{name}", True, n) for n, name in rows if wanted in name]
        return [
            Reading(
                f"node.kmod.{wanted}", False, lines[0][0] if lines else (out[0][0] if out else 1)
            )
        ]
    scrape = src.name in ("curl", "wget") and any("metrics" in a for a in src.args)
    # A grep that would have shown node_processes_* (by its name or a part of it).
    if scrape and (wanted.startswith("node_processes") or wanted in "node_processes_"):
        samples = [(n, line) for n, line in lines if line.startswith("node_processes")]
        line = samples[0][0] if samples else (out[0][0] if out else 1)
        return [Reading("node.exporter.processes_metrics", bool(samples), line)]
    return None


def _read_proc_cgroups(p: Pipeline, out: Output) -> list[Reading] | None:
    """``cat /proc/cgroups`` (or its memory row through grep): the memory cgroups the kernel
    counts, removed-but-not-freed ones included."""
    if p.source.name != "cat" or p.source.paths != ("/proc/cgroups",) or p.counts_lines:
        return None
    readings: list[Reading] = []
    others: list[tuple[int, int]] = []
    for n, line in out:
        cells = line.split()
        if len(cells) >= 3 and cells[2].isdigit():
            if cells[0] == "memory":
                readings.append(Reading("node.memcg.num_cgroups", int(cells[2]), n))
            elif cells[0] in ("cpu", "blkio", "pids"):
                others.append((int(cells[2]), n))
    if readings and others:
        count, n = max(others)
        readings.append(Reading("node.cgroups.per_container", count, n))
    off = disabled_controllers(out)
    if off is not None:
        readings.append(Reading("node.cgroup.disabled_controllers", off[0], off[1]))
    return readings


_CGROUP_MEMBERSHIP = lazy_compile(r"^/proc/(?:self|\d+)/cgroup$")


def _read_cgroup_membership(p: Pipeline, out: Output) -> list[Reading] | None:
    """``cat /proc/self/cgroup``: one ``ID:controllers:path`` line per hierarchy. With cgroup v1
    hierarchies listed (IDs above 0), a controller the kubelet needs that is in none of them is
    not mounted: the kernel has it disabled (or lacks it)."""
    src = p.source
    if src.name != "cat" or len(src.paths) != 1 or not _CGROUP_MEMBERSHIP.match(src.paths[0]):
        return None
    if p.filtered or p.sampled:
        return None
    rows = [(n, line.strip().split(":", 2)) for n, line in out if line.strip()]
    v1 = [
        (n, parts)
        for n, parts in rows
        if len(parts) == 3 and parts[0].isdigit() and parts[0] != "0"
    ]
    if len(v1) < 3:
        return []  # cgroup v2 alone (0::/...) or a fragment: nothing to tell
    mounted = {c for _, parts in v1 for c in parts[1].split(",")}
    missing = [c for c in KUBELET_CONTROLLERS if c not in mounted]
    if not missing:
        return []
    return [Reading("node.cgroup.disabled_controllers", ",".join(missing), v1[0][0])]


# --- DNS, tools on the PATH, kernel settings that need the command to be read ---------------------


def _read_resolv_conf(p: Pipeline, out: Output) -> list[Reading] | None:
    """``cat /etc/resolv.conf`` (an empty file prints nothing: no name server for pods that
    inherit it), ``grep nameserver FILE`` and ``grep -c nameserver FILE...``."""
    src = p.source
    files = [a for a in src.paths if a.endswith("resolv.conf")]
    if not files or (p.counts_lines and src.name != "grep"):
        return None
    lines = [(n, line.strip()) for n, line in out if line.strip()]
    if src.name == "cat" and len(files) == 1 and len(src.paths) == 1:
        greps = p.grep_patterns
        if p.filtered and not (greps and all("nameserver" in g for g in greps)):
            return None
        return _resolv(lines, files[0], out)
    if src.name != "grep" or not any("nameserver" in w for w in src.words[:1]):
        return None
    if len(files) != 1:
        return None
    if src.has_flag("-c"):
        counted = [(n, t) for n, t in lines if t.isdigit()]
        return [Reading("node.resolv_conf.nameserver_count", int(t), n) for n, t in counted[:1]]
    return _resolv(lines, files[0], out)


def _resolv(lines: list[tuple[int, str]], path: str, out: Output) -> list[Reading]:
    # Imported when a command needs it, as are the other readers' own modules below: a run
    # imports the parser modules of the formats and commands it meets (see parsers.registry).
    from kubewhy.parsers.nodetools import resolv_conf_readings

    found = resolv_conf_readings([(n, t) for n, t in lines if not t.startswith(("#", ";"))], path)
    first = out[0][0] if out else 1
    return [Reading(name, value, n if lines else first) for name, value, n, _ in found]


# The alternatives' link names of iptables' two backends (iptables 1.8: xtables-*-multi).
_IPTABLES_TARGETS = {
    "iptables-nft": "nf_tables",
    "xtables-nft-multi": "nf_tables",
    "iptables-legacy": "legacy",
    "xtables-legacy-multi": "legacy",
}


def _read_iptables_mode(p: Pipeline, out: Output) -> list[Reading] | None:
    """Which iptables backend the host's ``iptables`` is (``ls -l /sbin/iptables`` shows the
    link: ``-> iptables-nft``), and which one k3s's bundled iptables chose (k3s-root's
    iptables-detect.sh: "mode is legacy detected via rules and containerized is false")."""
    src = p.source
    lines = [(n, line.strip()) for n, line in out if line.strip()]
    if src.name == "iptables-detect.sh":
        for n, line in lines:
            found = re.match(r"mode is (legacy|nft) detected via", line)
            if found:
                mode = "nf_tables" if found.group(1) == "nft" else "legacy"
                return [Reading("node.iptables.bundled_mode", mode, n)]
        return []
    if (
        src.name == "ls"
        and src.has_flag("-l")
        and any(w.endswith("bin/iptables") for w in src.words)
    ):
        for n, line in lines:
            found = re.search(r"bin/iptables -> (?:\S*/)?([\w-]+)$", line)
            if found and found.group(1) in _IPTABLES_TARGETS:
                return [Reading("node.iptables.backend", _IPTABLES_TARGETS[found.group(1)], n)]
        return []
    return None


def _read_which(p: Pipeline, out: Output) -> list[Reading] | None:
    """``which conntrack`` / ``command -v conntrack``: a path, or nothing (not on the PATH)."""
    src = p.source
    if p.filtered or p.counts_lines:
        return None
    if not (src.name == "which" or (src.name == "command" and src.has_flag("-v"))):
        return None
    names = list(src.words)
    if len(names) != 1 or not re.fullmatch(r"[\w.+-]+", names[0]):
        return None
    name = names[0]
    lines = [(n, line.strip()) for n, line in out if line.strip()]
    found = [(n, t) for n, t in lines if t.startswith("/") and t.rsplit("/", 1)[-1] == name]
    if found:
        return [Reading(f"node.binary.{name}", True, found[0][0])]
    missing = [(n, t) for n, t in lines if re.search(r"\bno \S+ in \(|not found", t)]
    if missing or not lines:
        return [Reading(f"node.binary.{name}", False, (missing or lines or out or [(1, "")])[0][0])]
    return []


_BRIDGE_MISSING = lazy_compile(r"/proc/sys/net/bridge/\S*: No such file or directory")


def _read_missing_bridge(p: Pipeline, out: Output) -> list[Reading] | None:
    """``sysctl net.bridge.bridge-nf-call-iptables`` or a ``cat`` of it that finds no such key:
    the keys exist only while br_netfilter is loaded."""
    src = p.source
    asks = any("net.bridge." in w or "/proc/sys/net/bridge/" in w for w in src.args)
    if src.name not in ("sysctl", "cat") or not asks or p.writes:
        return None
    missing = [(n, line) for n, line in out if _BRIDGE_MISSING.search(line)]
    if not missing:
        return None
    return [Reading("node.kmod.br_netfilter", False, missing[0][0])]


def _read_proc_cmdline(p: Pipeline, out: Output) -> list[Reading] | None:
    if p.source.name != "cat" or p.source.paths != ("/proc/cmdline",) or p.filtered:
        return None
    lines = [(n, line) for n, line in out if line.strip()]
    if not lines:
        return []
    n, line = lines[0]
    from kubewhy.parsers.nettools import cmdline_readings

    return [Reading(name, value, n) for name, value in cmdline_readings(line)]


def _read_tcpdump(p: Pipeline, out: Output) -> list[Reading] | None:
    """A capture on a VXLAN device in which a connection's first SYN went unanswered and its
    resend, 1 s later, was answered (:func:`kubewhy.parsers.nettools.first_syn_lost`)."""
    src = p.source
    if src.name != "tcpdump" or p.counts_lines:
        return None
    from kubewhy.parsers.nettools import first_syn_lost

    line = first_syn_lost(src.option("-i", "--interface"), out)
    return [] if line is None else [Reading("node.net.overlay_first_syn_lost", True, line)]


def _read_probe(p: Pipeline, out: Output) -> list[Reading] | None:
    """A connectivity probe (ping, curl, wget, telnet, nc), run here or in a pod: how far it got
    to its address (:mod:`kubewhy.parsers.probes`). Last of the readers: a curl of a metrics
    endpoint is the metrics' readers' first."""
    if p.counts_lines or p.filtered:
        return None  # a filter keeps part of what the probe printed, not how it ended
    stage = remote_command(p.source) or p.source
    from kubewhy.parsers.probes import probe_readings

    found = probe_readings((stage.name, *stage.args), out)
    return None if found is None else [Reading(name, value, n) for name, value, n in found]


def _read_firewall(p: Pipeline, out: Output) -> list[Reading] | None:
    """What the host firewall admits (``firewall-cmd --state/--list-all``, ``ufw status``); a
    listing cut by grep or head is not the whole zone."""
    if p.filtered or p.sampled or p.counts_lines:
        return None
    found = read_firewall((p.source.name, *p.source.args), out)
    return None if found is None else [Reading(name, value, n) for name, value, n in found]


def _read_sockets(p: Pipeline, out: Output) -> list[Reading] | None:
    """``netstat -an`` / ``ss -lntu``: a DNS stub listening on loopback only. Rows are whole
    even through grep, so a filtered listing is read too (and its silence proves nothing)."""
    src = p.source
    if src.name not in ("netstat", "ss") or p.counts_lines:
        return None
    # Only socket listings: statistics (-s), interfaces (-i), routes (-r) are other readers'.
    if not src.has_flag("-l", "-a", "--listening", "--all") or src.has_flag("-s", "-i", "-r", "-g"):
        return None
    from kubewhy.parsers.sockets import dns_stub_readings, listener_readings

    found = [*dns_stub_readings(out), *listener_readings(out)]
    return [Reading(name, value, n) for name, value, n in found]


# systemd's `systemctl status UNIT` (src/systemctl/systemctl-show.c): "Tasks: %u (limit: %u)"
# for the unit's pids cgroup, and the "CGroup: PATH" line naming it.
_STATUS_TASKS = lazy_compile(r"^\s*Tasks:\s+(?P<current>\d+)(?:\s+\(limit:\s+(?P<limit>\d+)\))?")
_STATUS_CGROUP = lazy_compile(r"^\s*CGroup:\s+(?P<path>/\S+)")


def _read_systemctl_status(p: Pipeline, out: Output) -> list[Reading] | None:
    """A unit's tasks and their limit (systemd's TasksMax) from ``systemctl status UNIT``, as the
    pids cgroup of the unit they are about. Its lines are whole through grep: a filtered status
    is read too, a count of its lines is not."""
    src = p.source
    if src.name != "systemctl" or src.words[:1] != ("status",) or len(src.words) != 2:
        return None
    if p.counts_lines:
        return None
    tasks = next(((n, m) for n, line in out if (m := _STATUS_TASKS.match(line))), None)
    if tasks is None:
        return []
    paths = (m.group("path") for _, line in out if (m := _STATUS_CGROUP.match(line)))
    unit = src.words[1] if "." in src.words[1] else f"{src.words[1]}.service"
    cgroup = Entity.cgroup(next(paths, f"/system.slice/{unit}"))
    n, found = tasks
    readings = [Reading("cgroup.pids.current", int(found.group("current")), n, cgroup)]
    if found.group("limit"):
        readings.append(Reading("cgroup.pids.max", int(found.group("limit")), n, cgroup))
    return readings


# `kubectl get nodes -o custom-columns=NAME:.metadata.name,MACHINE-ID:.status.nodeInfo.machineID`:
# the command line says which field each column holds.
_NODE_COLUMN_FACTS = {
    ".status.nodeInfo.machineID": "node.machine_id",
    ".status.nodeInfo.kernelVersion": "kernel.release",
    ".status.nodeInfo.kubeletVersion": "node.kubelet_version",
    ".status.nodeInfo.containerRuntimeVersion": "node.container_runtime",
    ".status.nodeInfo.osImage": "os.pretty_name",
}


def _custom_columns(spec: str) -> list[tuple[str, str]]:
    """(header, JSON path) of each column in a custom-columns spec."""
    columns = []
    for part in spec.strip("'\"").split(","):
        header, sep, path = part.partition(":")
        if sep and path.startswith("."):
            columns.append((header, path))
    return columns


def _read_node_columns(p: Pipeline, out: Output) -> list[Reading] | None:
    """Node fields from ``kubectl get nodes -o custom-columns=...``, one row a node."""
    src = p.source
    words = after_global_options(src) if src.name in ("kubectl", "k", "oc") else ()
    output = src.option("-o", "--output") or ""
    if words[:2] not in (("get", "nodes"), ("get", "node"), ("get", "no")):
        return None
    if not output.startswith("custom-columns="):
        return None
    columns = _custom_columns(output.removeprefix("custom-columns="))
    paths = [path for _, path in columns]
    if ".metadata.name" not in paths or not any(path in _NODE_COLUMN_FACTS for path in paths):
        return None
    name_at = paths.index(".metadata.name")
    readings = []
    for n, line in out:
        cells = line.split()
        if len(cells) != len(columns) or cells[name_at] == columns[name_at][0]:
            continue  # the header, or a row whose values hold spaces
        node = Entity.for_node(cells[name_at])
        for cell, path in zip(cells, paths, strict=True):
            name = _NODE_COLUMN_FACTS.get(path)
            if name and cell != "<none>":
                readings.append(Reading(name, cell, n, node))
    return readings


def _read_kubectl_top(p: Pipeline, out: Output) -> list[Reading] | None:
    src = p.source
    words = after_global_options(src) if src.name == "kubectl" else ()
    if words[:1] != ("top",) or p.counts_lines:
        return None
    from kubewhy.parsers.kube_top import top_readings

    return top_readings(words, src.option("-n", "--namespace"), out)


READERS: Sequence[Reader] = (
    _read_proc_cgroups,
    _read_cgroup_membership,
    _read_missing_bridge,
    _read_resolv_conf,
    _read_proc_cmdline,
    _read_which,
    _read_iptables_mode,
    _read_firewall,
    _read_tcpdump,
    _read_sockets,
    _read_kubectl_top,
    _read_node_columns,
    _read_systemctl_status,
    read_grouped_zombies,
    read_inotify_holders,
    read_one_agent_requests,
    read_agent_counts,
    read_program_threads,
    read_fd_count,
    read_count,
    _read_cat,
    _read_sysctl,
    read_clocks,
    _read_simple,
    _read_absence,
    _read_probe,
)


def interpret(command: str, out: Output) -> list[Reading] | None:
    """What ``out``, printed by ``command``, says; None when no reader knows the command, [] when
    it is known but printed nothing usable (or changed the node instead of reading it)."""
    pipeline = parse_command(command)
    if pipeline is None:
        return None
    if pipeline.writes:
        return []
    for reader in READERS:
        found = reader(pipeline, out)
        if found is not None:
            return found
    return None


def knows(command: str) -> bool:
    """A reader understands this command (whatever it printed)."""
    pipeline = parse_command(command)
    if pipeline is None:
        return False
    if pipeline.writes:
        return True
    return any(reader(pipeline, []) is not None for reader in READERS)


def _kdump(command: str, out: Output) -> list[Reading] | None:
    """Checks of the crash-dump setup (kdump), read as before the session parser existed."""
    lines = [(n, line.strip()) for n, line in out if line.strip()]
    if re.match(r"^cat\s+/sys/kernel/kexec_crash_loaded\b", command):
        return [Reading("node.kdump.enabled", t == "1", n) for n, t in lines[:1] if t in ("0", "1")]
    if re.match(r"^kdump-config\s+show\b", command):
        for n, text in lines:
            if re.search(r"current state:\s+ready to kdump", text, re.I):
                return [Reading("node.kdump.enabled", True, n)]
            if re.search(r"current state:\s+not ready|not installed|command not found", text, re.I):
                return [Reading("node.kdump.enabled", False, n)]
        return []
    if re.match(r"^ls(?:\s+-\w+)*\s+/var/crash/?\s*$", command):
        dumps = [
            (n, t.split()[-1])
            for n, t in lines
            if t.split() and not t.startswith("total") and t.split()[-1] not in (".", "..")
        ]
        line = dumps[0][0] if dumps else (out[0][0] if out else 1)
        return [Reading("node.crash_dumps", len(dumps), line)]
    if re.match(r"^docker\s+version\b", command):
        in_server = False
        for n, text in lines:
            in_server = in_server or text.startswith("Server")
            found = re.match(r"Version:\s+(\S+)", text)
            if found and in_server:
                return [Reading("node.container_runtime", f"docker://{found.group(1)}", n)]
        return []
    return None


def read_output(command: str, out: Output) -> list[Reading] | None:
    return _kdump(command, out) if _kdump(command, []) is not None else interpret(command, out)


def facts_of(command: str, out: Output, ctx: Context) -> list[Fact] | None:
    """The facts of one command's output, each citing its line and the command."""
    readings = read_output(command, out)
    if readings is None:
        return None
    node = Entity.for_node(ctx.node or UNKNOWN_NODE)
    texts = dict(out)
    facts = []
    for r in readings:
        # A count of the cluster's objects (``kubectl get crd | wc -l``) is the cluster's,
        # whichever node the command ran on.
        entity = r.entity or (Entity.cluster() if r.name.startswith("cluster.") else node)
        if entity.kind not in (node.kind, "cluster") and entity.node is None and ctx.node:
            entity = Entity(entity.kind, entity.name, entity.namespace, ctx.node, entity.pid)
        shown = texts.get(r.line, "").strip()
        evidence = Evidence(ctx.source, r.line, None, f"{command} -> {shown or '(no output)'}")
        facts.append(Fact(r.name, entity, r.value, evidence))
    return facts


class CommandOutputs:
    """One section of a session whose command a reader knows."""

    name = "command-output"
    # Its score needs a prompt on the first line.
    hints = (PROMPT_HINT,)

    def sniff(self, head: Sequence[str]) -> float:
        """One prompt with a command a reader knows; a whole session of several commands is
        split first (a transcript of ``cat /proc/sys/...`` lines is the sysctl format's)."""
        prompt = prompt_of(head[0]) if head else None
        if prompt is None or any(prompt_of(line) for line in head[1:]):
            return 0.0
        return 0.95 if _kdump(prompt.command, []) is not None or knows(prompt.command) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1)]
        result = ParseResult()
        first = next(((n, line) for n, line in numbered if line.strip()), None)
        prompt = prompt_of(first[1]) if first else None
        if first is None or prompt is None:
            return result
        output = [(n, t) for n, t in numbered if n > first[0]]
        facts = facts_of(prompt.command, output, ctx)
        result.facts.extend(facts or [])
        return result


COMMANDS = CommandOutputs()
FORMATS = [COMMANDS]
