"""Seed 000 diagnosed from Prometheus: the example's recorded ``container_threads`` series are
loaded into a real Prometheus (``promtool tsdb create-blocks-from openmetrics``), then
the pipeline queries it over the incident window with the knowledge base's PromQL.

As in the postmortem, node-exporter runs without ``--collector.processes``: its
``node_uname_info`` is there, ``node_processes_threads`` is not.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from kubewhy.kb.load import KnowledgeBase
from kubewhy.model.entities import Entity
from kubewhy.pipeline import Request, diagnose

from .peers import (
    PROMETHEUS,
    PROMTOOL,
    diagnose_prometheus,
    free_port,
    get_json,
    need,
    observe_prometheus,
    start_process,
    stop,
    wait_until,
)

pytestmark = pytest.mark.peer
SEED = Path(__file__).resolve().parents[2] / "examples" / "seed000-calico-pid-exhaustion"
SERIES = SEED / "prom-query_range-container_threads-node-xx.json"
# The postmortem's window: 21:40 to 22:30 CST (UTC+8).
SINCE = datetime(2023, 7, 23, 13, 40, tzinfo=UTC)
UNTIL = datetime(2023, 7, 23, 14, 30, tzinfo=UTC)
UNAME = {
    "instance": "10.20.14.37:9100",
    "job": "node-exporter",
    "node": "node-xx",
    "nodename": "node-xx",
    "release": "3.10.0-1160.el7.x86_64",
}


def _labels(labels: dict[str, str]) -> str:
    shown = ",".join(
        f'{k}="{v}"'.replace("\\", "\\\\") for k, v in sorted(labels.items()) if k != "__name__"
    )
    return "{" + shown + "}"


def openmetrics() -> str:
    """The seed's series (and node-exporter's uname info at the same times) as OpenMetrics."""
    answer = json.loads(SERIES.read_text())
    lines = ["# TYPE container_threads gauge"]
    stamps: set[int] = set()
    for series in answer["data"]["result"]:
        for stamp, value in series["values"]:
            lines.append(f"container_threads{_labels(series['metric'])} {value} {stamp}")
            stamps.add(int(stamp))
    lines.append("# TYPE node_uname_info gauge")
    lines += [f"node_uname_info{_labels(UNAME)} 1 {stamp}" for stamp in sorted(stamps)]
    return "\n".join([*lines, "# EOF", ""])


@pytest.fixture(scope="module")
def seed_prometheus() -> Iterator[str]:
    need(PROMETHEUS is not None and PROMTOOL is not None, "prometheus/promtool not installed")
    assert PROMETHEUS is not None and PROMTOOL is not None
    workdir = Path(tempfile.mkdtemp(prefix="kubewhy-prom-seed-"))
    process = None
    try:
        (workdir / "seed.om").write_text(openmetrics())
        subprocess.run(
            [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "-q", "seed.om", "data"],
            cwd=workdir,
            check=True,
            capture_output=True,
            timeout=60,
        )
        (workdir / "prometheus.yml").write_text("global: {scrape_interval: 1m}\n")
        port = free_port()
        process = start_process(
            [
                PROMETHEUS,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                "--storage.tsdb.retention.time=36500d",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            workdir / "prometheus.log",
        )
        url = f"http://127.0.0.1:{port}"
        at = f"{UNTIL.timestamp():.0f}"
        ready = wait_until(
            lambda: bool(
                get_json(f"{url}/api/v1/query?query=container_threads&time={at}")["data"]["result"]
            ),
            timeout=20,
        )
        assert ready, (workdir / "prometheus.log").read_text(errors="replace")[-2000:]
        yield url
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def test_the_leaking_container_is_found_from_prometheus_alone(
    seed_prometheus: str, kb: KnowledgeBase
) -> None:
    gathered = observe_prometheus(seed_prometheus, SINCE, UNTIL, kb)
    leak = Entity.container("order-service", pod="order-service-6b9f7c8d4-qz2lk", namespace="shop")
    store = gathered.facts.store
    assert store.value(leak, "metrics.container_threads.trend") == "growing"
    threads = store.value(leak, "container.threads")
    assert isinstance(threads, int) and threads > 40_000
    node = Entity.for_node("node-xx")
    total = store.value(node, "metrics.container_threads_sum")
    assert isinstance(total, int) and 45_000 <= total <= 47_000  # the postmortem's 46k
    assert store.value(node, "metrics.node_container_threads.trend") == "growing"

    diagnosis = diagnose_prometheus(seed_prometheus, SINCE, UNTIL, kb)
    by_mode = {f.failure_mode: f for f in diagnosis.findings}
    assert by_mode["thread-leak-container"].entity.name.startswith("order-service")
    assert by_mode["telemetry-gap-node-processes"].entity.name == "node-xx"
    assert any("container_threads" in e.text for e in by_mode["thread-leak-container"].evidence)


def test_prometheus_plus_the_node_shell_output_reach_the_seeds_conclusion(
    seed_prometheus: str, kb: KnowledgeBase, tmp_path: Path
) -> None:
    """The seed's non-Prometheus files (journal, describe, limits) plus Prometheus: the same
    conclusion as the full example (its expect.yaml)."""
    for path in SEED.iterdir():
        if not path.name.startswith("prom-") and path.name != "expect.yaml":
            shutil.copy(path, tmp_path / path.name)
    expect = yaml.safe_load((SEED / "expect.yaml").read_text())
    diagnosis = diagnose_prometheus(seed_prometheus, SINCE, UNTIL, kb, tmp_path)
    found = [f.failure_mode for f in diagnosis.findings]
    top = diagnosis.findings[0]
    assert top.failure_mode == expect["top"], found
    assert top.culprit is not None and expect["culprit"]["name_contains"] in top.culprit.name
    for other in expect["also"]:
        assert other in found
    # Without Prometheus the same files show the victim (the node's PID space), not who leaked.
    alone = diagnose(Request(paths=(tmp_path,)), kb)
    assert alone.findings[0].failure_mode != "thread-leak-container"
    assert not any(f.culprit and "order-service" in f.culprit.name for f in alone.findings)
