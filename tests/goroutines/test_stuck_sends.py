"""A goroutine parked an hour on a channel send is a lead to a leak, even alone in an excerpt;
a long receive (an idle worker) or a short send is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.pipeline import Request, diagnose

# public: kuberhealthy/kuberhealthy#533 (one goroutine of the leaking program's dump, as posted)
STUCK = (
    "goroutine 2486 [chan send, 143 minutes]:\n"
    "k8s.io/apimachinery/pkg/watch.(*StreamWatcher).receive(0xc0004e0700)\n"
    "\t/go/pkg/mod/k8s.io/apimachinery@v0.0.0-20190817020851-f2f3a405f61d/pkg/watch/"
    "streamwatcher.go:127 +0x15b\n"
)


def _findings(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    (tmp_path / "goroutines.txt").write_text(text)
    report = diagnose(Request(paths=(tmp_path / "goroutines.txt",), jobs=1))
    return [(f.failure_mode, f.tier) for f in report.findings]


def test_one_goroutine_stuck_sending_for_hours_is_a_lead(tmp_path: Path) -> None:
    assert _findings(tmp_path, STUCK) == [("goroutine-leak", "lead")]


@pytest.mark.parametrize(
    "header",
    ["goroutine 2486 [chan receive, 143 minutes]:", "goroutine 2486 [chan send, 12 minutes]:"],
)
def test_an_idle_receiver_or_a_short_send_is_no_lead(tmp_path: Path, header: str) -> None:
    text = STUCK.replace("goroutine 2486 [chan send, 143 minutes]:", header)
    assert _findings(tmp_path, text) == []
