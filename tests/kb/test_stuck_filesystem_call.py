"""A Go program parked for many minutes in a stat of a path: the filesystem under it does not
answer (a hard-mounted NFS volume whose server is gone)."""

from __future__ import annotations

from pathlib import Path

from kubewhy.kb.load import default_knowledge_base
from kubewhy.pipeline import Request, observe
from kubewhy.reasoning.match import hypotheses

# public: kubernetes/kubernetes#101622 (the kubelet's sync loop goroutine, as posted; the first
# frame's arguments shortened)
STACK = """goroutine 251 [syscall, {minutes} minutes]:
syscall.Syscall6(0x106, 0xffffffffffffff9c, 0xc001357440, 0xc0015a2378, 0x0, 0x0, ...)
        /usr/local/go/src/syscall/asm_linux_amd64.s:41 +0x5
syscall.fstatat(0xffffffffffffff9c, 0xc001357320, 0x5e, 0xc0015a2378, 0x0, 0xc001357129, 0x8)
        /usr/local/go/src/syscall/zsyscall_linux_amd64.go:1480 +0xc8
syscall.Stat(...)
        /usr/local/go/src/syscall/syscall_linux_amd64.go:65
os.statNolog(0xc001357320, 0x5e, 0x3cf2e80, 0x0, 0x6, 0x7f154449dec8)
        /usr/local/go/src/os/stat_unix.go:31 +0x6e
os.Stat(0xc001357320, 0x5e, 0xc000d56b68, 0x3, 0xc000facb40, 0x48)
        /usr/local/go/src/os/stat.go:13 +0x4d
"""


def _found(tmp_path: Path, minutes: int) -> list[str]:
    dump = tmp_path / "kubelet-goroutines.txt"
    dump.write_text(STACK.format(minutes=minutes))
    kb = default_knowledge_base()
    seen = observe(Request(paths=(dump,)), kb).seen
    return [
        symptom
        for h in hypotheses(kb, seen)
        if h.fm.id == "nfs-server-unresponsive-volume-hang"
        for symptom in h.matched
    ]


# One goroutine quoted alone is also an excerpt someone chose: that it sits in a stat is a lead
# whatever its minutes (quoted-goroutine-in-a-filesystem-call), beside the signature.
QUOTED = "quoted-goroutine-in-a-filesystem-call"


def test_a_stat_parked_for_hours_is_a_hung_filesystem(tmp_path: Path) -> None:
    assert sorted(_found(tmp_path, 939)) == [QUOTED, "stuck-in-filesystem-call"]


def test_a_stat_parked_for_minutes_is_not(tmp_path: Path) -> None:
    # A slow disk or a busy server answers within minutes: below the signature's ten.
    assert _found(tmp_path, 2) == [QUOTED]


# public: containerd/containerd#2750 (docker-containerd's event monitor, as posted; the frames'
# arguments shortened)
OOM_FLUSH = """goroutine 12 [syscall, {minutes} minutes]:
syscall.Syscall(0x0, 0x49, 0xc420048818, 0x8, ...)
        /usr/local/go/src/syscall/asm_linux_amd64.s:18 +0x5
syscall.read(0x49, 0xc420048818, 0x8, 0x8, ...)
        /usr/local/go/src/syscall/zsyscall_linux_amd64.go:783 +0x55
syscall.Read(0x49, 0xc420048818, 0x8, 0x8, ...)
        /usr/local/go/src/syscall/syscall_unix.go:161 +0x49
github.com/docker/containerd/runtime.(*oom).Flush(0xc420389cb0)
        /build/src/github.com/docker/containerd/runtime/container.go:702 +0x54
github.com/docker/containerd/supervisor.(*Monitor).processEvent(0xc420198b10, 0x49, 0x1)
        /build/src/github.com/docker/containerd/supervisor/monitor_linux.go:114 +0x493
"""


def test_a_runtime_monitor_parked_in_oom_flush_is_a_hung_runtime(tmp_path: Path) -> None:
    dump = tmp_path / "docker-containerd-stacks.txt"
    kb = default_knowledge_base()
    for minutes, expected in ((4392, True), (3, False)):
        dump.write_text(OOM_FLUSH.format(minutes=minutes))
        seen = observe(Request(paths=(dump,)), kb).seen
        found = {h.fm.id for h in hypotheses(kb, seen)}
        assert ("container-runtime-hung" in found) is expected
        assert "nfs-server-unresponsive-volume-hang" not in found
