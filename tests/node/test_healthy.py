"""The machine at rest: ``kubewhy diagnose --node`` finds nothing it is confident about.

Runs before the fault tests (file order) and with no fault of theirs alive.
"""

from __future__ import annotations

import os

import pytest

from .conftest import diagnose_node_json, need

pytestmark = pytest.mark.realfault

LOW_CONFIDENCE = 0.5


def test_a_healthy_machine_has_no_confident_finding() -> None:
    """At rest, nothing kubewhy reads live gives an active finding above low confidence. Kernel
    log history (OOM kills and refused forks made by earlier fault tests, which stay in the ring
    buffer until reboot) is history: kubewhy itself marks it past (old, or about a process or
    cgroup that is gone), and the report still shows it."""
    need(os.geteuid() == 0, "needs root to read the whole node")
    _, report, _ = diagnose_node_json()
    live = []
    for finding in report["findings"]:
        if finding["confidence"] >= LOW_CONFIDENCE and finding["state"] == "active":
            sources = {e["source"].rsplit("/", 1)[-1] for e in finding["evidence"]}
            live.append(
                (finding["failure_mode"], finding["confidence"], finding["entity"], sources)
            )
    assert not live, live
    # The machine's history is still reported, as past, with its age.
    assert all(f["age"] for f in report["findings"] if f["state"] == "past")
