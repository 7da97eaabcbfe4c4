"""kubewhy audit: the risks the incidents teach, on real evidence only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def audit(*args: str) -> tuple[int, list[dict[str, object]]]:
    run = subprocess.run(
        [sys.executable, "-m", "kubewhy", "audit", *args, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout)


def test_audit_of_this_machine_lists_its_real_risks_with_evidence() -> None:
    code, risks = audit("--node")
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    by_risk = {(r["failure_mode"], r["risk"]): r for r in risks}
    assert all(r["evidence"] for r in risks), "a risk without evidence"
    pid_risk = by_risk.get(("node-pid-exhaustion", "pid-max-low"))
    if pid_max <= 65536:
        assert pid_risk is not None
        assert str(pid_max) in str(pid_risk["message"])
        assert any(str(pid_max) in str(e["text"]) for e in pid_risk["evidence"])  # type: ignore[attr-defined]
    else:
        assert pid_risk is None
    swap_total = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("SwapTotal:")
    )
    has_swap_risk = ("memory-pressure-node-hang", "no-swap-no-eviction") in by_risk
    assert has_swap_risk == (swap_total == 0)
    severities = [r["severity"] for r in risks]
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    assert severities == sorted(severities, key=order.__getitem__), "most serious first"
    assert code == (1 if risks else 0)


def test_audit_of_the_kernel_bug_incident_names_the_missing_kdump_and_the_kernel() -> None:
    _, risks = audit(str(ROOT / "examples" / "seed003-kernel-bug-reboot"))
    found = {(r["failure_mode"], r["risk"]) for r in risks}
    assert ("kernel-bug-node-reboot", "no-kdump") in found
    assert ("kernel-bug-node-reboot", "xenial-kernel") in found


def test_a_healthy_node_with_high_limits_has_no_pid_risk() -> None:
    _, risks = audit(str(ROOT / "examples" / "healthy-node"))
    assert not [r for r in risks if r["failure_mode"] == "node-pid-exhaustion"]
