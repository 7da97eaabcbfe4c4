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
    """At rest, nothing kubewhy reads live gives a finding above low confidence. Kernel log
    history (OOM kills and refused forks made by earlier fault tests, which stay in the ring
    buffer until reboot) is history, not the machine's state: findings that rest only on it are
    set aside and shown in the failure message of any other finding."""
    need(os.geteuid() == 0, "needs root to read the whole node")
    _, report, _ = diagnose_node_json()
    live = []
    for finding in report["findings"]:
        sources = {e["source"].rsplit("/", 1)[-1] for e in finding["evidence"]}
        if finding["confidence"] >= LOW_CONFIDENCE and sources != {"dmesg.txt"}:
            live.append(
                (finding["failure_mode"], finding["confidence"], finding["entity"], sources)
            )
    assert not live, live
