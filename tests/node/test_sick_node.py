"""A sick node, for real: few PIDs left (a pids cgroup), few file descriptors (RLIMIT_NOFILE),
no writable temporary folder (a private mount namespace). kubewhy answers and exits each time:
the report is printed and the process ends, a worker pool that could not fork never outlives it,
an archive that cannot be extracted is a gap."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest

from .conftest import kubewhy_command, kubewhy_env, need
from .faults import new_cgroup, v1_hierarchy

pytestmark = pytest.mark.realfault

LINE = b"I0907 07:04:17.611412    1873 kubelet.go:1] PLEG is not healthy: pleg was last seen\n"


def big_logs(folder: Path, count: int = 2, size: int = 33 << 20) -> Path:
    """Logs big enough for the scan to want worker processes (two of 32 MiB or more)."""
    folder.mkdir()
    block = LINE * (size // len(LINE) + 1)
    for n in range(count):
        (folder / f"kubelet-{n}.log").write_bytes(block)
    return folder


@pytest.mark.parametrize("pids", [2, 3, 4])
def test_few_pids_and_big_logs_the_report_prints_and_the_process_exits(
    tmp_path: Path, pids: int
) -> None:
    need(os.geteuid() == 0, "needs root to create cgroups")
    need(v1_hierarchy("pids") is not None, "needs the cgroup v1 pids hierarchy")
    logs = big_logs(tmp_path / "logs")
    argv = kubewhy_command("diagnose", str(logs), "--jobs", "2", "--format", "json")
    with new_cgroup("pids") as (directory, _):
        script = (
            f'echo $$ > {directory}/cgroup.procs && echo {pids} > {directory}/pids.max && exec "$@"'
        )
        done = subprocess.run(
            ["/bin/sh", "-c", script, "sh", *argv],
            capture_output=True,
            timeout=120,  # the hang this guards against never ends: the timeout fails the test
            env=kubewhy_env(),
            check=False,
        )
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode in (0, 1), stderr[-3000:]
    report = json.loads(done.stdout)
    assert len(report["inputs"]) == 2


def test_few_file_descriptors(tmp_path: Path) -> None:
    archive = tmp_path / "evidence.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        for n in range(5):
            path = tmp_path / f"kubelet-{n}.log"
            path.write_bytes(LINE * 100)
            tar.add(path, arcname=f"logs/{path.name}")
    for args in (["--node"], [str(archive)], ["--node", str(archive)]):
        done = subprocess.run(
            [
                "/bin/sh",
                "-c",
                'ulimit -n 8 && exec "$@"',
                "sh",
                *kubewhy_command("diagnose", *args, "--format", "json"),
            ],
            capture_output=True,
            timeout=120,
            env=kubewhy_env(),
            check=False,
        )
        stderr = done.stderr.decode(errors="replace")
        assert done.returncode in (0, 1), (args, stderr[-3000:])
        assert json.loads(done.stdout)["inputs"], args


def test_no_writable_temp_folder_an_archive_is_a_gap_not_a_crash(tmp_path: Path) -> None:
    need(os.geteuid() == 0, "needs root for a private mount namespace")
    need(shutil.which("unshare") is not None, "needs unshare (util-linux)")
    # The archive lives in /dev/shm: /tmp and /var/tmp are made read-only in the namespace.
    outside = Path("/dev/shm") / f"kwtest-{uuid.uuid4().hex[:8]}"
    outside.mkdir()
    try:
        archive = outside / "evidence.tgz"
        log = outside / "kubelet.log"
        log.write_bytes(LINE)
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(log, arcname="logs/kubelet.log")
        argv = " ".join(kubewhy_command("diagnose", str(archive), str(log), "--format", "json"))
        script = (
            "for d in /tmp /var/tmp; do mount --bind $d $d && mount -o remount,bind,ro $d $d; "
            f"done && cd /tmp && TMPDIR=/tmp exec {argv}"
        )
        done = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script],
            capture_output=True,
            timeout=120,
            env=kubewhy_env(),
            check=False,
        )
    finally:
        shutil.rmtree(outside, ignore_errors=True)
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode in (0, 1), stderr[-3000:]
    report = json.loads(done.stdout)
    [gap] = [g for g in report["gaps"] if g["origin"].startswith("evidence.tgz")]
    assert gap["reason"] == "unreadable" and "temporary folder" in gap["detail"]
    assert [i["path"] for i in report["inputs"]] == [str(log)]
