"""Honest silence: "no finding" says what was read, what was not understood and what came
closest. The inputs are lines written for these tests in the emitters' wording."""

from __future__ import annotations

from pathlib import Path

from kubewhy.pipeline import Request, diagnose
from kubewhy.reports import render


def test_an_input_nothing_understood_is_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("we restarted the node at noon\nthen it was fine\n")
    diagnosis = diagnose(Request(paths=(notes,)))
    assert diagnosis.findings == []
    assert [(u.path, u.format) for u in diagnosis.unread] == [(str(notes), "text")]
    text = render(diagnosis, "text")
    assert "nothing in the evidence was understood" in text
    assert "Not understood" in text and "notes.txt" in text


def test_an_input_that_matched_is_not_unread(tmp_path: Path) -> None:
    events = tmp_path / "events.txt"
    events.write_text("Warning  Unhealthy  1m  kubelet  Readiness probe failed: HTTP 503\n")
    assert diagnose(Request(paths=(events,))).unread == []


def test_the_closest_hypothesis_and_what_would_settle_it(tmp_path: Path) -> None:
    # One sandbox recreated: a visible effect of a cgroup driver mismatch, far too weak alone.
    events = tmp_path / "events.txt"
    events.write_text(
        "Normal  SandboxChanged  2m  kubelet  Pod sandbox changed, it will be killed and "
        "re-created.\n"
    )
    diagnosis = diagnose(Request(paths=(events,)))
    assert diagnosis.findings == []
    (near,) = [n for n in diagnosis.near_misses if n.failure_mode == "cgroup-driver-mismatch"]
    assert 0 < near.confidence < 0.35  # below the failure mode's threshold
    assert near.seen and near.confirm
    text = render(diagnosis, "text")
    assert "too weak to name a cause" in text and "cgroup-driver-mismatch" in text
    assert "cgroupDriver" in text  # the command that would settle it
