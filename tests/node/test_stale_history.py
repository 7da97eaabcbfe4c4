"""After the fault tests (this file runs after them, in file order) have made their faults and
cleaned up: ``kubewhy diagnose --node`` reports what they left in the kernel log as past, with
its age, and nothing as active."""

from __future__ import annotations

import os

import pytest

from .conftest import active_findings, diagnose_node_json, need

pytestmark = pytest.mark.realfault


def test_what_the_fault_tests_left_is_past() -> None:
    need(os.geteuid() == 0, "needs root to read the whole node")
    _, report, _ = diagnose_node_json()
    assert not active_findings(report), active_findings(report)
    past = [f for f in report["findings"] if f["state"] == "past"]
    assert all(f["age"] for f in past)
