"""Real peers for the Prometheus tests: node-exporter, Prometheus, a pids cgroup and a thread leak.

Everything binds 127.0.0.1 on free ports, lives in a temporary folder, and is ended by PID in a
``finally``. The cgroup exporter plays cAdvisor's part (there is no container runtime here): it
serves ``container_threads`` for a real pids cgroup by counting the tasks the kernel lists in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kubewhy.kb.load import KnowledgeBase
from kubewhy.kb.metrics import plan_queries
from kubewhy.model.diagnosis import Diagnosis
from kubewhy.pipeline import Observation, PrometheusSource, Request, diagnose, observe
from kubewhy.sources.bundle import BundleWriter

PROMETHEUS = shutil.which("prometheus")
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
PROMTOOL = shutil.which("promtool")
PIDS_ROOT = Path("/sys/fs/cgroup/pids")
LEAK_POD = "order-service-7d9f"
CALM_POD = "web-0"


def need(condition: bool, reason: str) -> None:
    """Skip without a peer, unless KUBEWHY_REQUIRE_PEERS=1 makes a missing peer a failure."""
    if condition:
        return
    if os.environ.get("KUBEWHY_REQUIRE_PEERS") == "1":
        pytest.fail(f"required peer missing: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(check: Callable[[], bool], timeout: float = 15.0, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(every)
    return False


def get_json(url: str, timeout: float = 5.0, method: str = "GET") -> Any:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body.strip() else None


def stop(process: subprocess.Popen[bytes]) -> None:
    """End one process we started, by PID: SIGTERM, then SIGKILL."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class Peers:
    prometheus: str  # base URL
    workdir: Path
    rules_file: Path
    leak_cgroup: Path | None
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def query(self, promql: str) -> list[dict[str, Any]]:
        url = f"{self.prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        answer = get_json(url)
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def reload(self) -> None:
        get_json(f"{self.prometheus}/-/reload", method="POST")


def start_process(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )


def _count_tasks(cgroup: Path | None) -> int:
    if cgroup is None:
        return 0
    try:
        return len((cgroup / "tasks").read_text().split())
    except OSError:
        return 0


class _CgroupThreads(BaseHTTPRequestHandler):
    """``container_threads`` for the leak's cgroup and for this test process (a calm container)."""

    cgroup: Path | None = None

    def do_GET(self) -> None:
        leak = _count_tasks(self.cgroup)
        calm = len(os.listdir("/proc/self/task"))
        body = (
            "# HELP container_threads Number of threads running inside the container\n"
            "# TYPE container_threads gauge\n"
            f'container_threads{{namespace="shop",pod="{LEAK_POD}",container="app",'
            f'node="node-a"}} {leak}\n'
            f'container_threads{{namespace="web",pod="{CALM_POD}",container="nginx",'
            f'node="node-a"}} {calm}\n'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return


@contextlib.contextmanager
def cgroup_threads_exporter(cgroup: Path | None) -> Iterator[int]:
    handler = type("Handler", (_CgroupThreads,), {"cgroup": cgroup})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="cgroup-threads", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def pids_cgroup(limit: int) -> Iterator[Path | None]:
    """A pids cgroup of our own under the v1 hierarchy (None when we cannot make one)."""
    if os.geteuid() != 0 or not (PIDS_ROOT / "cgroup.procs").exists():
        yield None
        return
    directory = PIDS_ROOT / f"kubewhy-prom-test-{os.getpid()}"
    directory.mkdir()
    try:
        (directory / "pids.max").write_text(str(limit))
        yield directory
    finally:
        wait_until(lambda: _count_tasks(directory) == 0, timeout=10)
        with contextlib.suppress(OSError):
            directory.rmdir()


LEAKER = """
import sys, threading, time
total, seconds = int(sys.argv[1]), float(sys.argv[2])
threading.stack_size(256 * 1024)
release = threading.Event()
for i in range(total):
    threading.Thread(target=release.wait, daemon=True).start()
    time.sleep(seconds / total)
print("leaked", total, flush=True)
sys.stdin.read()  # hold the threads until the test closes our stdin
"""


@contextlib.contextmanager
def thread_leak(cgroup: Path, total: int, seconds: float) -> Iterator[subprocess.Popen[bytes]]:
    """A process that joins ``cgroup`` and starts ``total`` threads over ``seconds``."""
    script = f'echo $$ > {cgroup}/cgroup.procs && exec "$0" -c "$1" {total} {seconds}'
    leaker = subprocess.Popen(
        ["/bin/sh", "-c", script, sys.executable, LEAKER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield leaker
    finally:
        if leaker.stdin:
            with contextlib.suppress(OSError):
                leaker.stdin.close()
        stop(leaker)
        if leaker.stdout:
            leaker.stdout.close()


def prometheus_config(exporters: dict[str, int], cgroup_exporter: int, rules: Path) -> str:
    targets = "\n".join(
        f"      - targets: ['127.0.0.1:{port}']\n        labels: {{node: {node}}}"
        for node, port in exporters.items()
    )
    return f"""global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files: ['{rules}']
scrape_configs:
  - job_name: node-exporter
    static_configs:
{targets}
  - job_name: cadvisor
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:{cgroup_exporter}']
"""


def node_exporter_args(port: int, processes: bool) -> list[str]:
    assert NODE_EXPORTER is not None
    args = [
        NODE_EXPORTER,
        f"--web.listen-address=127.0.0.1:{port}",
        "--collector.disable-defaults",
        "--collector.uname",
        "--collector.meminfo",
        "--collector.vmstat",
        "--collector.stat",
    ]
    return [*args, "--collector.processes"] if processes else args


def observe_prometheus(
    url: str, since: object, until: object, kb: KnowledgeBase, *paths: Path
) -> Observation:
    """What the pipeline reads from Prometheus (and ``paths``), before reasoning."""
    source = PrometheusSource(url, since, until)  # type: ignore[arg-type]
    return observe(Request(paths=paths, prometheus=source), kb)


def diagnose_prometheus(
    url: str, since: object, until: object, kb: KnowledgeBase, *paths: Path
) -> Diagnosis:
    source = PrometheusSource(url, since, until)  # type: ignore[arg-type]
    return diagnose(Request(paths=paths, prometheus=source), kb)


def collect_prometheus(
    url: str, since: object, until: object, kb: KnowledgeBase, **options: Any
) -> BundleWriter:
    """The Prometheus source as the pipeline calls it, with the knowledge base's queries."""
    from kubewhy.sources.prometheus import collect_prometheus as collect

    return collect(url, since, until, plan_queries(kb), **options)  # type: ignore[arg-type]
