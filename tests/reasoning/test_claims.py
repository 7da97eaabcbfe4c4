"""A refused fork names no limit: the evidence around it says whose limit it was
(``FailureMode.claims``). Lines below are written for these tests in the wording of the Go runtime
(runtime/os_linux.go newosproc) and bash (fork: retry); the cgroup listing is as
``grep . /sys/fs/cgroup/pids.*`` prints it."""

from __future__ import annotations

from pathlib import Path

from kubewhy.pipeline import Request, diagnose

REFUSALS = (
    "runtime: failed to create new OS thread (have 2 already; errno=11)\n"
    "fatal error: newosproc\n"
    "/bin/bash: fork: retry: Resource temporarily unavailable\n"
)


def _modes(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, str]]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    found = diagnose(Request(paths=tuple(sorted(tmp_path.iterdir())))).findings
    return [(f.failure_mode, f.tier) for f in found]


def test_a_cgroup_at_its_limit_takes_the_refusals_as_one_finding(tmp_path: Path) -> None:
    modes = _modes(
        tmp_path,
        {
            "app.log": REFUSALS,
            "cgroup-pids.txt": "/sys/fs/cgroup/pids.max:512\n/sys/fs/cgroup/pids.current:511\n",
        },
    )
    assert modes[0] == ("pids-cgroup-limit", "confirmed")
    assert "node-pid-exhaustion" not in [m for m, _ in modes]


def test_refusals_alone_are_two_leads_the_workloads_limit_first(tmp_path: Path) -> None:
    modes = _modes(tmp_path, {"app.log": REFUSALS})
    assert [m for m, _ in modes[:2]] == ["pids-cgroup-limit", "node-pid-exhaustion"]
    assert modes[0][1] != "confirmed"


def test_the_nodes_own_daemons_refused_point_at_the_node(tmp_path: Path) -> None:
    journal = "".join(
        f"Nov 18 14:0{n}:05 node-1 kubelet[4136]: runtime/cgo: pthread_create failed: "
        "Resource temporarily unavailable\n"
        for n in range(3)
    )
    modes = _modes(tmp_path, {"journal.txt": journal})
    assert modes[0][0] == "node-pid-exhaustion"
    assert "pids-cgroup-limit" not in [m for m, _ in modes]


def test_the_daemons_own_service_cgroup_at_its_limit_takes_their_refusals(tmp_path: Path) -> None:
    # dockerd refused forks (Go's fork/exec EAGAIN) while `systemctl status docker` shows its
    # service at systemd's task limit: the service's limit, not the node's.
    journal = "".join(
        f'Sep 16 17:0{n}:05 node-1 dockerd[113233]: time="2021-09-16T17:0{n}:05Z" level=error '
        'msg="failed to start shim: fork/exec /usr/bin/containerd-shim: resource temporarily '
        'unavailable: unknown"\n'
        for n in range(3)
    )
    status = (
        "[root@node-1 ~]# systemctl status docker\n"
        "● docker.service - Docker Application Container Engine\n"
        " Main PID: 113233 (dockerd)\n"
        "    Tasks: 2043 (limit: 2048)\n"
        "   CGroup: /system.slice/docker.service\n"
    )
    modes = _modes(tmp_path, {"journal.txt": journal, "terminal.txt": status})
    assert modes[0][0] == "pids-cgroup-limit"
    assert "node-pid-exhaustion" not in [m for m, _ in modes]
    # without the service's limit, the same lines point at the node
    (tmp_path / "terminal.txt").unlink()
    assert _modes(tmp_path, {})[0][0] == "node-pid-exhaustion"
