"""A wait on a device's references that ended is not a hang: the kernel logs the wait every 10 s
while it holds the rtnl lock, so a device taken down later shows the lock free again."""

from __future__ import annotations

from pathlib import Path

from kubewhy.kb.load import default_knowledge_base
from kubewhy.pipeline import Request, observe
from kubewhy.reasoning.match import hypotheses

# public: kubernetes/node-problem-detector#47 (dmesg -T of a CoreOS node; the node kept working)
WAIT = (
    "[Wed Nov 16 08:03:33 2016] unregister_netdevice: waiting for lo to become free."
    " Usage count = 1"
)
BEFORE = "[Wed Nov 16 08:02:19 2016] docker0: port 5(vethfd2807b) entered disabled state"
LATER = [
    "[Wed Nov 16 08:14:35 2016] vethafecb94: renamed from eth0",
    "[Wed Nov 16 08:14:35 2016] docker0: port 2(veth807b9e2) entered disabled state",
]


def _confidence(tmp_path: Path, lines: list[str]) -> float:
    (tmp_path / "dmesg.txt").write_text("\n".join(lines) + "\n")
    kb = default_knowledge_base()
    seen = observe(Request(paths=(tmp_path / "dmesg.txt",)), kb).seen
    found = [h for h in hypotheses(kb, seen) if h.fm.id == "unregister-netdevice-hang"]
    return max((h.confidence for h in found), default=0.0)


def test_a_wait_then_devices_taken_down_later_is_no_finding(tmp_path: Path) -> None:
    assert _confidence(tmp_path, [BEFORE, WAIT, *LATER]) < 0.15


def test_a_wait_with_nothing_after_it_stays_a_finding(tmp_path: Path) -> None:
    # Teardown lines before the wait are what led to it; they say nothing of its end.
    assert _confidence(tmp_path, [BEFORE, WAIT]) >= 0.9


def test_teardown_lines_alone_make_no_hypothesis(tmp_path: Path) -> None:
    assert _confidence(tmp_path, [BEFORE, *LATER]) == 0.0
