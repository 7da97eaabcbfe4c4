"""The kernel's multi-line reports, read as a whole: OOM reports, hung tasks and soft lockups.

The knowledge base's scan matches one line at a time; the kernel's most telling evidence spans
dozens of lines and is numeric. This reader follows those blocks through a kernel log, a journal,
dmesg output or a paste (where wrapped lines lose their prefix) and keeps what an SRE reads in
them, each value with the line it came from:

* an OOM report (mm/oom_kill.c ``dump_header``): who invoked the OOM killer, the memory state
  (``Mem-Info:`` of show_free_areas, mm/page_alloc.c up to 6.0, mm/show_mem.c since), the swap
  and RAM totals (lib/show_mem.c, mm/swap_state.c), the memory cgroup over its limit
  (mm/memcontrol.c ``memory: usage ...`` and ``Memory cgroup stats for``), the task table
  (``dump_tasks``), the 4.19+ ``oom-kill:constraint=`` summary and the victim;
* a blocked task (kernel/hung_task.c ``INFO: task %s:%d blocked for more than %ld seconds.``,
  kernel/sched/core.c ``sched_show_task``) or a soft lockup (kernel/watchdog.c
  ``BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]``) and the kernel stack that says what it
  waits on.

Reading is bounded: a log is searched in blocks for the words that open these reports (in C,
by the regex engine), and only blocks that hold one are read line by line; reports, rows and
stack frames kept per report are capped.

>>> reader = KernelReportReader()
>>> for n, text in enumerate([
...     "[ 81.1] java invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0",
...     "[ 81.2] Mem-Info:",
...     "[ 81.2] active_anon:895836 inactive_anon:8314 isolated_anon:0",
...     " active_file:413 inactive_file:596 isolated_file:0",
...     "[ 81.3] Out of memory: Killed process 31217 (java) total-vm:9000kB, anon-rss:8000kB,"
...     " file-rss:0kB, shmem-rss:0kB"], 1):
...     reader.feed(n, text)
>>> report = reader.finish().ooms[0]
>>> report.invoker, report.victim.name, report.victim.pid, report.mem_info["active_file"]
('java', 'java', 31217, 413)
"""

from __future__ import annotations

import heapq
import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import BinaryIO

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import LogFormat, LogLine
from kubewhy.parsers.journald import JOURNALD
from kubewhy.parsers.kmsg import KMSG
from kubewhy.parsers.sessions import is_typed_command
from kubewhy.scanning import PatternSpec, Scanner
from kubewhy.scanning.scanner import count_newlines

# Work per input: a log is searched in blocks this big; at most MAX_READ_BYTES are searched
# and at most MAX_LINES lines around the reports are read one by one.
BLOCK_BYTES = 1 << 20
MAX_READ_BYTES = 2 << 30
MAX_LINES = 500_000
# What is kept: the latest reports of each kind, the biggest tasks of a report's table, the
# frames of a stack.
MAX_OOM_REPORTS = 64
MAX_STALLS = 128
TOP_TASKS = 5
MAX_FRAMES = 48
# Lines read before a line with a report's words: an old task dump ("docker  D ffff...")
# and the lines under it come before its "Call Trace:".
LOOKBACK_LINES = 32
# A report left open this many lines without a line of its own is over (its end was not
# logged, or the excerpt stops there).
IDLE_LINES = 400

# Words that open or carry a report: a block without any of them is skipped unread. The old
# task dump ("docker          D ffff88021fc12ec0     0 10467      1 0x00000000") comes with a
# "Call Trace:" line, so that line stands for it.
MARKERS = (
    "invoked oom-killer",
    "Mem-Info",
    "oom-kill:",
    "illed process",
    "Kill process",
    "Memory cgroup stats",
    "memory: usage",
    "Task in /",
    "blocked for more than",
    "soft lockup",
    "Call Trace",
    "state:D",
    "out_of_memory+",
    "Total swap",
)


def marker_specs() -> list[PatternSpec]:
    """The markers as patterns, for a scanner that searches a log for other things too."""
    return [PatternSpec(re.escape(m)) for m in MARKERS]


@cache
def _marker_scanner() -> Scanner:
    """The markers in the scanning engine (Hyperscan where installed): a block is searched at
    the engine's speed, not Python's."""
    return Scanner(marker_specs())


def has_marker(block: bytes) -> bool:
    """Whether a block of lines holds a word of the kernel's reports.

    >>> has_marker(b"x\\n[ 1.2] Mem-Info:\\n"), has_marker(b"eth0: link up\\n")
    (True, False)
    """
    return _marker_scanner().any_match(block, len(block))


# --- where a line's kernel message starts ----------------------------------------------------
# A syslog or journal head ("Oct 21 21:08:58 node-2 kernel: "), talosctl's ("10.0.1.2: kern:
# warning: "), dmesg -x's ("kern  :warn  : "); then dmesg's stamp ("[  123.456789] ",
# "[Sun Jun 14 13:14:38 2020] ", "[2026-02-01T03:29:19.63894439Z]: "); or a /dev/kmsg record.
_HEAD = lazy_compile(
    r"^.{0,160}?\bkern(?:el)?(?:\[\d+\])?\s*: ?"
    r"(?:(?:emerg|alert|crit|err|warn|warning|notice|info|debug)\s*: ?)?"
)
_STAMP = lazy_compile(
    r"^\s*(?:<\d{1,3}>)?\[(?:\s*\d+\.\d+|\w{3} \w{3} +\d{1,2} \d\d:\d\d:\d\d \d{4}"
    r"|\d{4}-\d\d-\d\dT[\d:.]+Z?)\]:? ?"
)
_KMSG_RECORD = lazy_compile(r"^\d+,\d+,\d+,[^;]*;")


def message_of(line: str) -> str:
    """The kernel's own words in ``line``, whatever log carried them.

    >>> message_of("Oct 21 21:08:58 minion-2 kernel: [75254.207495] supervisord invoked oom")
    'supervisord invoked oom'
    >>> message_of("10.0.1.2: kern: warning: [2026-02-01T03:29:19.63Z]:  out_of_memory+0x2/0x5")
    ' out_of_memory+0x2/0x5'
    >>> message_of("6,1234,5678901,-;Mem-Info:"), message_of(" active_file:413 inactive_file:5")
    ('Mem-Info:', ' active_file:413 inactive_file:5')
    >>> message_of("<6>[ 1205.517883] Task in /system/docker killed")  # dmesg --raw
    'Task in /system/docker killed'
    """
    # cheap tests first: most lines read are stack frames and table rows
    if line[:1].isdigit():
        found = _KMSG_RECORD.match(line)
        if found:
            return line[found.end() :]
    if "kern" in line[:180]:
        found = _HEAD.match(line)
        if found:
            line = line[found.end() :]
    if "[" in line[:12]:
        found = _STAMP.match(line)
        if found:
            return line[found.end() :]
    return line


# --- the lines of an OOM report ---------------------------------------------------------------
# mm/oom_kill.c dump_header: "%s invoked oom-killer: gfp_mask=%#x(%pGg), order=%d,
# oom_score_adj=%hd" (4.x+; nodemask=%*pbl between them in 4.8-4.19; 3.x "gfp_mask=0x%x,
# order=%d, oom_score_adj=%hd"; 2.6.3x also "oom_adj=%d")
_INVOKED = lazy_compile(
    r"(?P<comm>\S.{0,15}?) invoked oom-killer: ?gfp_mask=(?P<gfp>[^,\s]+)"
    r"(?:.*?\border=(?P<order>-?\d+))?"
    r"(?:.*?\boom_score_adj=(?P<adj>-?\d+))?"
)
# dump_stack's header: "CPU: %d PID: %d Comm: %.20s %s%s %.*s" (6.x puts "UID: %u" before PID)
_CPU = lazy_compile(r"\bCPU: \d+ (?:UID: \d+ )?PID: (?P<pid>\d+) Comm: (?P<comm>\S+)")
# the release after the taint flags: "Not tainted 5.4.17-200.fc31.x86_64 #1", "Tainted: G  OE
# 4.14.0 #1"; the hung-task report prints the same words on a line of their own
_RELEASE = lazy_compile(r"(?:Not tainted|Tainted: [A-Z ]+?)\s+(?P<release>\d+\.\d+[\w.+~-]*) #")
# show_free_areas: "active_anon:%lu inactive_anon:%lu ..." pages over several lines of one printk
_PAGES = lazy_compile(r"\b([a-z_]+):(\d+)\b(?!kB|KB)")
# "Node %d active_anon:%lukB inactive_anon:%lukB ..." (4.8+, one line per NUMA node)
_NODE_KB = lazy_compile(r"^Node \d+ active_anon:")
_KB = lazy_compile(r"\b([a-z_]+):(\d+)kB")
# "Node %d %s free:%lukB [boost:%lukB ]min:%lukB low:%lukB high:%lukB ..." per zone
_ZONE = lazy_compile(r"^Node \d+ (?P<zone>\w+) free:(?P<free>\d+)kB(?:.*?) min:(?P<min>\d+)kB")
# mm/swap_state.c show_swap_cache_info: "Free swap  = %ldkB" / "Total swap = %lukB"
_SWAP = lazy_compile(r"^(?P<which>Free|Total) swap\s*=\s*(?P<kb>\d+)kB")
# lib/show_mem.c: "%lu pages RAM"
_RAM = lazy_compile(r"^(?P<pages>\d+) pages RAM")
# mm/memcontrol.c mem_cgroup_print_oom_meminfo: "memory: usage %llukB, limit %llukB, failcnt %lu"
_USAGE = lazy_compile(
    r"^memory: usage (?P<usage>\d+)kB, limit (?P<limit>\d+)kB, failcnt (?P<failcnt>\d+)"
)
# "Memory cgroup stats for <path>:" (4.x printed the stats on the same line after the colon)
_STATS_FOR = lazy_compile(r"^Memory cgroup stats for (?P<path>/[^:\s]*):")
# mm/memcontrol.c mem_cgroup_print_oom_info (3.x-4.18):
# "Task in %s killed as a result of limit of %s"
_TASK_IN = lazy_compile(r"^Task in (?P<task>/\S*) killed as a result of limit of (?P<limit>/\S*)")
# mm/oom_kill.c dump_oom_summary (4.19+): "oom-kill:constraint=%s,nodemask=%*pbl,cpuset=...,
# mems_allowed=...,oom_memcg=<path>|global_oom,task_memcg=<path>,task=%s,pid=%d,uid=%d"
_SUMMARY = lazy_compile(r"oom-kill: ?constraint=(?P<constraint>CONSTRAINT_\w+)(?P<rest>.*)")
_SUMMARY_FIELD = lazy_compile(r"(?:^|,)(oom_memcg|task_memcg|task|pid|uid)=([^,]*)")
# the victim: "%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB,
# shmem-rss:%lukB" (5.0+ with "Out of memory" or "Memory cgroup out of memory" before it), plain
# "Killed process ..." (3.10-4.20, some with ", UID %u," after the name)
_KILLED = lazy_compile(r"(?:^|: ?)Killed process (?P<pid>\d+) \((?P<name>[^)]{0,64})\)(?P<rest>.*)")
# the choice before 5.0: "%s: Kill process %d (%s) score %u or sacrifice child"
_KILL = lazy_compile(
    r"(?P<scope>Memory cgroup out of memory|Out of memory)[^:]*: ?"
    r"Kill process (?P<pid>\d+) \((?P<name>[^)]{0,64})\)"
)
_RSS_KB = lazy_compile(r"\b(total-vm|anon-rss|file-rss|shmem-rss):(\d+)kB")
# dump_tasks: "[  pid  ]   uid  tgid total_vm      rss [nr_ptes nr_pmds|pgtables_bytes|rss_anon
# rss_file rss_shmem pgtables_bytes] swapents oom_score_adj name", then one row per task
_TABLE_HEADER = lazy_compile(r"^\[\s*pid\s*\]\s+uid\s+tgid\s+total_vm\s+rss\b(?P<rest>.*)")
_TABLE_ROW = lazy_compile(r"^\[\s*(?P<pid>\d+)\]\s+(?P<cols>-?\d+(?:\s+-?\d+)+)\s+(?P<name>\S.*)$")

# --- stacks -------------------------------------------------------------------------------------
# a frame: " func+0x1a/0x50 [module]", 3.x " [<ffffffff8154881e>] ? func+0xe/0x20"
_FRAME = lazy_compile(
    r"^\s*(?:\[<[0-9a-f]+>\]\s*)?(?P<unsure>\? )?"
    r"(?P<func>[A-Za-z_.][\w.$]*)\+0x[0-9a-f]+/0x[0-9a-f]+"
)
# "RIP: 0010:smp_call_function_many+0x20a/0x270", 3.x "RIP: 0010:[<ffffffff810f9d2a>]  [<...>] f+0x"
_RIP = lazy_compile(
    r"^RIP: [0-9a-f]{4}:(?:\[<[0-9a-f]+>\]\s+\[<[0-9a-f]+>\]\s+)?(?P<func>[A-Za-z_.][\w.$]*)\+0x"
)
_HUNG = lazy_compile(
    r"\btask (?P<comm>.{1,16}):(?P<pid>\d+) blocked for more than (?P<seconds>\d+) seconds"
)
_LOCKUP = lazy_compile(
    r"soft lockup ?- ?CPU#(?P<cpu>\d+) stuck for (?P<seconds>\d+)s!? ?"
    r"\[(?P<comm>.{1,16}):(?P<pid>\d+)\]"
)
# sched_show_task (5.10+): "task:%-15.15s state:%c stack:%5lu pid:%5d ppid:%6d flags:0x%08lx"
_TASK_DUMP = lazy_compile(
    r"^task:(?P<comm>\S.{0,14}?)\s+state:(?P<state>\w)\b(?:.*?\bpid:\s*(?P<pid>\d+))?"
)
# before 5.10: "%-15.15s %c" then " %016lx " (saved pc, until 4.x) or "  running task    ", then
# "%5lu %5d %6d 0x%08lx" (free stack, pid, ppid, flags)
_OLD_TASK_DUMP = lazy_compile(
    r"^(?P<comm>\S.{0,14}?)\s+(?P<state>D)\s+(?:[0-9a-f]{8,16}\s+)?\d+\s+(?P<pid>\d+)\s+\d+\s+0x[0-9a-f]{8}\s*$"
)
# OOM-killer frames: a stack through them is an OOM report's, whichever line opened it
_OOM_FRAMES = frozenset(
    {
        "out_of_memory",
        "oom_kill_process",
        "__alloc_pages_may_oom",
        "mem_cgroup_out_of_memory",
        "mem_cgroup_oom_synchronize",
        "pagefault_out_of_memory",
        "dump_header",
    }
)
_MEMCG_OOM_FRAMES = frozenset(
    {"mem_cgroup_out_of_memory", "mem_cgroup_oom_synchronize", "mem_cgroup_oom"}
)
# Frames that say nothing of what a task waits on: the scheduler, the stack walkers, entry code.
_PLUMBING = lazy_compile(
    r"^(?:__schedule|schedule|schedule_timeout|schedule_preempt_disabled|io_schedule\w*"
    r"|preempt_schedule\w*|__switch_to\w*|ret_from_fork\w*|kthread|worker_thread|process_one_work"
    r"|entry_SYSCALL\w*|do_syscall_64|system_call\w*|__x64_sys_\w+|__do_sys_\w+|__se_sys_\w+"
    r"|dump_stack\w*|show_stack|sched_show_task|srso_\w+|__pfx_\w+|\w*return_thunk\w*"
    r"|do_wait_intr\w*|bit_wait\w*|__wait_on_bit\w*|out_of_line_wait_on_bit\w*)$"
)
TOP_FRAMES = 6


@dataclass(frozen=True)
class Cited:
    """A line a value was read from: its number in the input, its text, its stamp if any."""

    line: int
    text: str
    stamp: Stamp | None = None
    host: str | None = None


@dataclass(frozen=True)
class Task:
    """A row of an OOM report's task table (pages) or its victim (kB)."""

    pid: int
    name: str
    rss_kb: int | None
    cited: Cited
    total_vm: int | None = None


@dataclass
class OomReport:
    """One OOM report, or the memory report of a failed allocation (``oom`` false)."""

    first: Cited
    oom: bool = False
    invoker: str | None = None
    invoker_pid: int | None = None
    order: int | None = None
    release: str | None = None
    # CONSTRAINT_NONE / _MEMCG / _CPUSET / _MEMORY_POLICY, from the summary line; else "memcg"
    # or "global" as the report's other lines show.
    constraint: str | None = None
    oom_memcg: str | None = None
    task_memcg: str | None = None
    usage_kb: int | None = None
    limit_kb: int | None = None
    failcnt: int | None = None
    memcg_frames: bool = False
    mem_info: dict[str, int] = field(default_factory=dict)
    node_kb: dict[str, int] = field(default_factory=dict)
    zone_free_kb: int = 0
    zone_min_kb: int = 0
    swap_total_kb: int | None = None
    ram_pages: int | None = None
    # rows of the task table: the biggest by RSS (pages); column names from its header
    tasks: list[Task] = field(default_factory=list)
    table_rows: int = 0
    victim: Task | None = None
    cited: dict[str, Cited] = field(default_factory=dict)
    _heap: list[tuple[int, int, Task]] = field(default_factory=list, repr=False)
    _columns: list[str] = field(default_factory=list, repr=False)
    _vm_of: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def memcg(self) -> bool:
        """The OOM was a memory cgroup's (its limit), not the node's."""
        if self.constraint is not None:
            return self.constraint == "CONSTRAINT_MEMCG" or (
                self.constraint != "CONSTRAINT_NONE" and self.oom_memcg is not None
            )
        return self.oom_memcg is not None or self.usage_kb is not None or self.memcg_frames

    def page_kb(self) -> float:
        """The page size in kB: the victim's total-vm in kB over its row's pages, else the
        per-node kB line over the Mem-Info pages, else 4 (x86-64 and most arm64 nodes)."""
        if self.victim is not None and self.victim.total_vm and self.victim.pid in self._vm_of:
            pages = self._vm_of[self.victim.pid]
            if pages:
                size = self.victim.total_vm / pages
                for known in (4, 16, 64):
                    if abs(size - known) < 0.5:
                        return float(known)
        anon_kb, anon = self.node_kb.get("active_anon"), self.mem_info.get("active_anon")
        if anon_kb and anon:
            size = anon_kb / anon
            for known in (4, 16, 64):
                if abs(size - known) < 0.5:
                    return float(known)
        return 4.0


@dataclass
class Stall:
    """A task the kernel reported stuck: blocked in D state (``hung``) or spinning on a CPU."""

    kind: str  # "hung" | "lockup" | "dstate" (a task dump in D state without its INFO line)
    comm: str
    pid: int
    seconds: int | None
    cited: Cited
    rip: str | None = None
    frames: list[str] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)
    release: str | None = None

    def top(self, count: int = TOP_FRAMES) -> list[str]:
        """The first frames that say what the task waits on: the scheduler and entry code left
        out; frames the unwinder is unsure of ("? f") only when there are no others (3.x
        kernels without frame pointers mark them all)."""
        frames = self.frames or self.unsure
        meaningful = [f for f in frames if not _PLUMBING.match(f)]
        top = ([self.rip] if self.rip and not _PLUMBING.match(self.rip) else []) + meaningful
        return top[:count]


@dataclass
class KernelReports:
    ooms: list[OomReport] = field(default_factory=list)
    stalls: list[Stall] = field(default_factory=list)
    # reports seen, whether or not kept
    oom_total: int = 0
    stall_total: int = 0
    truncated: bool = False

    def __bool__(self) -> bool:
        return bool(self.ooms or self.stalls)


def _stamp_of(line: str, fmt: LogFormat | None) -> tuple[Stamp | None, str | None]:
    """The stamp and host of a cited line: its log format's reading, else a journal's or
    dmesg's, and dmesg's stamp inside a journal line when the journal gave none."""
    parsed: LogLine | None = fmt.parse_line(line) if fmt is not None else None
    if parsed is None:
        parsed = JOURNALD.parse_line(line) or KMSG.parse_line(line)
    if parsed is None:
        return None, None
    stamp = parsed.stamp
    if stamp is None:
        inner = KMSG.parse_line(parsed.message)
        stamp = inner.stamp if inner else None
    return stamp, parsed.host


class KernelReportReader:
    """Follows reports line by line: ``feed`` every line of a stretch of log (numbered), then
    ``finish``. One report is open at a time: the kernel prints each under a lock."""

    def __init__(self, fmt: LogFormat | None = None) -> None:
        self.fmt = fmt
        self.out = KernelReports()
        self._ooms: deque[OomReport] = deque(maxlen=MAX_OOM_REPORTS)
        self._stalls: deque[Stall] = deque(maxlen=MAX_STALLS)
        self.oom: OomReport | None = None
        self.stall: Stall | None = None
        self._in_meminfo = False
        self._in_table = False
        self._idle = 0
        self.lines = 0
        # the number of the last line fed: lines are fed once, in order
        self.done = 0

    def cite(self, number: int, text: str) -> Cited:
        stamp, host = _stamp_of(text, self.fmt)
        if stamp is None:
            # a line the log printed without its prefix (a printk's continuation, a wrapped
            # paste) is of the report's time and host
            opened = self.oom.first if self.oom else self.stall.cited if self.stall else None
            if opened is not None:
                stamp, host = opened.stamp, host or opened.host
        return Cited(number, text.strip(), stamp, host)

    # --- opening and closing --------------------------------------------------------------
    def _close(self) -> None:
        if self.oom is not None:
            _finish_table(self.oom)
            self._ooms.append(self.oom)
            self.oom = None
        if self.stall is not None:
            self._stalls.append(self.stall)
            self.stall = None
        self._in_meminfo = self._in_table = False
        self._idle = 0

    def _open_oom(self, number: int, raw: str, oom: bool) -> OomReport:
        self._close()
        self.oom = OomReport(self.cite(number, raw), oom=oom)
        self.out.oom_total += 1
        return self.oom

    def _current_oom(self, number: int, raw: str) -> OomReport:
        """The open OOM report, or one opened here: an excerpt may begin inside a report."""
        if self.oom is None:
            return self._open_oom(number, raw, True)
        return self.oom

    def _open_stall(self, stall: Stall) -> None:
        self._close()
        self.stall = stall
        self.out.stall_total += 1

    # --- lines ----------------------------------------------------------------------------
    def feed(self, number: int, raw: str) -> None:
        self.lines += 1
        self.done = number
        message = message_of(raw)
        text = message.strip()
        if not text:
            return
        if self._frame(text, number, raw):
            return
        if self._oom_line(text, number, raw) or self._stall_line(text, number, raw):
            self._idle = 0
            return
        if self.oom is not None or self.stall is not None:
            self._idle += 1
            if self._idle > IDLE_LINES:
                self._close()

    def _frame(self, text: str, number: int, raw: str) -> bool:
        found = _FRAME.match(text)
        if found is None:
            return False
        func = found.group("func")
        if func in _OOM_FRAMES:
            report = self.oom
            if report is None and self.stall is None:
                report = self._open_oom(number, raw, True)
            if report is not None:
                report.oom = True
                if func in _MEMCG_OOM_FRAMES:
                    report.memcg_frames = True
                    report.cited.setdefault("memcg_frame", self.cite(number, raw))
        if self.stall is not None:
            frames = self.stall.unsure if found.group("unsure") else self.stall.frames
            if len(frames) < MAX_FRAMES:
                frames.append(func)
        self._idle = 0
        return True

    def _oom_line(self, text: str, number: int, raw: str) -> bool:
        found = _INVOKED.search(text)
        if found:
            opened = self._open_oom(number, raw, True)
            opened.invoker = found.group("comm").strip()
            opened.order = int(found.group("order")) if found.group("order") else None
            opened.cited["invoked"] = opened.first
            return True
        report = self.oom
        if report is not None:
            if self._in_meminfo and self._meminfo(text, report, number, raw):
                return True
            self._in_meminfo = False
            if self._in_table and self._table_row(text, report, number, raw):
                return True
            if self._report_detail(text, report, number, raw):
                return True
        if text.startswith("Mem-Info"):
            # show_mem is printed by OOM reports and by failed allocations (warn_alloc) alike
            report = self.oom if self.oom is not None else self._open_oom(number, raw, False)
            self._in_meminfo = True
            rest = text[len("Mem-Info:") :]
            if rest.strip():
                self._meminfo(rest, report, number, raw)
            return True
        found = _SUMMARY.search(text)
        if found:
            report = self._current_oom(number, raw)
            report.constraint = found.group("constraint")
            fields = dict(_SUMMARY_FIELD.findall(found.group("rest")))
            report.oom_memcg = fields.get("oom_memcg") or report.oom_memcg
            report.task_memcg = fields.get("task_memcg") or report.task_memcg
            report.cited["summary"] = self.cite(number, raw)
            task, pid = fields.get("task"), fields.get("pid", "")
            if task and pid.isdigit() and report.victim is None:
                report.victim = Task(int(pid), task, None, report.cited["summary"])
            return True
        found = _KILLED.search(text)
        if found:
            report = self._current_oom(number, raw)
            sizes = dict(_RSS_KB.findall(found.group("rest")))
            rss = sum(int(sizes.get(k, 0)) for k in ("anon-rss", "file-rss", "shmem-rss"))
            vm = int(sizes["total-vm"]) if "total-vm" in sizes else None
            cited = self.cite(number, raw)
            report.victim = Task(
                int(found.group("pid")), found.group("name"), rss if sizes else None, cited, vm
            )
            report.cited["victim"] = cited
            if text.startswith("Memory cgroup out of memory") and report.constraint is None:
                report.constraint = "CONSTRAINT_MEMCG"
            self._close()
            return True
        found = _KILL.search(text)
        if found:
            report = self._current_oom(number, raw)
            if found.group("scope").startswith("Memory cgroup") and report.constraint is None:
                report.constraint = "CONSTRAINT_MEMCG"
            cited = self.cite(number, raw)
            report.cited["kill"] = cited
            if report.victim is None:
                report.victim = Task(int(found.group("pid")), found.group("name"), None, cited)
            return True
        for pattern in (_USAGE, _STATS_FOR, _TASK_IN):
            if pattern.match(text):
                report = self._current_oom(number, raw)
                return self._report_detail(text, report, number, raw)
        if _TABLE_HEADER.match(text) or _SWAP.match(text):
            report = self.oom if self.oom is not None else self._open_oom(number, raw, False)
            return self._report_detail(text, report, number, raw)
        return False

    def _meminfo(self, text: str, report: OomReport, number: int, raw: str) -> bool:
        if text.endswith("per-cpu:") or text.startswith("CPU "):
            return True  # 3.x lists each zone's per-CPU pages before the counters
        pairs = _PAGES.findall(text)
        if not pairs or "kB" in text or text.startswith(("Node ", "lowmem_reserve")):
            return False
        for key, value in pairs:
            report.mem_info.setdefault(key, int(value))
            if key in ("active_anon", "active_file", "free"):
                report.cited.setdefault(f"meminfo_{key}", self.cite(number, raw))
        return True

    def _report_detail(self, text: str, report: OomReport, number: int, raw: str) -> bool:
        found = _CPU.search(text)
        if found:
            if report.invoker_pid is None:
                report.invoker_pid = int(found.group("pid"))
            release = _RELEASE.search(text)
            if release:
                report.release = release.group("release")
            return True
        if _NODE_KB.match(text):
            for key, value in _KB.findall(text):
                report.node_kb[key] = report.node_kb.get(key, 0) + int(value)
            report.cited.setdefault("node_kb", self.cite(number, raw))
            return True
        found = _ZONE.match(text)
        if found:
            report.zone_free_kb += int(found.group("free"))
            report.zone_min_kb += int(found.group("min"))
            report.cited.setdefault("zone", self.cite(number, raw))
            return True
        found = _SWAP.match(text)
        if found:
            if found.group("which") == "Total":
                report.swap_total_kb = int(found.group("kb"))
                report.cited["swap"] = self.cite(number, raw)
            return True
        found = _RAM.match(text)
        if found:
            report.ram_pages = int(found.group("pages"))
            return True
        found = _USAGE.match(text)
        if found:
            if report.usage_kb is None:
                report.usage_kb = int(found.group("usage"))
                report.limit_kb = int(found.group("limit"))
                report.failcnt = int(found.group("failcnt"))
                report.cited["usage"] = self.cite(number, raw)
            return True
        found = _STATS_FOR.match(text)
        if found:
            # the first one is the cgroup over its limit (3.x-4.x list its descendants after it)
            if "stats" not in report.cited:
                report.cited["stats"] = self.cite(number, raw)
                report.oom_memcg = report.oom_memcg or found.group("path")
            return True
        found = _TASK_IN.match(text)
        if found:
            report.task_memcg = found.group("task")
            report.oom_memcg = found.group("limit")
            report.cited["task_in"] = self.cite(number, raw)
            return True
        found = _TABLE_HEADER.match(text)
        if found:
            report._columns = ["total_vm", "rss", *found.group("rest").split()]
            self._in_table = True
            return True
        release = _RELEASE.search(text)
        if release:
            report.release = release.group("release")
            return True
        return False

    def _table_row(self, text: str, report: OomReport, number: int, raw: str) -> bool:
        found = _TABLE_ROW.match(text)
        if found is None:
            self._in_table = False
            return False
        # columns after pid: uid, tgid, then the header's (total_vm, rss, ...), then the name
        cols = found.group("cols").split()
        values = dict(zip(["uid", "tgid", *report._columns], cols, strict=False))
        try:
            rss = int(values["rss"])
            vm = int(values["total_vm"])
        except (KeyError, ValueError):
            return True
        pid = int(found.group("pid"))
        report.table_rows += 1
        report._vm_of[pid] = vm
        if len(report._vm_of) > 4 * TOP_TASKS:
            # keep the victim's row only when it is among the biggest: sizes then come from
            # the victim line itself
            report._vm_of.pop(next(iter(report._vm_of)))
        row = (
            rss,
            -number,
            Task(pid, found.group("name").strip(), rss, Cited(number, raw.strip()), vm),
        )
        if len(report._heap) < TOP_TASKS:
            heapq.heappush(report._heap, row)
        elif row > report._heap[0]:
            heapq.heapreplace(report._heap, row)
        return True

    def _stall_line(self, text: str, number: int, raw: str) -> bool:
        found = _HUNG.search(text)
        if found:
            self._open_stall(
                Stall(
                    "hung",
                    found.group("comm"),
                    int(found.group("pid")),
                    int(found.group("seconds")),
                    self.cite(number, raw),
                )
            )
            return True
        found = _LOCKUP.search(text)
        if found:
            self._open_stall(
                Stall(
                    "lockup",
                    found.group("comm"),
                    int(found.group("pid")),
                    int(found.group("seconds")),
                    self.cite(number, raw),
                )
            )
            return True
        found = _TASK_DUMP.match(text) or _OLD_TASK_DUMP.match(text)
        if found:
            pid = int(found.group("pid")) if found.group("pid") else None
            stall = self.stall
            same = stall is not None and (pid is None or stall.pid == pid)
            if same or found.group("state") != "D" or pid is None:
                return stall is not None
            self._open_stall(
                Stall("dstate", found.group("comm").strip(), pid, None, self.cite(number, raw))
            )
            return True
        if self.stall is not None:
            found = _RIP.match(text)
            if found:
                self.stall.rip = self.stall.rip or found.group("func")
                return True
            release = _RELEASE.search(text)
            if release:
                self.stall.release = release.group("release")
                return True
            if text.startswith(("Call Trace", "<TASK>", "</TASK>", "<IRQ>", "</IRQ>", "<EOI>")):
                return True
        return False

    def finish(self) -> KernelReports:
        self._close()
        self.out.ooms = list(self._ooms)
        self.out.stalls = list(self._stalls)
        return self.out


def _finish_table(report: OomReport) -> None:
    report.tasks = [row for _, _, row in sorted(report._heap, reverse=True)]
    report._heap = []
    if report.victim is not None and report.victim.pid not in report._vm_of:
        report._vm_of.clear()


class KernelReportFeed:
    """The reports in a log fed block by block by whoever reads it (the log scan hands each of
    its blocks here, so the log is read once): a block without a report's words and without an
    open report is skipped but for its last lines, which a report in the next block may start
    in."""

    def __init__(self, fmt: LogFormat | None = None) -> None:
        self.reader = KernelReportReader(fmt)
        self.read = 0
        self._tail: tuple[int, bytes] = (1, b"")  # the last lines of the block before

    def block(
        self,
        buf: bytearray | bytes,
        end: int,
        first_line: int,
        newlines: int,
        marks: Sequence[int] | None = None,
    ) -> None:
        """``buf[:end]``: whole lines, the first numbered ``first_line``, ``newlines`` of them
        ending in a newline. ``marks``: the offsets in ``buf`` of the lines holding a marker,
        where the caller's own scan of the block found them (else they are searched here)."""
        reader = self.reader
        if end <= 0:
            return
        if self.read >= MAX_READ_BYTES or reader.lines >= MAX_LINES:
            reader.out.truncated = True
            return
        self.read += end
        stop, in_block = (end - 1, newlines - 1) if buf[end - 1] == 0x0A else (end, newlines)
        last = first_line + in_block  # the number of the block's last line
        if marks is None and not _marker_scanner().any_match(buf, end):
            marks = []  # nothing to search for: no copy, no line count
        if reader.oom is not None or reader.stall is not None or marks is None or marks:
            block = bytes(buf[:stop])
            _read_block(reader, block, first_line, self._tail, marks)
            self._tail = _tail(last, block)
            return
        start = _back(buf, stop)
        self._tail = (last - count_newlines(buf, start, stop), bytes(buf[start:stop]))

    def finish(self) -> KernelReports:
        return self.reader.finish()


def read_kernel_reports(stream: BinaryIO, fmt: LogFormat | None = None) -> KernelReports:
    """The reports in a stream read on its own, in blocks: the scanning engine finds the lines
    of a block that hold a report's words, and only those are read one by one, from a few lines
    before the first (an old task dump comes before its "Call Trace:") to the end of its
    report."""
    feed = KernelReportFeed(fmt)
    line_no = 1  # number of the first line of the next block
    pending = b""
    while True:
        data = stream.read(BLOCK_BYTES)
        if not data:
            if pending:
                feed.block(pending, len(pending), line_no, count_newlines(pending, 0, len(pending)))
            break
        data = pending + data
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
            continue
        newlines = count_newlines(data, 0, cut + 1)
        feed.block(data, cut + 1, line_no, newlines)
        if feed.reader.out.truncated:
            break
        pending = data[cut + 1 :]
        line_no += newlines
    return feed.finish()


def _read_block(
    reader: KernelReportReader,
    block: bytes,
    first: int,
    tail: tuple[int, bytes],
    marks: Sequence[int] | None = None,
) -> None:
    """Feed the reader the lines of ``block`` (its first line numbered ``first``) that belong
    to reports: those of a report still open, and those from a little before each line with a
    report's words (at the offsets ``marks``, else searched here) to the end of its report."""
    pos, line = 0, first
    if reader.oom is not None or reader.stall is not None:
        pos, line = _follow(reader, block, pos, line, -1)
    if marks is None:
        marks = [match.offset for match in _marker_scanner().scan_bytes(block)]
    for offset in marks:
        if offset < pos or reader.lines >= MAX_LINES:
            continue
        back = max(pos, _back(block, offset))
        if back == 0 and pos == 0:
            # the lines before may be in the block before
            for number, text in _lines(tail[1], tail[0]):
                if number > reader.done:
                    reader.feed(number, text)
        line += count_newlines(block, pos, back)
        pos, line = _follow(reader, block, back, line, offset)


def _follow(
    reader: KernelReportReader, block: bytes, pos: int, line: int, until: int
) -> tuple[int, int]:
    """Feed lines from ``pos`` through the line at ``until`` and on while a report is open;
    the offset and number of the next line unread."""
    end = len(block)
    while pos <= end and reader.lines < MAX_LINES:
        stop = block.find(b"\n", pos)
        if stop < 0:
            stop = end
        if line > reader.done:
            reader.feed(line, block[pos:stop].decode("utf-8", errors="replace"))
        pos, line = stop + 1, line + 1
        if pos > until and reader.oom is None and reader.stall is None:
            break
    return pos, line


def _back(block: bytes | bytearray, offset: int) -> int:
    """The offset of the line LOOKBACK_LINES lines before the one at ``offset``."""
    for _ in range(LOOKBACK_LINES):
        if offset <= 0:
            return 0
        offset = block.rfind(b"\n", 0, offset - 1) + 1
    return offset


def _lines(block: bytes, first: int) -> Iterator[tuple[int, str]]:
    if not block:
        return
    for offset, line in enumerate(block.split(b"\n")):
        yield first + offset, line.decode("utf-8", errors="replace")


def _tail(last: int, block: bytes) -> tuple[int, bytes]:
    """The last LOOKBACK_LINES lines of a block whose last line is numbered ``last``, and the
    number of the first of them (counted back from the end: the block is counted once)."""
    start = _back(block, len(block))
    return last - count_newlines(block, start, len(block)), block[start:]


def reports_in_text(text: str, fmt: LogFormat | None = None, first_line: int = 1) -> KernelReports:
    """The reports in an input already read whole (a document, a section of a session)."""
    if not has_marker(text.encode("utf-8", errors="replace")):
        return KernelReports()
    reader = KernelReportReader(fmt)
    for number, line in enumerate(text.splitlines(), first_line):
        if reader.lines >= MAX_LINES:
            reader.out.truncated = True
            break
        if is_typed_command(line):
            # A typed command (echo "task x blocked ..." | systemd-cat) is no kernel report.
            continue
        reader.feed(number, line)
    return reader.finish()
