"""A host on the unified cgroup v2 hierarchy is every current distribution's default: alone it is
no finding, not even a lead; beside a kubelet that fails for want of v1 mounts it supports one.
Lines marked "public" are as posted in the thread named."""

from __future__ import annotations

from pathlib import Path

from kubewhy.pipeline import Request, diagnose

# public: opsnull/follow-me-install-kubernetes-cluster#640 (grep cgroup /etc/mtab; kubelet v1.16.6)
MOUNT = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0\n"  # noqa: E501
KUBELET = (
    "I0305 15:57:27.329438   16240 server.go:410] Version: v1.16.6\n"
    "F0305 15:57:27.331958   16240 server.go:271] failed to run Kubelet: "
    "mountpoint for cpu not found\n"
)


def test_the_unified_hierarchy_alone_is_neither_finding_nor_lead(tmp_path: Path) -> None:
    (tmp_path / "mtab.txt").write_text(MOUNT)
    diagnosis = diagnose(Request(paths=(tmp_path,)))
    assert [f.failure_mode for f in diagnosis.findings] == []
    near = [n.failure_mode for n in diagnosis.near_misses]
    assert "kubelet-cgroup-v2-unsupported" in near


def test_it_supports_a_kubelet_that_finds_no_v1_mount(tmp_path: Path) -> None:
    (tmp_path / "mtab.txt").write_text(MOUNT)
    (tmp_path / "kubelet.log").write_text(KUBELET)
    (finding,) = diagnose(Request(paths=(tmp_path,))).findings[:1]
    assert finding.failure_mode == "kubelet-cgroup-v2-unsupported"
    assert finding.tier in ("probable", "confirmed")
