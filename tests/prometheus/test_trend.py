"""Trend shapes over noisy, real-looking series (no Prometheus needed)."""

from __future__ import annotations

import random

import pytest

from kubewhy.parsers.promtrend import classify_trend, keeps_metric_meaning


def _series(values: list[float], step: float = 15.0) -> list[tuple[float, float]]:
    return [(i * step, v) for i, v in enumerate(values)]


@pytest.mark.parametrize("seed", range(5))
def test_a_leak_under_noise_is_growing(seed: int) -> None:
    rng = random.Random(seed)
    flat = [300 + rng.uniform(-20, 20) for _ in range(10)]
    rise = [300 + 150 * (i + 1) + rng.uniform(-20, 20) for i in range(4)]
    plateau = [900 + rng.uniform(-20, 20) for _ in range(4)]
    trend = classify_trend(_series(flat + rise + plateau))
    assert trend is not None and trend.kind == "growing" and trend.growth_per_hour > 0


@pytest.mark.parametrize("seed", range(5))
def test_noise_alone_is_flat(seed: int) -> None:
    rng = random.Random(seed)
    trend = classify_trend(_series([5000 + rng.uniform(-100, 100) for _ in range(50)]))
    assert trend is not None and trend.kind == "flat"


def test_a_restart_is_a_step_down_and_a_drain_is_falling() -> None:
    restart = classify_trend(_series([900, 905, 902, 10, 12, 11]))
    assert restart is not None and restart.kind == "step" and restart.last < restart.first
    drain = classify_trend(_series([900, 700, 520, 300, 120]))
    assert drain is not None and drain.kind == "falling" and drain.growth_per_hour < 0


def test_too_few_samples_have_no_trend() -> None:
    assert classify_trend(_series([1, 2])) is None
    assert classify_trend(_series([1, float("nan"), 2])) is None


def test_only_same_meaning_queries_borrow_the_metric_name() -> None:
    assert keeps_metric_meaning("node_processes_threads")
    assert keeps_metric_meaning('sum by (node) (container_threads{container!=""})')
    assert not keeps_metric_meaning("histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))")
    assert not keeps_metric_meaning("max by (instance) (node_uname_info) unless on (instance) y")
    assert not keeps_metric_meaning("a > 3")
