"""Tiers from what the evidence shows: a routine single event is a lead, repetition a finding.
Lines written for these tests in the kubelet's event wording (pkg/kubelet/prober)."""

from __future__ import annotations

from pathlib import Path

from kubewhy.pipeline import Request, diagnose

PROBE = (
    "Warning  Unhealthy  {age}  kubelet  "
    "Readiness probe failed: HTTP probe failed with statuscode: 503\n"
)


def _tier(tmp_path: Path, lines: str) -> str:
    events = tmp_path / "events.txt"
    events.write_text(lines)
    (top,) = [
        f for f in diagnose(Request(paths=(events,))).findings if f.failure_mode == "probe-failure"
    ]
    return top.tier


def test_one_readiness_failure_is_a_lead(tmp_path: Path) -> None:
    # One failed probe during a rollout is routine: never counted as a finding.
    assert _tier(tmp_path, PROBE.format(age="2m")) == "lead"


def test_failures_past_the_threshold_are_a_finding(tmp_path: Path) -> None:
    lines = "".join(PROBE.format(age=f"{n}m") for n in (1, 2, 3, 4))
    assert _tier(tmp_path, lines) in ("probable", "confirmed")
