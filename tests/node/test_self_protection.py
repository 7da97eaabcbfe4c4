"""kubewhy must never become the incident: on a node that can no longer fork, it still answers.

A wrapper shell joins a new pids cgroup, sets its pids.max to 1 (the shell itself) and execs
kubewhy, which keeps the same PID: from then on no fork and no thread can be created.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import kubewhy_command, kubewhy_env, need
from .faults import new_cgroup, v1_hierarchy

pytestmark = pytest.mark.realfault


def _run_capped(argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    need(os.geteuid() == 0, "needs root to create cgroups")
    need(v1_hierarchy("pids") is not None, "needs the cgroup v1 pids hierarchy")
    with new_cgroup("pids") as (directory, _):
        script = f'echo $$ > {directory}/cgroup.procs && echo 1 > {directory}/pids.max && exec "$@"'
        done = subprocess.run(
            ["/bin/sh", "-c", script, "sh", *argv],
            capture_output=True,
            timeout=timeout,
            env=kubewhy_env(),
            check=False,
        )
        refused = int((directory / "pids.events").read_text().split()[1])
    done.refused = refused  # type: ignore[attr-defined]
    return done


def test_diagnose_node_answers_when_it_cannot_fork() -> None:
    done = _run_capped(kubewhy_command("diagnose", "--node", "--format", "json"))
    stderr = done.stderr.decode(errors="replace")
    # kubewhy sets OPENBLAS_NUM_THREADS=1 before anything can import numpy: no thread at import.
    assert "pthread_create failed" not in stderr, stderr[-3000:]
    assert done.returncode in (0, 1), stderr[-3000:]
    assert done.stdout.strip(), f"no report on stdout (exit {done.returncode}): {stderr[-2000:]}"
    report = json.loads(done.stdout)
    assert "findings" in report
    assert isinstance(report["findings"], list)


def test_a_journal_read_that_cannot_fork_is_a_gap() -> None:
    probe = (
        "from kubewhy.sources.node import journals; "
        "r = journals._run(['journalctl', '--version']); print(r.reason, r.origin)"
    )
    done = _run_capped([sys.executable, "-c", probe], timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stdout.decode().startswith("cannot-fork journalctl --version")
    assert done.refused >= 1  # type: ignore[attr-defined]


def test_diagnose_node_answers_with_a_read_only_temp_dir() -> None:
    """A node whose disk is full or whose /tmp is read-only: live evidence never goes through
    the disk, so the diagnosis still comes. Every place Python's tempfile would try (/tmp,
    /var/tmp, the working directory) is bind-mounted read-only onto itself in a private mount
    namespace: its files stay visible (a clone under /tmp still runs), nothing can be written,
    and the machine's own mounts are untouched."""
    need(os.geteuid() == 0, "needs root for a private mount namespace")
    need(shutil.which("unshare") is not None, "needs unshare (util-linux)")
    argv = " ".join(kubewhy_command("diagnose", "--node", "--format", "json"))
    script = (
        "for d in /tmp /var/tmp; do mount --bind $d $d && mount -o remount,bind,ro $d $d; done && "
        "! touch /tmp/kubewhy-probe /var/tmp/kubewhy-probe 2>/dev/null && "
        f"cd /tmp && TMPDIR=/tmp exec {argv}"
    )
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script],
        capture_output=True,
        timeout=120,
        env=kubewhy_env(),
        check=False,
    )
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode in (0, 1), stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["inputs"], "nothing was read"
    assert any(i["path"].startswith("node/") for i in report["inputs"])
    assert "internal error" not in stderr
