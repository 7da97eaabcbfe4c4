"""A real OOM report, made here and read back from the kernel log, read whole.

A memory hog under a name of its own runs in a fresh memory cgroup limited to 32 MiB; the kernel
kills it and prints its report. Other tests (and other runs on this machine) leave their own OOM
reports in the same kernel log, so the test finds its report by the hog's unique name and PID,
never by position. The cgroup and the hog are removed by path and PID whatever happens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from kubewhy.parsers.kernel_reports import reports_in_text
from kubewhy.parsers.kmsg import KMSG
from kubewhy.pipeline import Request, diagnose

from .conftest import need
from .faults import new_cgroup, spawn_in_cgroup, stop, v1_hierarchy, wait_until

pytestmark = pytest.mark.realfault

LIMIT = 32 << 20


def _kernel_log() -> list[str]:
    done = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=30, check=False)
    return done.stdout.splitlines()


def _report_of(name: str, pid: int) -> list[str] | None:
    """The lines of the report whose victim is ``pid``, from the line that opens it (the hog
    invoked the killer: its own allocation failed) to the victim line."""
    lines = _kernel_log()
    end = next(
        (i for i in range(len(lines) - 1, -1, -1) if f"Killed process {pid} ({name})" in lines[i]),
        None,
    )
    if end is None:
        return None
    start = next((i for i in range(end, -1, -1) if f"{name} invoked oom-killer" in lines[i]), None)
    return None if start is None else lines[start : end + 1]


def test_a_real_memcg_oom_report_read_whole(programs: dict[str, Path], tmp_path: Path) -> None:
    need(os.geteuid() == 0, "needs root to create cgroups and read the kernel log")
    need(v1_hierarchy("memory") is not None, "needs the cgroup v1 memory hierarchy")
    need(shutil.which("dmesg") is not None, "needs dmesg")
    name = f"kwk{uuid.uuid4().hex[:8]}"  # comm keeps 15 characters
    hog = tmp_path / name
    shutil.copy(programs["kw-oom-hog"], hog)
    with new_cgroup("memory", below_own=True) as (directory, rel):
        (directory / "memory.limit_in_bytes").write_text(str(LIMIT))
        process = spawn_in_cgroup([directory], [str(hog), "512"])
        try:
            returncode = process.wait(timeout=60)
        finally:
            stop(process)
        assert returncode == -9, "the hog was not OOM-killed"
    found: list[list[str]] = []
    assert wait_until(lambda: bool(found.append(_report_of(name, process.pid) or []) or found[-1]))
    lines = found[-1]
    (tmp_path / "dmesg.txt").write_text("\n".join(lines) + "\n")

    [report] = reports_in_text("\n".join(lines), KMSG).ooms
    assert report.invoker == name and report.memcg
    assert report.oom_memcg == rel
    assert report.limit_kb == LIMIT >> 10
    assert report.victim is not None and (report.victim.pid, report.victim.name) == (
        process.pid,
        name,
    )
    assert [t.name for t in report.tasks] == [name]

    diagnosis = diagnose(Request(paths=(tmp_path / "dmesg.txt",)))
    top = diagnosis.findings[0]
    # the cgroup is no container's: the node's memory cgroup OOM, on that cgroup, its task named
    assert top.failure_mode == "node-oom-kill" and top.tier == "confirmed"
    assert (top.entity.kind, top.entity.name) == ("cgroup", rel)
    assert top.culprit is not None and (top.culprit.name, top.culprit.pid) == (name, process.pid)
    assert not [
        f
        for f in diagnosis.findings
        if f.failure_mode == "container-oomkilled" and f.tier != "lead"
    ]
