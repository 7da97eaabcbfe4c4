"""A goroutine parked for many minutes in a call that returns at once on a healthy node (a
netlink request, a mount or unmount): a lead to a held lock, with the component as culprit."""

from __future__ import annotations

from pathlib import Path

from kubewhy.pipeline import Request, diagnose

# public: cilium/cilium#15408 (cilium-agent's node handler, as posted; the last frames cut and
# the long argument lists shortened)
NETLINK = """goroutine 62 [syscall, {minutes} minutes]:
syscall.Syscall6(0x2d, 0x4e, 0xc002e27000, 0x1000, 0x0, 0xc004ba33e0, ...)
        /usr/local/go/src/syscall/asm_linux_amd64.s:44 +0x5
syscall.recvfrom(0x4e, 0xc002e27000, 0x1000, 0x1000, 0x0, 0xc004ba33e0, ...)
        /usr/local/go/src/syscall/zsyscall_linux_amd64.go:1618 +0xa3
syscall.Recvfrom(0x4e, 0xc002e27000, 0x1000, 0x1000, 0x0, 0x4, 0x0, 0x0, 0x0, 0x0)
        /usr/local/go/src/syscall/syscall_unix.go:273 +0xaf
syscall.NetlinkRIB(0x12, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0)
        /usr/local/go/src/syscall/netlink_linux.go:71 +0x23c
net.interfaceTable(0x0, 0x4, 0x4, 0x8, 0x18, 0xc002462cc0)
        /usr/local/go/src/net/interface_linux.go:17 +0x48
net.InterfaceByName(0xc0001dd298, 0x4, 0xc00a3e6a20, 0x10, 0x10)
        /usr/local/go/src/net/interface.go:157 +0x1a4
github.com/cilium/cilium/pkg/datapath/linux.(*linuxNodeHandler).insertNeighbor(0xc0008d4c30, ...)
        /go/src/github.com/cilium/cilium/pkg/datapath/linux/node.go:591 +0x132
"""

# built: a supervisor waiting on its long-running child (dockerd on containerd, k3s on its
# containerd) waits in the same system call for as long as the child lives: that is not stuck.
SUPERVISOR = """goroutine 41 [syscall, 1200 minutes]:
syscall.Syscall6(0xf7, 0x1, 0x1f3a, 0xc000a1fe08, 0x1000004, 0x0, 0x0)
        /usr/local/go/src/syscall/asm_linux_amd64.s:43 +0x5
os.(*Process).blockUntilWaitable(0xc0003a4f00)
        /usr/local/go/src/os/wait_waitid.go:32 +0x87
os.(*Process).wait(0xc0003a4f00)
        /usr/local/go/src/os/exec_unix.go:22 +0x28
os/exec.(*Cmd).Wait(0xc0001b2420)
        /usr/local/go/src/os/exec/exec.go:599 +0x4c
github.com/k3s-io/k3s/pkg/agent/containerd.Run.func1(0xc0001b2420)
        /go/src/github.com/k3s-io/k3s/pkg/agent/containerd/containerd.go:118 +0x3c
"""


def _findings(tmp_path: Path, text: str) -> list[tuple[str, str, str | None]]:
    dump = tmp_path / "goroutines.txt"
    dump.write_text(text)
    found = diagnose(Request(paths=(dump,))).findings
    return [(f.failure_mode, f.tier, f.culprit and f.culprit.name) for f in found]


def test_a_netlink_call_parked_for_hours_is_a_lead_to_a_held_lock(tmp_path: Path) -> None:
    assert _findings(tmp_path, NETLINK.format(minutes=1080)) == [("lock-convoy", "lead", "cilium")]


def test_a_netlink_call_parked_for_a_few_minutes_is_not(tmp_path: Path) -> None:
    assert _findings(tmp_path, NETLINK.format(minutes=3)) == []


def test_a_supervisor_waiting_on_its_child_is_not(tmp_path: Path) -> None:
    assert _findings(tmp_path, SUPERVISOR) == []
