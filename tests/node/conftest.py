"""Shared fixtures for node tests: prerequisites, compiled fault programs, running kubewhy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .faults import v1_hierarchy
from .programs import compile_programs

SRC = Path(__file__).resolve().parents[2] / "src"


def need(condition: bool, reason: str) -> None:
    """Skip when the machine lacks a prerequisite, unless KUBEWHY_REQUIRE_PEERS=1 demands it."""
    if condition:
        return
    if os.environ.get("KUBEWHY_REQUIRE_PEERS") == "1":
        pytest.fail(f"prerequisite missing: {reason}")
    pytest.skip(reason)


@pytest.fixture
def root_with_cgroup_v1() -> None:
    need(os.geteuid() == 0, "needs root to create cgroups")
    need(v1_hierarchy("pids") is not None, "needs the cgroup v1 pids hierarchy")
    need(v1_hierarchy("memory") is not None, "needs the cgroup v1 memory hierarchy")


@pytest.fixture(scope="session")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    try:
        return compile_programs(tmp_path_factory.mktemp("programs"))
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        need(False, f"cannot build the fault programs: {exc}")
        raise


def kubewhy_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def kubewhy_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "kubewhy", *args]


def diagnose_node_json(timeout: float = 120) -> tuple[int, dict[str, Any], str]:
    """``kubewhy diagnose --node --format json``: exit code, the parsed report, stderr."""
    done = subprocess.run(
        kubewhy_command("diagnose", "--node", "--format", "json"),
        capture_output=True,
        timeout=timeout,
        env=kubewhy_env(),
        check=False,
    )
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode in (0, 1), f"exit {done.returncode}: {stderr[-2000:]}"
    return done.returncode, json.loads(done.stdout), stderr


def active_findings(report: dict[str, Any]) -> list[tuple[str, float, str, set[str]]]:
    """Findings and leads the report calls active: (failure mode, confidence, entity, files)."""
    return [
        (
            f["failure_mode"],
            f["confidence"],
            f["entity"],
            {e["source"].rsplit("/", 1)[-1] for e in f["evidence"]},
        )
        for f in report["findings"]
        if f["state"] == "active"
    ]


def findings_of(report: dict[str, Any], failure_mode: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["failure_mode"] == failure_mode]
