"""The machine at rest: ``kubewhy diagnose --node`` finds nothing it is confident about.

Runs before the fault tests (file order) and with no fault of theirs alive.
"""

from __future__ import annotations

import os

import pytest

from .conftest import active_findings, diagnose_node_json, need

pytestmark = pytest.mark.realfault


def test_a_healthy_machine_has_no_confident_finding() -> None:
    """At rest, nothing kubewhy reads live gives an active finding or lead. Kernel
    log history (OOM kills and refused forks made by earlier fault tests, which stay in the ring
    buffer until reboot) is history: kubewhy itself marks it past (old, or about a process or
    cgroup that is gone), and the report still shows it."""
    need(os.geteuid() == 0, "needs root to read the whole node")
    _, report, _ = diagnose_node_json()
    live = active_findings(report)
    assert not live, live
    # The machine's history is still reported, as past, with its age.
    assert all(f["age"] for f in report["findings"] if f["state"] == "past")
