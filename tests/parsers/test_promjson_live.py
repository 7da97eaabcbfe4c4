"""Answers of a real Prometheus scraping a real node-exporter, on loopback."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.promjson import PromJsonFormat

PROMETHEUS = shutil.which("prometheus")
EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(not (PROMETHEUS and EXPORTER), reason="prometheus/node-exporter missing"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return str(answer.read().decode())


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir: Path = tmp_path_factory.mktemp("prometheus")
    exporter_port, prometheus_port = _free_port(), _free_port()
    config = workdir / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "- job_name: node\n"
        f"  static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    processes = [
        subprocess.Popen(
            [
                str(EXPORTER),
                f"--web.listen-address=127.0.0.1:{exporter_port}",
                "--collector.disable-defaults",
                "--collector.processes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                str(PROMETHEUS),
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    base = f"http://127.0.0.1:{prometheus_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                body = _get(f"{base}/api/v1/query?query=node_processes_threads")
                if json.loads(body)["data"]["result"]:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("prometheus never scraped node-exporter")
            time.sleep(0.5)
        time.sleep(2)  # a few samples for the range query
        yield base
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _saved(base: str, path: str, query: str, **extra: str) -> str:
    """What `curl -s URL > file` saves, with the command line kept above it."""
    url = f"{base}{path}?" + urllib.parse.urlencode({"query": query, **extra})
    return f"$ curl -s '{url}'\n{_get(url)}\n"


def _proc(name: str) -> int:
    return int(Path("/proc/sys/kernel", name).read_text())


def test_instant_vector_of_node_exporter(prometheus: str) -> None:
    fmt = PromJsonFormat()
    for query, fact, expected in (
        ("node_processes_max_threads", "sysctl.kernel.threads_max", _proc("threads-max")),
        ("node_processes_max_processes", "sysctl.kernel.pid_max", _proc("pid_max")),
    ):
        text = _saved(prometheus, "/api/v1/query", query)
        assert fmt.sniff(text.splitlines()) >= 0.9
        result = fmt.parse(text, Context("q.json"))
        assert [(f.name, f.entity.ref(), f.value) for f in result.facts] == [
            (fact, "node/127.0.0.1", expected)
        ]
        assert result.malformed == 0


def test_range_matrix_and_aggregation(prometheus: str) -> None:
    now = time.time()
    text = _saved(
        prometheus,
        "/api/v1/query_range",
        "node_processes_threads",
        start=str(now - 30),
        end=str(now),
        step="1",
    )
    result = PromJsonFormat().parse(text, Context("range.json"))
    (fact,) = result.facts
    assert fact.name == "node.threads.total" and isinstance(fact.value, int) and fact.value > 0
    assert "peak of" in result.records[0].text
    # An aggregation has no __name__: its metric comes from the query on the curl line.
    summed = _saved(prometheus, "/api/v1/query", "sum by (instance) (node_processes_threads)")
    result = PromJsonFormat().parse(summed, Context("sum.json"))
    assert [f.name for f in result.facts] == ["node.threads.total"]
