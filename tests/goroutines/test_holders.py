"""The likely holder of a lock: inside the critical section first, and what it waits for."""

from __future__ import annotations

from pathlib import Path

from kubewhy.facts.goroutines import DumpAnalysis, analyze
from kubewhy.kb.checks import queues_of
from kubewhy.model.entities import Entity
from kubewhy.parsers.goroutines import parse_goroutine_lines

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# The shape Go 1.24 prints: the wait reason names the mutex, the semaphore calls are
# internal/sync's (frames as in a Go 1.24.3 SIGQUIT traceback; names and lines of main are ours).
GO124 = """goroutine {id} [sync.Mutex.Lock, {minutes} minutes]:
internal/sync.runtime_SemacquireMutex(0xc000106028?, 0xc0?, 0x1e?)
\t/usr/local/go/src/runtime/sema.go:95 +0x25
internal/sync.(*Mutex).lockSlow(0xc0001040e8)
\t/usr/local/go/src/internal/sync/mutex.go:149 +0x15d
internal/sync.(*Mutex).Lock(...)
\t/usr/local/go/src/internal/sync/mutex.go:70
sync.(*Mutex).Lock(...)
\t/usr/local/go/src/sync/mutex.go:46
main.(*Registry).Lookup(0xc0001040e0, {{0x4f6a2b, 0x3}})
\t/src/registry.go:41 +0x4a

"""
HOLDER = """goroutine 7 [chan receive, 40 minutes]:
main.(*Registry).sync(0xc0001040e0)
\t/src/registry.go:63 +0x85
main.(*Registry).Reload(0xc0001040e0)
\t/src/registry.go:55 +0x2c

goroutine 8 [syscall, 90 minutes]:
syscall.Syscall(0x0, 0x3, 0xc00001a0a0, 0x1)
\t/usr/local/go/src/syscall/syscall_linux.go:73 +0x25
main.tail(0x3)
\t/src/tail.go:12 +0x3d

"""


def test_go124_waiters_and_the_goroutine_inside_the_critical_section() -> None:
    text = HOLDER + "".join(GO124.format(id=100 + n, minutes=30 + n) for n in range(6))
    (convoy,) = analyze(parse_goroutine_lines(text.splitlines())).convoys
    assert (convoy.lock_function, convoy.waiters, convoy.max_wait_minutes) == (
        "main.(*Registry).Lookup",
        6,
        35,
    )
    holder = convoy.holder
    assert holder is not None
    # The syscall waited longer, but holds nothing: the goroutine inside Reload holds the lock.
    assert (holder.goroutine, holder.function, holder.location) == (
        7,
        "main.(*Registry).sync",
        "registry.go:63",
    )
    assert holder.critical_section == "main.(*Registry).Reload"
    assert holder.waits_for is not None and holder.waits_for.goroutine == 8


def test_go124_mutex_frames_in_a_debug1_profile() -> None:
    profile = (
        "goroutine profile: total 6\n"
        "6 @ 0x43d2ee 0x44e9b7 0x4754ad 0x478c1d 0x4c2a8a 0x474fa1\n"
        "#\t0x4754ac\tinternal/sync.runtime_SemacquireMutex+0x2c\t/usr/local/go/src/runtime/sema.go:95\n"
        "#\t0x478c1c\tinternal/sync.(*Mutex).lockSlow+0x15c\t/usr/local/go/src/internal/sync/mutex.go:149\n"
        "#\t0x4c2a89\tsync.(*Mutex).Lock+0x49\t/usr/local/go/src/sync/mutex.go:46\n"
        "#\t0x4c2a89\tmain.(*Registry).Lookup+0x49\t/src/registry.go:41\n"
    )
    dump = parse_goroutine_lines(profile.splitlines())
    assert dump.groups[0].state == "semacquire"
    (convoy,) = analyze(dump).convoys
    assert (convoy.lock_function, convoy.waiters) == ("main.(*Registry).Lookup", 6)


def test_terway_holder_is_the_allocation_waiting_for_the_netlink_receive() -> None:
    """The reconstructed terwayd dump of seed 004: an AllocIP (goroutine 67568) holds the
    daemon's lock and waits in ns.(*netNS).Do for goroutine 67570, stuck in netlink."""
    text = (EXAMPLES / "seed004-pleg-cni-hang" / "terwayd-goroutine-debug2.txt").read_text()
    report = analyze(parse_goroutine_lines(text.splitlines()))
    assert {c.holder.goroutine for c in report.convoys if c.holder} == {67568}
    holder = report.convoys[0].holder
    assert holder is not None
    assert holder.critical_section is not None
    assert holder.critical_section.endswith("daemon.(*networkService).AllocIP")
    assert holder.waits_for is not None
    assert (holder.waits_for.goroutine, holder.waits_for.state) == (67570, "syscall")
    assert holder.waits_for.function.endswith("netlink/nl.(*NetlinkSocket).Receive")


# A handler writing its response (a write syscall, under a minute: no stamp) inside the method
# whose other callers queue on the lock: the moment a SIGQUIT dump of a busy server catches.
WRITER = """goroutine 9 [{state}]:
syscall.Syscall(0x1, 0x7, 0xc000200000, 0x20)
\t/usr/local/go/src/syscall/syscall_linux.go:73 +0x25
main.(*Registry).Lookup(0xc0001040e0, {{0x4f6a2b, 0x3}})
\t/src/registry.go:44 +0x9a

"""
UNSTAMPED = GO124.replace(", {minutes} minutes", "")


def _queue_is_held(writer_state: str) -> bool:
    text = WRITER.format(state=writer_state) + "".join(
        UNSTAMPED.format(id=100 + n) for n in range(6)
    )
    dump = parse_goroutine_lines(text.splitlines())
    analysis = DumpAnalysis(Entity.component("go-program"), "goroutines.txt", dump, analyze(dump))
    queues = queues_of(analysis)
    assert [q.waiters for q in queues] == [6]
    return queues[0].held


def test_a_holder_doing_io_under_a_minute_does_not_make_a_lock_held() -> None:
    assert not _queue_is_held("syscall")
    assert not _queue_is_held("IO wait")
    assert _queue_is_held("syscall, 4 minutes")
    assert _queue_is_held("chan receive")


# One goroutine of ingress-nginx's controller, as kubernetes/ingress-nginx#768 pasted it (Go 1.8):
# alone in the excerpt, waiting nine hours for a mutex.
ONE_LONG_WAITER = """goroutine 44 [semacquire, {minutes} minutes]:
sync.runtime_SemacquireMutex(0xc42012e3c4)
  /usr/local/Cellar/go/1.8.1/libexec/src/runtime/sema.go:62 +0x34
sync.(*Mutex).Lock(0xc42012e3c0)
  /usr/local/Cellar/go/1.8.1/libexec/src/sync/mutex.go:87 +0x9d
sync.(*RWMutex).Lock(0xc42012e3c0)
  /usr/local/Cellar/go/1.8.1/libexec/src/sync/rwmutex.go:86 +0x2d
k8s.io/ingress/vendor/k8s.io/client-go/tools/cache.(*DeltaFIFO).HasSynced(0xc42012e3c0, 0x1dcd400)
  /Users/clucas/go/src/k8s.io/ingress/vendor/k8s.io/client-go/tools/cache/delta_fifo.go:167 +0x36
"""


def test_one_goroutine_waiting_long_for_a_mutex_is_a_convoy_short_waits_are_not() -> None:
    held = analyze(parse_goroutine_lines(ONE_LONG_WAITER.format(minutes=539).splitlines()))
    (convoy,) = held.convoys
    assert convoy.waiters == 1 and convoy.max_wait_minutes == 539
    passing = analyze(parse_goroutine_lines(ONE_LONG_WAITER.format(minutes=3).splitlines()))
    assert passing.convoys == []


def test_a_program_is_named_by_its_own_module() -> None:
    from kubewhy.model.components import of_stack_frames

    dump = parse_goroutine_lines(ONE_LONG_WAITER.format(minutes=539).splitlines())
    frames = [f.function for g in dump.ranked() for f in g.frames]
    assert of_stack_frames(frames) == "ingress"
