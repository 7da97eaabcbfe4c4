"""A real thread leak, seen by node-exporter and the cgroup exporter, scraped by Prometheus:
kubewhy sees the growth over the window and where it is, and the generated alerts fire."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from kubewhy.kb.load import KnowledgeBase
from kubewhy.model.entities import Entity
from kubewhy.prevent import render_alerts

from .peers import (
    CALM_POD,
    LEAK_POD,
    Peers,
    get_json,
    need,
    observe_prometheus,
    thread_leak,
    wait_until,
)

pytestmark = [pytest.mark.peer, pytest.mark.realfault]
LEAK = 1000
LEAK_SECONDS = 4.0
WATCHED = ("KubewhyNodePidUsageHigh", "KubewhyContainerThreadsHigh")


def _value(peers: Peers, promql: str) -> float:
    result = peers.query(promql)
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def _alerts(peers: Peers) -> dict[str, str]:
    alerts = get_json(f"{peers.prometheus}/api/v1/alerts")["data"]["alerts"]
    return {
        a["labels"]["alertname"]: a["state"] for a in alerts if a["labels"]["alertname"] in WATCHED
    }


def _rule_queries(peers: Peers) -> dict[str, str]:
    groups = get_json(f"{peers.prometheus}/api/v1/rules")["data"]["groups"]
    return {r["name"]: r["query"] for g in groups for r in g["rules"] if r["health"] == "ok"}


@pytest.fixture
def scaled_rules(peers: Peers, kb: KnowledgeBase) -> Iterator[dict[str, float]]:
    """The knowledge base's alerts with thresholds half-way up the leak, loaded into Prometheus."""
    baseline = _value(peers, 'max_over_time(node_processes_threads{node="node-a"}[5s])')
    pid_max = _value(peers, 'node_processes_max_processes{node="node-a"}')
    ratio = math.ceil((baseline + LEAK / 2) / pid_max * 10_000) / 10_000
    overrides = {
        "KubewhyNodePidUsageHigh.ratio": ratio,
        "KubewhyContainerThreadsHigh.threads": LEAK / 2,
    }
    durations = dict.fromkeys(WATCHED, "0s")
    peers.rules_file.write_text(render_alerts(kb, "prometheus", overrides, durations))
    peers.reload()
    try:
        loaded = wait_until(lambda: f"> {ratio}" in _rule_queries(peers).get(WATCHED[0], ""))
        assert loaded, "Prometheus did not load the scaled rules"
        yield overrides
    finally:
        peers.rules_file.write_text(render_alerts(kb, "prometheus", {}))
        peers.reload()


def test_thread_leak_grows_in_the_window_and_fires_alerts(
    peers: Peers, kb: KnowledgeBase, scaled_rules: dict[str, float]
) -> None:
    cgroup = peers.leak_cgroup
    need(cgroup is not None, "needs root and the cgroup v1 pids hierarchy")
    assert cgroup is not None
    time.sleep(2)  # two evaluations with the scaled rules, before the fault
    assert _alerts(peers) == {}, "the scaled alerts fire before any leak"
    started = datetime.now(UTC)
    with thread_leak(cgroup, LEAK, LEAK_SECONDS) as leaker:
        firing = wait_until(
            lambda: _alerts(peers) == dict.fromkeys(WATCHED, "firing"), timeout=LEAK_SECONDS + 15
        )
        assert firing, f"alerts during the leak: {_alerts(peers)}"
        assert wait_until(lambda: len((cgroup / "tasks").read_text().split()) >= LEAK, timeout=15)
        time.sleep(3)  # the plateau reaches Prometheus
        assert leaker.poll() is None, "the leaking process died"
        gathered = observe_prometheus(
            peers.prometheus, started - timedelta(seconds=6), datetime.now(UTC), kb
        )
    store = gathered.facts.store
    leak = Entity.container("app", pod=LEAK_POD, namespace="shop")
    calm = Entity.container("nginx", pod=CALM_POD, namespace="web")
    node = Entity.for_node("node-a")
    assert store.value(leak, "metrics.container_threads.trend") == "growing"
    leak_threads = store.value(leak, "container.threads")
    assert isinstance(leak_threads, int) and LEAK <= leak_threads <= LEAK + 5
    growth = store.value(leak, "metrics.container_threads.growth_per_hour")
    assert isinstance(growth, float) and growth > 0
    assert store.canonical(leak).node == "node-a"  # attributed to its node too
    # The calm container (this test process: a few threads come and go) does not grow.
    assert store.value(calm, "metrics.container_threads.trend") in ("flat", "varying", "falling")
    calm_threads = store.value(calm, "container.threads")
    assert isinstance(calm_threads, int) and calm_threads < leak_threads
    # node-exporter sees the same leak in the node's total.
    assert store.value(node, "metrics.node_threads.trend") == "growing"
    high, low = (
        store.value(node, "metrics.node_threads.max"),
        store.value(node, "metrics.node_threads.min"),
    )
    assert isinstance(high, int) and isinstance(low, int) and high - low >= 0.8 * LEAK
    assert store.value(node, "node.threads.total") == high
