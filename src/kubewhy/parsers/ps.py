"""Process listings: ``ps -ef``, ``ps aux``/``ps auxf`` (forest), ``ps -eLf`` (one line per
thread) and custom ``ps -eo pid,ppid,stat,nlwp,comm,args`` headers::

    USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND
    root     16099  0.0  0.0   2920  1784 ?        S    21:42   0:00 sleep 20
    root     16101  0.0  0.0      0     0 ?        Z    21:42   0:00  \\_ [sleep] <defunct>

Columns are found from the header (the last column, the command line, takes the rest of the
row); in a forest the parent is found from the ``\\_`` indentation when there is no PPID column.
Each process gets state, parent, command, threads, %CPU and RSS where shown; a parent of zombies
gets ``process.zombie_children``; a process whose parent is a container shim
(``containerd-shim``, ``docker-containerd-shim``, ``conmon``) is a container's init. A complete
listing (one that has PID 1) also gives node totals: processes, zombies, D-state, threads (from
``-L`` or NLWP) and CNI plugin processes. A kubelet's command line also yields its flags.

A forest pasted onto one line (``\\_ docker-containerd-shim ... | \\_ supercronic ... | \\_ [curl]
<defunct>``) is read best-effort: each ``\\_`` segment is a process, zombies are the children of
the nearest live process before them.

>>> text = '''UID   PID  PPID  C STIME TTY  TIME     CMD
... root    1     0  0 10:00 ?    00:00:01 /sbin/init
... root  200     1  0 10:00 ?    00:00:00 containerd-shim -namespace moby
... root  210   200  0 10:00 ?    00:00:00 supercronic /etc/crontab
... root  230   210  0 10:01 ?    00:00:00 [curl] <defunct>'''
>>> r = PsFormat().parse(text, Context("ps.txt", node="n1"))
>>> sorted((f.name, f.value) for f in r.facts if f.entity.kind == "node")
[('node.cni_plugin_processes', 0), ('node.processes.total', 4), ('node.zombies.total', 1)]
>>> [(f.entity.pid, f.value) for f in r.facts if f.name == "process.zombie_children"]
[(210, 1)]
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, ParseResult, Record
from kubewhy.parsers.kubelet import flag_facts

# Header names -> what the column holds. Only the last column may contain spaces.
_COLUMNS = {
    "PID": "pid",
    "PPID": "ppid",
    "LWP": "lwp",
    "SPID": "lwp",
    "TID": "lwp",
    "NLWP": "nlwp",
    "THCNT": "nlwp",
    "STAT": "stat",
    "S": "stat",
    "%CPU": "cpu",
    "RSS": "rss",
    "RSZ": "rss",
    "CMD": "args",
    "COMMAND": "args",
    "ARGS": "args",
    "COMM": "comm",
    "UCOMM": "comm",
}
# lstart prints five words ("Mon Dec  1 21:28:01 2026").
_WIDTHS = {"STARTED": 5, "LSTART": 5}
_HEADER = re.compile(r"^\s*(?:\S++\s+)*?PID\b.*\b(?:CMD|COMMAND|COMM|ARGS|UCOMM)\b")
# Rows without a header (ps ... | grep): the TIME column (m:ss, hh:mm:ss, d-hh:mm:ss) tells them
# from other tables of numbers (vmstat, iostat).
_TIME = r"(?:\d+-)?\d+:\d\d(?::\d\d)?"
# A word before a blank is taken possessively (\S++): a line without blanks (a JSON object)
# fails at once instead of giving the word back one character at a time.
# A numeric user (``ps auxn``) is right-aligned: the row may start with spaces.
_AUX_ROW = re.compile(
    rf"^\s*\S++\s+\d+\s+\d+(?:\.\d+)?\s+\d+(?:\.\d+)?\s+\d+\s+\d+\s+\S+\s+\S+\s+\S+\s+{_TIME}\s"
)
_EF_ROW = re.compile(rf"^\s*\S++\s+\d+\s+\d+\s+\d+\s+\S+\s+\S+\s+{_TIME}\s+\S")
# ps -eo pid,ppid,stat,comm --no-headers (the columns a zombie hunt asks for): the state column
# of process states tells it from other pairs of numbers.
_PID_PPID_STAT_ROW = re.compile(r"^\s*\d+\s+\d+\s+[RSDZTtIXWK][<NLsl+]*\s+\S")
_DEFAULT_PID_PPID_STAT = "PID PPID STAT COMMAND"
_DEFAULT_AUX = "USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND"
_DEFAULT_EF = "UID PID PPID C STIME TTY TIME CMD"
_TREE = re.compile(r"^([\s|]*)\\_ ")
_SHIM = re.compile(r"^(?:docker-)?containerd-shim|^conmon$")
# Programs made to be PID 1: they reap every orphan.
_INITS = frozenset(
    {
        "systemd",
        "init",
        "tini",
        "docker-init",
        "dumb-init",
        "catatonit",
        "s6-svscan",
        "runit",
        "pause",
        "sinit",
        "openrc-init",
        "upstart",
        "launchd",
    }
)
# Plugin binaries from /opt/cni/bin that kubelet/runtime exec per pod; a pile of them still
# alive means CNI calls hang. (Daemons such as calico-node or flanneld are not plugins.)
CNI_PLUGINS = frozenset(
    {
        "bandwidth",
        "bridge",
        "calico",
        "calico-ipam",
        "cilium-cni",
        "dhcp",
        "firewall",
        "flannel",
        "host-device",
        "host-local",
        "ipvlan",
        "loopback",
        "macvlan",
        "multus",
        "portmap",
        "ptp",
        "sbr",
        "static",
        "terway",
        "tuning",
        "vlan",
        "vrf",
        "weave-net",
        "aws-cni",
        "azure-vnet",
    }
)
# One-line forest: the ps columns of the next process at the end of a segment.
_SQUASHED_COLUMNS = re.compile(
    r"(?:^|\s)\S+\s+(\d+)\s+(\d+(?:\.\d+)?)\s+\d+(?:\.\d+)?\s+\d+\s+(\d+)\s+\S+\s+(\S+)\s+\S+\s+"
    r"\d[\d:.]*\s*[|\s]*$"
)


@dataclass
class _Process:
    pid: int
    line: int
    text: str
    ppid: int | None = None
    stat: str | None = None
    args: str = ""
    threads: int | None = None
    rows: int = 1
    cpu: float | None = None
    rss_kib: int | None = None
    zombies: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return command_name(self.args)

    @property
    def state(self) -> str | None:
        if self.stat:
            return self.stat[0]
        return "Z" if "<defunct>" in self.args else None


def command_name(args: str) -> str:
    """The short name of a command line: ``/usr/bin/kubelet --x`` -> ``kubelet``.

    >>> command_name("[kworker/0:1] "), command_name("/opt/cni/bin/terway")
    ('[kworker/0:1]', 'terway')
    """
    args = args.strip()
    if args.startswith("["):
        return args.split("]", 1)[0] + "]"
    first = args.split(None, 1)[0] if args else ""
    return posixpath.basename(first.rstrip(":")) or first


@dataclass(frozen=True)
class _Layout:
    names: list[str]
    widths: list[int]

    @staticmethod
    def of(header: str) -> _Layout:
        titles = header.split()
        names = []
        for index, title in enumerate(titles):
            kind = _COLUMNS.get(title.upper(), title.lower())
            if kind == "args" and index != len(titles) - 1:
                kind = "comm"  # `ps -o comm,args` titles both COMMAND
            names.append(kind)
        return _Layout(names, [_WIDTHS.get(t.upper(), 1) for t in titles])

    @property
    def fixed_tokens(self) -> int:
        return sum(self.widths[:-1])


def _split(line: str, layout: _Layout) -> tuple[dict[str, str], str] | None:
    """Cells of a row and the raw last cell (with its forest art)."""
    spans = [m.span() for m in re.finditer(r"\S+", line)]
    needed = layout.fixed_tokens
    if len(spans) <= needed:
        return None
    cells: dict[str, str] = {}
    cursor = 0
    for name, width in zip(layout.names[:-1], layout.widths[:-1], strict=True):
        start, end = spans[cursor][0], spans[cursor + width - 1][1]
        cells[name] = line[start:end]
        cursor += width
    raw_last = line[spans[needed - 1][1] + 1 :] if needed else line
    cells[layout.names[-1]] = raw_last.strip()
    return cells, raw_last


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


class PsFormat:
    name = "ps"
    # Its scores need the header's PID, rows of one of its layouts, or a forest's branches.
    hints = ("PID", _AUX_ROW, _EF_ROW, _PID_PPID_STAT_ROW, "\\_ ")

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        if any(_HEADER.match(line) and "PID" in line.split() for line in lines[:5]):
            return 0.9
        rows = sum(1 for line in lines if _AUX_ROW.match(line) or _EF_ROW.match(line))
        if rows >= 2 and rows >= 0.7 * len(lines):
            return 0.6
        rows = sum(1 for line in lines if _PID_PPID_STAT_ROW.match(line))
        if rows >= 3 and rows >= 0.8 * len(lines):
            return 0.5
        if any(
            line.count("\\_ ") >= 2 and ("<defunct>" in line or "shim" in line) for line in lines
        ):
            return 0.5
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])
        lines = text.splitlines()
        layout: _Layout | None = None
        processes: dict[int, _Process] = {}
        stack: list[tuple[int, int]] = []  # forest (depth, pid) path to the current row
        has_lwp = False
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if _HEADER.match(line) and "PID" in line.split():
                layout = _Layout.of(line)
                has_lwp = has_lwp or "lwp" in layout.names
                stack.clear()
                continue
            if line.count("\\_ ") >= 2:  # a normal row has one forest branch at most
                self._squashed(line, number, ctx, node, result)
                continue
            if layout is None:
                if _AUX_ROW.match(line):
                    layout = _Layout.of(_DEFAULT_AUX)
                elif _EF_ROW.match(line):
                    layout = _Layout.of(_DEFAULT_EF)
                elif _PID_PPID_STAT_ROW.match(line):
                    layout = _Layout.of(_DEFAULT_PID_PPID_STAT)
                else:
                    result.malformed += 1
                    continue
            split = _split(line, layout)
            pid = _int(split[0].get("pid")) if split else None
            if split is None or pid is None:
                result.malformed += 1
                continue
            cells, raw_last = split
            known = processes.get(pid)
            if known is not None:  # another thread of the same process (ps -L)
                known.rows += 1
                continue
            process = _Process(pid, number, line.rstrip())
            args = cells.get("args") or cells.get("comm") or ""
            tree = _TREE.match(raw_last) if "args" in cells else None
            if tree:
                args = raw_last[tree.end() :].strip()
            process.args = args
            process.stat = cells.get("stat")
            process.ppid = _int(cells.get("ppid"))
            process.threads = _int(cells.get("nlwp"))
            process.rss_kib = _int(cells.get("rss"))
            try:
                process.cpu = float(cells["cpu"]) if "cpu" in cells else None
            except ValueError:
                process.cpu = None
            if "args" in cells:
                depth = len(tree.group(1)) + 1 if tree else 0
                while stack and stack[-1][0] >= depth:
                    stack.pop()
                if process.ppid is None and tree and stack:
                    process.ppid = stack[-1][1]
                stack.append((depth, pid))
            processes[pid] = process
        self._facts(processes, has_lwp, ctx, node, result)
        return result

    def _facts(
        self,
        processes: dict[int, _Process],
        has_lwp: bool,
        ctx: Context,
        node: Entity,
        result: ParseResult,
    ) -> None:
        if has_lwp:
            for process in processes.values():
                process.threads = process.threads or process.rows
        zombies = dstate = cni = 0
        # A listing without parents (ps aux) of a container whose PID 1 is not an init: the
        # kernel reparents every orphan to PID 1, so its zombies are PID 1's to reap.
        init = processes.get(1)
        orphans_to = init if init is not None and init.name not in _INITS else None
        for process in processes.values():
            if process.state == "Z":
                zombies += 1
                parent = processes.get(process.ppid) if process.ppid is not None else None
                if parent is None and process.ppid is None and orphans_to is not None:
                    parent = orphans_to
                if parent is not None:
                    parent.zombies.append(process.pid)
            elif process.state == "D":
                dstate += 1
            cni += process.name in CNI_PLUGINS or process.args.startswith("/opt/cni/bin/")
        for process in processes.values():
            self._process_facts(process, processes, ctx, node, result)
        self._unlisted_parents(processes, ctx, node, result)
        if 1 not in processes:
            self._zombie_sample(processes, ctx, node, result)
            return  # a filtered listing (ps | grep): no node totals

        # Each total cites what it counts, with the first line of that kind as the example.
        def example(kind: str, first: _Process | None) -> Evidence:
            where = (first.line, f"{kind}, e.g. {first.text.strip()}") if first else (None, kind)
            return Evidence(ctx.source, where[0], None, where[1])

        def first_of(test: Callable[[_Process], bool]) -> _Process | None:
            return next((p for p in processes.values() if test(p)), None)

        def is_cni(p: _Process) -> bool:
            return p.name in CNI_PLUGINS or p.args.startswith("/opt/cni/bin/")

        totals: list[tuple[str, int, Evidence]] = [
            (
                "node.processes.total",
                len(processes),
                example(f"{len(processes)} processes listed", None),
            ),
            (
                "node.zombies.total",
                zombies,
                example(f"{zombies} zombie processes", first_of(lambda p: p.state == "Z")),
            ),
            (
                "node.cni_plugin_processes",
                cni,
                example(f"{cni} CNI plugin processes", first_of(is_cni)),
            ),
        ]
        if any(p.stat for p in processes.values()):
            first = first_of(lambda p: p.state == "D")
            totals.append(
                ("node.dstate.total", dstate, example(f"{dstate} processes in D state", first))
            )
        threads = [p.threads for p in processes.values()]
        if all(t is not None for t in threads):
            total = sum(t or 0 for t in threads)
            totals.append(("node.threads.total", total, example(f"{total} threads listed", None)))
        for name, value, evidence in totals:
            result.facts.append(Fact(name, node, value, evidence))

    def _process_facts(
        self,
        process: _Process,
        processes: dict[int, _Process],
        ctx: Context,
        node: Entity,
        result: ParseResult,
    ) -> None:
        entity = Entity.process(process.pid, process.name, node=node.name)
        result.entities.append(entity)
        evidence = Evidence(ctx.source, process.line, None, process.text)
        facts = result.facts
        facts.append(Fact("process.command", entity, process.args, evidence))
        if process.state:
            facts.append(Fact("process.state", entity, process.state, evidence))
        if process.ppid is not None:
            facts.append(Fact("process.ppid", entity, process.ppid, evidence))
        if process.threads is not None:
            facts.append(Fact("process.threads", entity, process.threads, evidence))
        if process.cpu is not None:
            facts.append(Fact("process.cpu_percent", entity, process.cpu, evidence))
        if process.rss_kib is not None:
            facts.append(Fact("process.rss_bytes", entity, process.rss_kib * 1024, evidence))
        parent = processes.get(process.ppid) if process.ppid is not None else None
        if parent is not None and _SHIM.match(parent.name):
            facts.append(Fact("process.is_container_init", entity, True, evidence))
        if process.zombies:
            facts.append(Fact("process.zombie_children", entity, len(process.zombies), evidence))
            facts.append(
                Fact(
                    "process.zombie_command",
                    entity,
                    _most_common(processes, process.zombies),
                    evidence,
                )
            )
            child = processes[process.zombies[0]]
            text = (
                f"process {process.pid} {process.args} has {len(process.zombies)} zombie "
                f"children ({child.args})"
            )
            result.records.append(Record(text, process.line, entity=entity))
        if process.state in ("Z", "D"):
            result.records.append(Record(process.text.strip(), process.line, entity=entity))
        if process.name == "kubelet":
            found, _ = flag_facts(process.args, node, evidence)
            facts.extend(found)

    def _zombie_sample(
        self, processes: dict[int, _Process], ctx: Context, node: Entity, result: ParseResult
    ) -> None:
        """A listing of nothing but zombies (``ps aux | grep defunct``) is a sample someone
        filtered for them: no total, but the most zombies of one command it shows is at least
        how many that command left unreaped."""
        if len(processes) < 3 or any(p.state != "Z" for p in processes.values()):
            return
        by_command: dict[str, list[_Process]] = {}
        for process in processes.values():
            by_command.setdefault(process.name, []).append(process)
        name, rows = max(by_command.items(), key=lambda item: len(item[1]))
        text = f"{len(rows)} zombie {name} processes listed, e.g. {rows[0].text.strip()}"
        evidence = Evidence(ctx.source, rows[0].line, None, text)
        result.facts.append(Fact("node.zombies.sampled", node, len(rows), evidence))
        command = name.strip("[]")
        result.facts.append(Fact("node.zombies.sampled_command", node, command, evidence))

    def _unlisted_parents(
        self, processes: dict[int, _Process], ctx: Context, node: Entity, result: ParseResult
    ) -> None:
        """Zombies whose parent is not in the listing (``ps -ef | grep defunct`` keeps only
        them): the PPID column still names the parent that does not reap them, and the rows
        shown are at least how many it keeps."""
        kept: dict[int, list[_Process]] = {}
        for process in processes.values():
            if process.state == "Z" and process.ppid is not None and process.ppid not in processes:
                kept.setdefault(process.ppid, []).append(process)
        for ppid, children in kept.items():
            entity = Entity.process(ppid, f"pid {ppid}", node=node.name)
            first = children[0]
            text = (
                f"{len(children)} zombie children of pid {ppid} listed, e.g. {first.text.strip()}"
            )
            evidence = Evidence(ctx.source, first.line, None, text)
            result.entities.append(entity)
            result.facts.append(Fact("process.zombie_children", entity, len(children), evidence))
            pids = [c.pid for c in children]
            command = _most_common(processes, pids)
            result.facts.append(Fact("process.zombie_command", entity, command, evidence))

    def _squashed(
        self, line: str, number: int, ctx: Context, node: Entity, result: ParseResult
    ) -> None:
        """A forest pasted onto one line, best effort."""
        segments = re.split(r"\\_ ", line)
        columns = _SQUASHED_COLUMNS.search(segments[0])
        live: tuple[str, int | None] | None = None
        zombies: dict[tuple[str, int | None], list[str]] = {}
        for segment in segments[1:]:
            pid = int(columns.group(1)) if columns else None
            stat = columns.group(4) if columns else None
            nxt = _SQUASHED_COLUMNS.search(segment)
            args = (segment[: nxt.start()] if nxt else segment).strip(" |")
            columns = nxt
            if not args:
                continue
            defunct = "<defunct>" in args
            if pid is not None:
                entity = Entity.process(pid, command_name(args), node=node.name)
                evidence = Evidence(ctx.source, number, None, f"{pid} {stat} \\_ {args}")
                result.entities.append(entity)
                facts = [Fact("process.command", entity, args, evidence)]
                state = "Z" if defunct else (stat or "")[:1]
                if state:
                    facts.append(Fact("process.state", entity, state, evidence))
                parent_pid = live[1] if live else None
                if parent_pid is not None:
                    facts.append(Fact("process.ppid", entity, parent_pid, evidence))
                if live and not defunct and _SHIM.match(command_name(live[0])):
                    facts.append(Fact("process.is_container_init", entity, True, evidence))
                result.facts.extend(facts)
            if defunct:
                result.records.append(Record(args, number, entity=None))
                if live is not None:
                    zombies.setdefault(live, []).append(args)
            else:
                live = (args, pid)
        for (args, pid), children in zombies.items():
            text = f"process {pid or ''} {args} has {len(children)} zombie children ({children[0]})"
            result.records.append(Record(" ".join(text.split()), number))
            if pid is not None:
                entity = Entity.process(pid, command_name(args), node=node.name)
                evidence = Evidence(ctx.source, number, None, " ".join(text.split()))
                result.facts.append(
                    Fact("process.zombie_children", entity, len(children), evidence)
                )


FORMATS = [PsFormat()]


def _most_common(processes: dict[int, _Process], pids: list[int]) -> str:
    """The command most of these processes run (the zombies a parent leaves are of one job)."""
    names = Counter(processes[pid].name.strip("[]") for pid in pids)
    return names.most_common(1)[0][0]
