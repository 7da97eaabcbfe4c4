"""The scan progress bar stays silent for short work and off a terminal, and counts bytes."""

from __future__ import annotations

from kubewhy.cli.progress import ScanProgress


def test_counts_bytes_without_a_terminal() -> None:
    bar = ScanProgress(enabled=False)
    bar.start(1000)
    bar.advance(400)
    bar.advance(600)
    bar.finish()
    assert (bar.total, bar.done) == (1000, 1000)


def test_appears_only_after_a_second() -> None:
    ticks = iter([0.0, 0.0, 0.5, 2.0])
    bar = ScanProgress(enabled=True, clock=lambda: next(ticks))
    bar.start(100)
    bar.advance(10)  # at 0.5 s: nothing shown yet
    assert bar._bar is None
    bar.advance(10)  # at 2.0 s: shown
    assert bar._bar is not None
    bar.finish()
    assert bar._bar is None
