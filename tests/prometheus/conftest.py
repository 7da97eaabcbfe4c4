"""Fixtures: one Prometheus scraping two real node-exporters (one without the processes
collector) and a cgroup thread exporter, started once for the module and always cleaned up."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.prevent import render_alerts

from .peers import (
    NODE_EXPORTER,
    PROMETHEUS,
    Peers,
    cgroup_threads_exporter,
    free_port,
    need,
    node_exporter_args,
    pids_cgroup,
    prometheus_config,
    start_process,
    stop,
    wait_until,
)

LEAK_PIDS_MAX = 2000


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return default_knowledge_base()


@pytest.fixture(scope="package")
def peers(kb: KnowledgeBase) -> Iterator[Peers]:
    need(PROMETHEUS is not None, "prometheus is not installed")
    need(NODE_EXPORTER is not None, "prometheus-node-exporter is not installed")
    assert PROMETHEUS is not None
    workdir = Path(tempfile.mkdtemp(prefix="kubewhy-prom-test-"))
    processes = []
    try:
        with pids_cgroup(LEAK_PIDS_MAX) as cgroup, cgroup_threads_exporter(cgroup) as cg_port:
            exporters = {"node-a": free_port(), "node-b": free_port()}
            for node, port in exporters.items():
                args = node_exporter_args(port, processes=node == "node-a")
                processes.append(start_process(args, workdir / f"{node}.log"))
            rules = workdir / "rules.yml"
            rules.write_text(render_alerts(kb, "prometheus", {}))
            config = workdir / "prometheus.yml"
            config.write_text(prometheus_config(exporters, cg_port, rules))
            port = free_port()
            processes.append(
                start_process(
                    [
                        PROMETHEUS,
                        f"--config.file={config}",
                        f"--storage.tsdb.path={workdir / 'data'}",
                        f"--web.listen-address=127.0.0.1:{port}",
                        "--web.enable-lifecycle",
                        "--storage.tsdb.retention.time=1h",
                    ],
                    workdir / "prometheus.log",
                )
            )
            peers = Peers(f"http://127.0.0.1:{port}", workdir, rules, cgroup, processes)
            scraped = wait_until(
                lambda: (
                    len(peers.query("up == 1")) == 3
                    # A few samples already, so that range queries show a trend.
                    and len(peers.query("count_over_time(node_processes_threads[1m]) >= 4")) == 1
                ),
                timeout=20,
            )
            if not scraped:
                log = (workdir / "prometheus.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"Prometheus never scraped its three targets:\n{log}")
            yield peers
    finally:
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)
