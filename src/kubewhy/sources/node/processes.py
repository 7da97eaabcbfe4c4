"""The process table of a node, read from ``/proc/<pid>`` without forking anything.

Two small reads per process (``status`` and ``cgroup``), a third (``cmdline``) only for the
processes worth naming: the biggest thread owners (overall and per pids cgroup), parents of
zombies, processes in D state and the kubelet. Totals count every process; the stored table is
capped at :data:`MAX_ROWS` rows with the processes worth naming first, so a node with a runaway
process count still gives a bounded snapshot with the culprits in it.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from kubewhy.sources.node.reader import NodeReader, Unreadable

MAX_ROWS = 50_000
TOP_THREAD_OWNERS = 20
TOP_PER_CGROUP = 5
MAX_CGROUPS_DETAILED = 200
MAX_NAMED = 2_000
CMDLINE_CAP = 4 << 10


@dataclass
class ProcessRow:
    pid: int
    ppid: int
    state: str
    threads: int
    comm: str
    uid: int | None = None
    rss_kb: int | None = None
    nspid: list[int] = field(default_factory=list)
    pids_cgroup: str | None = None
    memory_cgroup: str | None = None
    cmdline: str | None = None
    named: bool = False

    def as_json(self) -> dict[str, object]:
        row: dict[str, object] = {
            "pid": self.pid,
            "ppid": self.ppid,
            "state": self.state,
            "threads": self.threads,
            "comm": self.comm,
        }
        optional = {
            "uid": self.uid,
            "rss_kb": self.rss_kb,
            "nspid": self.nspid if len(self.nspid) > 1 else None,
            "pids_cgroup": self.pids_cgroup,
            "memory_cgroup": self.memory_cgroup,
            "cmdline": self.cmdline,
            "named": True if self.named else None,
        }
        row.update({k: v for k, v in optional.items() if v is not None})
        return row


@dataclass
class ProcessTable:
    rows: list[ProcessRow]
    seconds: float
    vanished: int  # processes that exited during the walk
    unreadable: Unreadable | None = None

    def totals(self) -> dict[str, int]:
        states = Counter(row.state for row in self.rows)
        return {
            "processes": len(self.rows),
            "threads": sum(row.threads for row in self.rows),
            "zombies": states.get("Z", 0),
            "dstate": states.get("D", 0),
        }


def parse_status(text: str) -> dict[str, str]:
    """Fields of ``/proc/<pid>/status`` that the table keeps.

    >>> parse_status("Name:\\tsupercronic\\nState:\\tS (sleeping)\\nNSpid:\\t4242\\t1\\n")["NSpid"]
    '4242\\t1'
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "State", "PPid", "Threads", "NSpid", "VmRSS", "Uid"):
            fields[key] = value.strip()
    return fields


def parse_proc_cgroup(text: str) -> tuple[str | None, str | None]:
    """The pids and memory cgroup paths of a process from ``/proc/<pid>/cgroup``.

    On a v1 hierarchy the controller is named; on cgroup v2 (``0::/path``) one path serves both.

    >>> parse_proc_cgroup("8:pids:/kubepods/pod1\\n4:memory:/kubepods/pod1\\n0::/\\n")
    ('/kubepods/pod1', '/kubepods/pod1')
    >>> parse_proc_cgroup("0::/kubepods.slice/x.scope\\n")
    ('/kubepods.slice/x.scope', '/kubepods.slice/x.scope')
    """
    pids = memory = unified = None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        controllers = parts[1].split(",")
        if "pids" in controllers:
            pids = parts[2]
        if "memory" in controllers:
            memory = parts[2]
        if parts[0] == "0" and parts[1] == "":
            unified = parts[2]
    return pids or unified, memory or unified


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int((value or "").split()[0])
    except (ValueError, IndexError):
        return default


def _row(reader: NodeReader, pid: int) -> ProcessRow | None:
    status = reader.read_quick(f"/proc/{pid}/status")
    if status is None:
        return None
    fields = parse_status(status.decode("utf-8", "replace"))
    cgroup = reader.read_quick(f"/proc/{pid}/cgroup")
    pids_cg, memory_cg = (
        parse_proc_cgroup(cgroup.decode("utf-8", "replace"))
        if cgroup
        else (
            None,
            None,
        )
    )
    nspid = [_int(p) for p in fields.get("NSpid", "").split()]
    return ProcessRow(
        pid=pid,
        ppid=_int(fields.get("PPid")),
        state=(fields.get("State") or "?")[:1],
        threads=_int(fields.get("Threads"), 1),
        comm=fields.get("Name", ""),
        uid=_int(fields.get("Uid"), -1) if "Uid" in fields else None,
        rss_kb=_int(fields.get("VmRSS")) if "VmRSS" in fields else None,
        nspid=nspid,
        pids_cgroup=pids_cg,
        memory_cgroup=memory_cg,
    )


def walk_processes(reader: NodeReader, deadline: float) -> ProcessTable:
    """Every process under ``<root>/proc``, until ``deadline`` (a ``time.monotonic`` value)."""
    started = time.monotonic()
    listing = reader.listdir("/proc")
    if isinstance(listing, Unreadable):
        return ProcessTable([], 0.0, 0, listing)
    rows: list[ProcessRow] = []
    vanished = 0
    unreadable = None
    for name in listing:
        if not name.isdigit():
            continue
        if time.monotonic() > deadline:
            unreadable = Unreadable("/proc", "timeout", f"process walk stopped after {len(rows)}")
            break
        row = _row(reader, int(name))
        if row is None:
            vanished += 1
        else:
            rows.append(row)
    rows.sort(key=lambda r: r.pid)
    return ProcessTable(rows, time.monotonic() - started, vanished, unreadable)


def worth_naming(rows: list[ProcessRow]) -> list[ProcessRow]:
    """The processes whose command line is read and whose rows are kept first.

    >>> rows = [ProcessRow(1, 0, "S", 1, "init"), ProcessRow(7, 1, "Z", 1, "curl"),
    ...         ProcessRow(9, 1, "S", 300, "leaky")]
    >>> [r.pid for r in worth_naming(rows)]
    [9, 1, 7]
    """
    by_pid = {row.pid: row for row in rows}
    chosen: dict[int, ProcessRow] = {}
    by_threads = sorted(rows, key=lambda r: (-r.threads, r.pid))
    for row in by_threads[:TOP_THREAD_OWNERS]:
        chosen.setdefault(row.pid, row)
    per_cgroup: dict[str, list[ProcessRow]] = defaultdict(list)
    cgroup_threads: Counter[str] = Counter()
    for row in by_threads:
        key = row.pids_cgroup or "/"
        cgroup_threads[key] += row.threads
        if len(per_cgroup[key]) < TOP_PER_CGROUP:
            per_cgroup[key].append(row)
    for cgroup, _ in cgroup_threads.most_common(MAX_CGROUPS_DETAILED):
        for row in per_cgroup[cgroup]:
            chosen.setdefault(row.pid, row)
    for row in rows:
        if row.state == "Z" and row.ppid in by_pid:
            chosen.setdefault(row.ppid, by_pid[row.ppid])
    for row in rows:
        if row.state in ("Z", "D") or row.comm == "kubelet":
            chosen.setdefault(row.pid, row)
    return list(chosen.values())[:MAX_NAMED]


_SECRET = re.compile(
    r"((?:password|passwd|secret|token|apikey|api_key|api-key|credential|private.?key)"
    r"[^=:\s\"']*[\"']?\s*[=:]\s*[\"']?)[^\s\"',]+",
    re.IGNORECASE,
)


_SECRET_FLAG = re.compile(r"^--?[\w-]*(?:password|secret|token|credential)[\w-]*$", re.IGNORECASE)


def scrub(args: list[str]) -> str:
    """A command line with the values of secret-looking options and keys masked.

    >>> scrub(["app", "--db-password=hunter2", "--auth-token", "abc", "--port=80"])
    'app --db-password=*** --auth-token *** --port=80'
    >>> scrub(['{"GITHUB_TOKEN": "ghp_x", "HOME": "/root"}'])
    '{"GITHUB_TOKEN": "***", "HOME": "/root"}'
    """
    masked: list[str] = []
    for index, arg in enumerate(args):
        if index > 0 and _SECRET_FLAG.match(args[index - 1]):
            masked.append("***")
        else:
            masked.append(_SECRET.sub(lambda m: m.group(1) + "***", arg))
    return " ".join(masked)


def read_cmdline(reader: NodeReader, pid: int, cap: int = CMDLINE_CAP) -> list[str] | None:
    data = reader.read_quick(f"/proc/{pid}/cmdline", cap)
    if data is None:
        return None
    return [arg.decode("utf-8", "replace") for arg in data.split(b"\0") if arg]


def name_and_order(reader: NodeReader, table: ProcessTable) -> list[ProcessRow]:
    """Read command lines of the processes worth naming; those rows first, then the rest,
    capped at :data:`MAX_ROWS`."""
    named = worth_naming(table.rows)
    for row in named:
        row.named = True
        args = read_cmdline(reader, row.pid)
        if args:
            row.cmdline = scrub(args)
    seen = {row.pid for row in named}
    rest = [row for row in table.rows if row.pid not in seen]
    return (named + rest)[:MAX_ROWS]
