"""What a goroutine dump says: leaks, lock convoys and known failure signatures.

*Where a goroutine waits* is the innermost frame that is application code: frames of the Go
runtime and of the packages that only carry a wait out (``sync``, ``syscall``, ``internal/*``,
``golang.org/x/sys/unix``, the bare ``net``, ``os`` and ``os/exec`` packages, ``bufio``,
``io``, ``time``, ``crypto/tls``) are skipped, also under a ``/vendor/`` path. So a goroutine
parked in ``net.(*conn).Read`` under ``net/http.(*persistConn).readLoop`` waits in
``readLoop``, and one in ``os/exec.(*Cmd).Wait`` waits in the code that ran the plugin.

*Leaks*: many goroutines blocked at one site in a channel operation, ``select``, a condition
variable, a semaphore or IO wait (``>= 100``, or ``>= 10`` that waited ``>= 10`` minutes).
Sites where idle goroutines normally park (accept loops, keep-alive connection readers) need
ten times as many. Mutex waiters are reported as convoys instead.

*Convoys*: goroutines queued on a ``sync.Mutex``/``RWMutex``, grouped by the function taking
the lock. Go's traceback does not say who holds a lock, so the likely holder is a goroutine
outside every convoy that is blocked (not running) and, first, inside the critical section: its
stack runs the very function the waiters lock in (it is past its ``Lock``), else another method
of the type whose pointer receiver takes the lock (a mutex is a field of what it guards; a
value receiver would copy it). Among those, and then among the others: one blocked in a
syscall or an external call (netlink, exec of a plugin, a gRPC or HTTP round trip), then in IO
wait, then in any other wait; one that has waited at least as long as the longest waiter (it
blocked before the first waiter queued), then the longest waiting. Without wait stamps (Go
stamps them only at a GC, and only from one minute on) only the kind of wait decides. A holder
inside the critical section that itself waits (a channel, a ``WaitGroup``) is waiting for
someone: a goroutine blocked in a syscall or an external call since at least as long is named
as what it likely waits for.

>>> from kubewhy.parsers.goroutines import parse_goroutine_lines
>>> dump = parse_goroutine_lines('''goroutine 9 [semacquire, 30 minutes]:
... sync.runtime_SemacquireMutex(0x1, 0x0)
... sync.(*Mutex).Lock(...)
... main.(*Manager).Allocate(0xc000010000)
...
... goroutine 7 [syscall, 31 minutes, locked to thread]:
... syscall.Syscall6(0x2d, 0x3)
... golang.org/x/sys/unix.recvfrom(0x3)
... github.com/vishvananda/netlink/nl.(*NetlinkSocket).Receive(0xc000020000)
... '''.splitlines())
>>> convoy = analyze(dump, thresholds=Thresholds(convoy_min_waiters=1)).convoys[0]
>>> convoy.lock_function, convoy.holder.goroutine, convoy.holder.function
('main.(*Manager).Allocate', 7, 'github.com/vishvananda/netlink/nl.(*NetlinkSocket).Receive')
>>> convoy.holder.critical_section is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, PrivateAttr

from kubewhy.model.entities import Entity
from kubewhy.parsers.goroutines import (
    UNKNOWN_STATE,
    GoroutineDump,
    GoroutineGroup,
)


class GoroutineSignature(Protocol):
    """A stack shape that identifies a failure mode (the knowledge base's ``goroutines:``)."""

    @property
    def id(self) -> str: ...
    @property
    def function(self) -> str: ...
    @property
    def state(self) -> str | None: ...
    @property
    def min_count(self) -> int: ...
    @property
    def min_wait_minutes(self) -> int | None: ...


LOW_LEVEL_PACKAGES = frozenset(
    {"sync", "sync/atomic", "syscall", "golang.org/x/sys/unix", "net", "os", "os/exec"}
    | {"bufio", "io", "time", "crypto/tls", "panic"}
)
LOW_LEVEL_PREFIXES = ("runtime", "internal/")
BLOCKED_STATES = (
    "chan send",
    "chan receive",
    "select",
    "sync.Cond.Wait",
    "semacquire",
    "sync.WaitGroup.Wait",
    "IO wait",
)
MUTEX_STATES = ("sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock")
# Go 1.24 moved the mutex into internal/sync: its waiters show internal/sync.runtime_SemacquireMutex
# and internal/sync.(*Mutex).lockSlow under sync.(*Mutex).Lock.
MUTEX_FRAMES = frozenset(
    {
        "sync.(*Mutex).Lock",
        "sync.(*Mutex).lockSlow",
        "sync.(*RWMutex).Lock",
        "sync.(*RWMutex).RLock",
        "sync.runtime_SemacquireMutex",
        "sync.runtime_SemacquireRWMutex",
        "sync.runtime_SemacquireRWMutexR",
        "internal/sync.(*Mutex).Lock",
        "internal/sync.(*Mutex).lockSlow",
        "internal/sync.runtime_SemacquireMutex",
    }
)
# Frames of a round trip to another program that waits for its reply: gRPC, ttrpc (containerd
# to its shims), HTTP (net/http's transport, docker engine-api's cancellable request).
ROUND_TRIP_MARKERS = (
    "transport.(*Stream).Header",
    "transport.(*Stream).RecvMsg",
    "grpc.recvResponse",
    "grpc.(*clientStream).RecvMsg",
    "ttrpc.(*Client).dispatch",
    "ttrpc.(*Client).Call",
    "transport/cancellable.Do",
    "net/http.(*persistConn).roundTrip",
    "net/http.(*Transport).roundTrip",
)
# Frames of calls that leave the process and may never come back.
EXTERNAL_CALL_MARKERS = (
    "netlink",
    "os/exec.(*Cmd).Wait",
    "os.(*Process).Wait",
    *ROUND_TRIP_MARKERS,
)
# Functions where goroutines park while idle: never a lock holder, rarely a leak.
IDLE_FUNCTIONS = frozenset(
    {
        "net/http.(*Server).Serve",
        "net/http.(*conn).serve",
        "net/http.(*connReader).backgroundRead",
        "net/http.(*persistConn).readLoop",
        "net/http.(*persistConn).writeLoop",
        "net/http.(*http2serverConn).serve",
        "net/http.(*http2clientConnReadLoop).run",
        "os/signal.signal_recv",
        "os/signal.loop",
    }
)
IDLE_MARKERS = (
    "Listener).Accept",
    "net.(*netFD).accept",
    "(*fdPoller).wait",
    "transport.(*http2Client).reader",
    "transport.(*controlBuffer).get",
    "klog",
)


# A dump of this many goroutines or fewer, without a profile's declared total, is an excerpt:
# a Go daemon runs dozens of goroutines at rest, so a traceback that shows a handful was cut
# from a whole one by someone who chose what to quote (the goroutine they suspect). Counts and
# shares mean nothing there; what the chosen goroutine waits for is the statement.
EXCERPT_MAX_GOROUTINES = 5
# Client stubs of the runtimes' APIs (a piece of the frame's name, and what answers):
# a goroutine blocked in a gRPC or ttrpc round trip under one waits for that program. dockerd
# calls containerd through the client package at containerd's root (v1) or its client package
# (v2); containerd calls its shims over ttrpc; the kubelet and crictl call the CRI runtime
# through cri-api's generated clients; the kubelet's dockershim (and docker's CLI) call dockerd
# over HTTP through docker's client package (engine-api before 2017).
RUNTIME_CLIENTS = (
    ("github.com/docker/engine-api/client", "docker"),
    ("github.com/docker/docker/client.", "docker"),
    ("github.com/containerd/containerd.", "containerd"),
    ("github.com/containerd/containerd/v2/client.", "containerd"),
    ("github.com/containerd/ttrpc.(*Client)", "containerd-shim"),
    ("(*runtimeServiceClient).", "container-runtime"),
    ("(*imageServiceClient).", "container-runtime"),
)


# Filesystem calls that return at once on a local disk, even a slow one: a goroutine in one of
# them, in a system call, waits on a filesystem that does not answer (a hard-mounted NFS whose
# server is gone). The NFS failure mode's goroutine signature is the same call held ten minutes.
FILESYSTEM_CALL = re.compile(
    r"^(?:os\.(?:Stat|Lstat|statNolog|lstatNolog)|syscall\.(?:Statfs|Unmount|Lstat|Stat|fstatat)|"
    r"golang\.org/x/sys/unix\.(?:Statfs|Stat|Lstat|Fstatat|Unmount))$"
)


def filesystem_call_of(group: GoroutineGroup) -> str | None:
    """The filesystem call a goroutine in a system call is in (``os.Stat``), if it is in one."""
    if not group.state.startswith("syscall"):
        return None
    return next((f for f in group.functions() if FILESYSTEM_CALL.match(f)), None)


def is_excerpt(dump: GoroutineDump) -> bool:
    """A few goroutines quoted from a dump, not a whole dump (see EXCERPT_MAX_GOROUTINES)."""
    return 0 < dump.total <= EXCERPT_MAX_GOROUTINES and dump.declared_total is None


@dataclass(frozen=True, slots=True)
class QuotedWaitKind:
    """What a quoted goroutine waits for: ``kind`` (``runtime``, ``filesystem``, ``lock``), in
    words, and the program that should answer when that is another one."""

    kind: str
    what: str
    callee: str | None = None


def quoted_wait_of(group: GoroutineGroup, caller: str) -> QuotedWaitKind | None:
    """What a goroutine of ``caller``'s excerpt waits for, if it waits on something that says
    where the fault is: the next runtime's reply, a filesystem call, a mutex."""
    callee = runtime_waited_on(group, caller)
    if callee is not None:
        return QuotedWaitKind("runtime", f"for the reply of {callee}", callee)
    call = filesystem_call_of(group)
    if call is not None:
        return QuotedWaitKind("filesystem", f"in {call}, a filesystem call")
    if is_mutex_waiter(group):
        return QuotedWaitKind("lock", "to take a mutex")
    return None


def runtime_waited_on(group: GoroutineGroup, caller: str) -> str | None:
    """The runtime a blocked goroutine of ``caller`` waits to hear from: it is in a round trip
    (``ROUND_TRIP_MARKERS``) made through a runtime's client stub, and that runtime is not the
    caller itself (containerd's CRI plugin calls containerd's client in-process)."""
    if group.state.startswith(("running", "runnable", "syscall")):
        return None
    names = list(group.functions())
    if not any(marker in name for name in names for marker in ROUND_TRIP_MARKERS):
        return None
    for name in names:  # a vendored stub keeps its path after /vendor/
        for stub, callee in RUNTIME_CLIENTS:
            if stub in name and callee != caller:
                return callee
    return None


@dataclass(frozen=True, slots=True)
class Thresholds:
    leak_min_count: int = 100
    long_wait_min_count: int = 10
    long_wait_minutes: int = 10
    idle_site_factor: int = 10
    convoy_min_waiters: int = 5


# -- the JSON contract ------------------------------------------------------------------------

# Validators and serializers are built when a report is first made: most runs read no dump.
_DEFERRED = ConfigDict(defer_build=True)


class GroupSummary(BaseModel):
    model_config = _DEFERRED

    count: int
    state: str
    max_wait_minutes: int | None
    function: str
    frames: list[str]
    # Goroutines per wait bucket (minutes), for the text and markdown reports; not in the JSON.
    _waits: dict[str, int] = PrivateAttr(default_factory=dict)

    @property
    def waits(self) -> dict[str, int]:
        return self._waits


class Leak(BaseModel):
    model_config = _DEFERRED

    function: str
    count: int
    state: str
    max_wait_minutes: int | None
    # The site's file and line (``store.go:1074``), where the dump gives them.
    location: str | None = None

    @property
    def site(self) -> str:
        """``pkg.f (file.go:12)``."""
        return f"{self.function} ({self.location})" if self.location else self.function


class Holder(BaseModel):
    model_config = _DEFERRED

    goroutine: int
    state: str
    wait_minutes: int | None
    function: str
    location: str | None = None
    # The function of the holder's stack that places it inside the waiters' critical section
    # (the one they lock in, or a method of its receiver); None when only its wait says so.
    critical_section: str | None = None
    # What a holder that waits inside the critical section likely waits for: a goroutine
    # blocked in a syscall or an external call since at least as long.
    waits_for: Holder | None = None

    def describe(self) -> str:
        """``goroutine 7 [syscall, 31 minutes] in pkg.f (file.go:12)``."""
        wait = f", {self.wait_minutes} minutes" if self.wait_minutes is not None else ""
        where = f" ({self.location})" if self.location else ""
        return f"goroutine {self.goroutine} [{self.state}{wait}] in {self.function}{where}"

    def inside(self) -> str:
        """``, inside pkg.(*T).M`` when the critical section is not its own function."""
        section = self.critical_section
        return f", inside {section}" if section and section != self.function else ""

    def waiting_for(self) -> str:
        """``; it waits for goroutine ...`` when the holder waits on another goroutine."""
        return f"; it waits for {self.waits_for.describe()}" if self.waits_for else ""


class Convoy(BaseModel):
    model_config = _DEFERRED

    lock_function: str
    waiters: int
    holder: Holder | None
    # The longest stamped wait of a waiter (Go stamps waits only from one minute on).
    max_wait_minutes: int | None = None


class SignatureMatch(BaseModel):
    model_config = _DEFERRED

    failure_mode: str
    count: int


class GoroutineReport(BaseModel):
    """The analysis of one dump; ``model_dump()`` is the stable JSON contract."""

    model_config = _DEFERRED

    total: int
    groups: list[GroupSummary]
    leaks: list[Leak]
    convoys: list[Convoy]
    signatures: list[SignatureMatch]
    # Said to the reader, never part of the JSON contract.
    _notes: list[str] = PrivateAttr(default_factory=list)

    @property
    def notes(self) -> list[str]:
        return self._notes

    @property
    def notable(self) -> bool:
        return bool(self.leaks or self.convoys or self.signatures)


# -- functions ------------------------------------------------------------------------------


def package_of(function: str) -> str:
    """The import path of a function's package, without any vendor prefix.

    >>> package_of("k8s.io/kubernetes/vendor/k8s.io/apiserver/pkg/registry.(*Store).Get")
    'k8s.io/apiserver/pkg/registry'
    >>> package_of("net.(*netFD).Read")
    'net'
    """
    vendor = function.rfind("/vendor/")
    if vendor >= 0:
        function = function[vendor + 8 :]
    slash = function.rfind("/", 0, function.find("(") if "(" in function else len(function))
    dot = function.find(".", slash + 1)
    return function[:dot] if dot > 0 else function


def is_low_level(function: str) -> bool:
    package = package_of(function)
    return package in LOW_LEVEL_PACKAGES or package.startswith(LOW_LEVEL_PREFIXES)


def application_function(group: GoroutineGroup) -> str:
    """The innermost frame that is application code (see the module docstring)."""
    for frame in group.frames:
        if not is_low_level(frame.function):
            return frame.function
    if group.frames:
        return group.frames[0].function
    return group.created_by.function if group.created_by else "(no frames)"


def is_mutex_waiter(group: GoroutineGroup) -> bool:
    state = group.state
    if state.startswith(MUTEX_STATES):
        return True
    waiting = state == "semacquire" or (group.state_inferred and state == UNKNOWN_STATE)
    return waiting and any(f.function in MUTEX_FRAMES for f in group.frames[:6])


def location_of(group: GoroutineGroup, function: str) -> str | None:
    """``file.go:line`` of ``function``'s frame in ``group``: the file's base name, since the
    function names the package."""
    for frame in group.frames:
        if frame.function == function and frame.file:
            return f"{frame.file.rsplit('/', 1)[-1]}:{frame.line}"
    return None


_CLOSURE = re.compile(r"(?:\.func\d+)+(?:\.\d+)*$")
_POINTER_RECEIVER = re.compile(r"^(.*\.\(\*[^()]+\))\.")


def critical_section(group: GoroutineGroup, lock_function: str) -> str | None:
    """The frame of ``group`` that runs inside the critical section of ``lock_function``: that
    function itself (a goroutine not queued on the lock is past its ``Lock``), else the
    outermost method of its pointer receiver type (the entry point, which takes the lock).

    >>> from kubewhy.parsers.goroutines import Frame, GoroutineGroup
    >>> g = GoroutineGroup(("a",), (Frame("main.(*Cache).fetch"), Frame("main.(*Cache).Refresh")),
    ...                    None)
    >>> critical_section(g, "main.(*Cache).Refresh.func1"), critical_section(g, "main.(*Cache).Get")
    ('main.(*Cache).Refresh', 'main.(*Cache).Refresh')
    >>> critical_section(g, "main.lookup") is None
    True
    """
    base = _CLOSURE.sub("", lock_function)
    names = [frame.function for frame in group.frames]
    for name in names:
        if _CLOSURE.sub("", name) == base:
            return name
    receiver = _POINTER_RECEIVER.match(base)
    if receiver is None:
        return None
    prefix = receiver.group(1) + "."
    return next((name for name in reversed(names) if name.startswith(prefix)), None)


def is_idle_site(group: GoroutineGroup, function: str) -> bool:
    if function in IDLE_FUNCTIONS or is_low_level(function):
        return True
    return any(marker in name for name in group.functions() for marker in IDLE_MARKERS)


def _holder_rank(group: GoroutineGroup) -> int | None:
    """0 syscall or external call, 1 IO wait, 2 another wait, None: cannot hold a lock."""
    state = group.representative_state
    if any(m in f for f in group.functions() for m in EXTERNAL_CALL_MARKERS):
        return 0
    if state.startswith("syscall"):
        return 0
    if state.startswith("IO wait"):
        return 1
    if state.startswith(("running", "runnable", "GC", "idle", "force gc", "finalizer wait")):
        return None
    return 2


# -- analysis ---------------------------------------------------------------------------------


def analyze(
    dump: GoroutineDump,
    signatures: Sequence[tuple[str, GoroutineSignature]] = (),
    thresholds: Thresholds | None = None,
) -> GoroutineReport:
    """Group summaries, leaks, convoys and signature matches of ``dump``."""
    limits = thresholds or Thresholds()
    ranked = dump.ranked()
    functions = {id(g): application_function(g) for g in ranked}
    waiters = [g for g in ranked if is_mutex_waiter(g)]
    waiter_ids = {id(g) for g in waiters}
    others = [g for g in ranked if id(g) not in waiter_ids]
    errors: list[str] = []
    report = GoroutineReport(
        total=dump.total,
        groups=[_summary(g, functions[id(g)]) for g in ranked],
        leaks=_leaks(others, functions, limits),
        convoys=_convoys(waiters, others, functions, limits, dump.has_wait_times, errors),
        signatures=_signatures(ranked, signatures, errors),
    )
    notes = report.notes
    notes.extend(errors)
    if report.convoys and not dump.has_wait_times:
        notes.append(
            "the dump carries no wait times (Go stamps them at a GC, from one minute on): "
            "lock holders are chosen by the kind of wait only"
        )
    if "profile" in dump.shapes:
        notes.append(
            "debug=1 profile: no goroutine ids, states or wait times; states are guessed "
            "from the frames"
        )
    if "counted" in dump.shapes:
        notes.append(
            "counted frame lines (uniq -c of a dump): one frame per stack, no goroutine ids, "
            "states or wait times"
        )
    if dump.malformed:
        notes.append(f"{dump.malformed} malformed lines skipped")
    if is_excerpt(dump):
        waits = [
            f"{functions[id(g)]} waits {w.what}"
            for g in ranked
            if (w := quoted_wait_of(g, "")) is not None
        ]
        said = f": {'; '.join(waits)}" if waits else ""
        notes.append(
            f"an excerpt of {dump.total} goroutine(s), not a whole dump: counts and shares say "
            f"nothing, what the quoted goroutines wait for does{said}"
        )
    return report


def _summary(group: GoroutineGroup, function: str) -> GroupSummary:
    frames = [str(f) for f in group.frames]
    if group.elided:
        frames.append("...additional frames elided...")
    if group.created_by:
        frames.append(f"created by {group.created_by}")
    summary = GroupSummary(
        count=group.count,
        state=group.state,
        max_wait_minutes=group.max_wait,
        function=function,
        frames=frames,
    )
    summary.waits.update(group.histogram())
    return summary


@dataclass(slots=True)
class _Site:
    count: int = 0
    long_waiters: int = 0
    max_wait: int | None = None
    idle: bool = False
    location: str | None = None


def _leaks(
    groups: Iterable[GoroutineGroup], functions: dict[int, str], limits: Thresholds
) -> list[Leak]:
    sites: dict[tuple[str, str], _Site] = {}
    for group in groups:
        function = functions[id(group)]
        for state, count in group.states.items():
            blocked = state.startswith(BLOCKED_STATES) or (
                group.state_inferred and state == UNKNOWN_STATE
            )
            if not blocked:
                continue
            site = sites.get((function, state))
            if site is None:
                # Groups come biggest first: the site's line is its biggest group's.
                site = sites[(function, state)] = _Site(
                    idle=is_idle_site(group, function), location=location_of(group, function)
                )
            site.count += count
            site.long_waiters += sum(
                n
                for (s, m), n in group.waits.items()
                if s == state and m >= limits.long_wait_minutes
            )
            waits = [m for s, m in group.waits if s == state]
            if waits and (site.max_wait is None or max(waits) > site.max_wait):
                site.max_wait = max(waits)
    leaks = []
    for (function, state), site in sites.items():
        factor = limits.idle_site_factor if site.idle else 1
        many = site.count >= limits.leak_min_count * factor
        long = site.long_waiters >= limits.long_wait_min_count * factor
        if many or long:
            leaks.append(
                Leak(
                    function=function,
                    count=site.count,
                    state=state,
                    max_wait_minutes=site.max_wait,
                    location=site.location,
                )
            )
    leaks.sort(key=lambda leak: (-leak.count * (leak.max_wait_minutes or 1), leak.function))
    return leaks


def _convoys(
    waiters: list[GoroutineGroup],
    others: list[GoroutineGroup],
    functions: dict[int, str],
    limits: Thresholds,
    has_waits: bool,
    notes: list[str],
) -> list[Convoy]:
    by_function: dict[str, list[GoroutineGroup]] = {}
    for group in waiters:
        by_function.setdefault(functions[id(group)], []).append(group)
    candidates = [
        (rank, g)
        for g in others
        if (rank := _holder_rank(g)) is not None and not is_idle_site(g, functions[id(g)])
    ]
    convoys = []
    for lock_function, queued in by_function.items():
        count = sum(g.count for g in queued)
        waits = [g.max_wait for g in queued if g.max_wait is not None]
        longest = max(waits) if waits else None
        # Few waiters make a convoy when they have waited: two with any stamp, one from the
        # long-wait minutes on (a mutex changes hands in microseconds; one waited for ten
        # minutes or more is held by someone who does not let go).
        stuck = longest is not None and (count >= 2 or longest >= limits.long_wait_minutes)
        if count < limits.convoy_min_waiters and not stuck:
            continue
        found = _holder(candidates, lock_function, longest if has_waits else None)
        holder = None
        if found is not None and found.representative_id is not None:
            holder = _as_holder(found, functions, critical_section(found, lock_function))
            if _holder_rank(found) != 0:
                behind = _waited_on(candidates, found, lock_function)
                if behind is not None and behind.representative_id is not None:
                    holder.waits_for = _as_holder(behind, functions, None)
        elif found is not None:
            notes.append(
                f"convoy on {lock_function}: likely holder {functions[id(found)]} "
                f"({found.state}), but the dump has no goroutine ids"
            )
        convoys.append(
            Convoy(
                lock_function=lock_function, waiters=count, holder=holder, max_wait_minutes=longest
            )
        )
    convoys.sort(key=lambda c: (-c.waiters, c.lock_function))
    return convoys


def _as_holder(group: GoroutineGroup, functions: dict[int, str], inside: str | None) -> Holder:
    function = functions[id(group)]
    assert group.representative_id is not None
    return Holder(
        goroutine=group.representative_id,
        state=group.representative_state,
        wait_minutes=group.max_wait,
        function=function,
        location=location_of(group, function),
        critical_section=inside,
    )


def _holder(
    candidates: list[tuple[int, GoroutineGroup]], lock_function: str, longest: int | None
) -> GoroutineGroup | None:
    pool = candidates
    if longest is not None:
        pool = [(r, g) for r, g in candidates if (g.max_wait or 0) >= longest] or candidates
    if not pool:
        return None

    def inside(group: GoroutineGroup) -> int:
        found = critical_section(group, lock_function)
        if found is None:
            return 0
        return 2 if _CLOSURE.sub("", found) == _CLOSURE.sub("", lock_function) else 1

    return min(pool, key=lambda c: (-inside(c[1]), c[0], c[1].count > 1, -(c[1].max_wait or -1)))[1]


def _waited_on(
    candidates: list[tuple[int, GoroutineGroup]], holder: GoroutineGroup, lock_function: str
) -> GoroutineGroup | None:
    """What a holder that waits inside the critical section likely waits for: outside that
    critical section, blocked in a syscall or an external call for at least as long as the
    holder has waited (stamped waits only: without them nothing tells the two apart)."""
    if holder.max_wait is None:
        return None
    behind = [
        g
        for rank, g in candidates
        if rank == 0
        and g is not holder
        and g.max_wait is not None
        and g.max_wait >= holder.max_wait
        and critical_section(g, lock_function) is None
    ]
    return max(behind, key=lambda g: (g.max_wait or 0, -g.count), default=None)


def match_signatures(
    dump: GoroutineDump, signatures: Sequence[tuple[str, GoroutineSignature]]
) -> list[SignatureMatch]:
    """The failure modes whose goroutine signatures ``dump`` shows, most goroutines first."""
    return _signatures(dump.ranked(), signatures, [])


def _signatures(
    groups: list[GoroutineGroup],
    signatures: Sequence[tuple[str, GoroutineSignature]],
    errors: list[str],
) -> list[SignatureMatch]:
    best: dict[str, int] = {}
    for failure_mode, signature in signatures:
        try:
            function = re.compile(signature.function)
            state = re.compile(signature.state) if signature.state else None
        except re.error as exc:
            errors.append(f"{failure_mode}/{signature.id}: bad regex skipped ({exc})")
            continue
        count = sum(
            g.count_matching(state, signature.min_wait_minutes)
            for g in groups
            if any(function.search(name) for name in g.functions())
        )
        if count >= signature.min_count and count > best.get(failure_mode, 0):
            best[failure_mode] = count
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    return [SignatureMatch(failure_mode=fm, count=n) for fm, n in ranked]


@dataclass(frozen=True)
class DumpAnalysis:
    """A goroutine dump found in the evidence, analysed, on the component it came from."""

    entity: Entity
    source: str
    dump: GoroutineDump
    report: GoroutineReport
