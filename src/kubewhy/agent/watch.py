"""The node agent: run the node diagnosis and audit on an interval (a DaemonSet on every node)
and serve the results as Prometheus metrics.

Bounded by design: one diagnosis at a time in the main thread, and the metrics served by a
single-threaded HTTP server in one extra thread, so a scrape storm cannot multiply threads on a
node that is short of PIDs.
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, make_wsgi_app

from kubewhy import __version__
from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.model.diagnosis import counts
from kubewhy.pipeline import NodeSource, Request, observe
from kubewhy.reasoning import reason
from kubewhy.reasoning.risks import evaluate_risks


@dataclass
class WatchMetrics:
    registry: CollectorRegistry
    findings: Gauge
    risks: Gauge
    last_run: Gauge
    duration: Gauge
    failures: Counter


def new_metrics() -> WatchMetrics:
    registry = CollectorRegistry()
    info = Gauge("kubewhy_info", "kubewhy's version", ["version"], registry=registry)
    info.labels(__version__).set(1)
    return WatchMetrics(
        registry,
        Gauge(
            "kubewhy_finding_confidence",
            "Confidence of each finding of the last diagnosis (absent: not found)",
            ["failure_mode", "entity_kind", "entity", "role", "culprit"],
            registry=registry,
        ),
        Gauge(
            "kubewhy_risk",
            "Risks found by the last audit: 1 per risk",
            ["failure_mode", "risk", "severity", "entity"],
            registry=registry,
        ),
        Gauge("kubewhy_last_run_timestamp_seconds", "End of the last run", registry=registry),
        Gauge("kubewhy_run_duration_seconds", "Duration of the last run", registry=registry),
        Counter("kubewhy_run_failures", "Runs that ended in an error", registry=registry),
    )


def run_once(metrics: WatchMetrics, request: Request, kb: KnowledgeBase) -> None:
    started = time.monotonic()
    observation = observe(request, kb)
    risks = evaluate_risks(observation.facts.store, kb)
    diagnosis = reason(observation.seen, kb, observation.read)
    metrics.findings.clear()
    for f in diagnosis.findings:
        if not counts(f):
            continue  # leads and past events are for the report, not for alerts
        role = "consequence" if f.explained_by else "root-cause"
        culprit = f"{f.culprit.kind}/{f.culprit.name}" if f.culprit else ""
        labels = (f.failure_mode, f.entity.kind, f.entity.name, role, culprit)
        metrics.findings.labels(*labels).set(f.confidence)
    metrics.risks.clear()
    for r in risks:
        metrics.risks.labels(r.failure_mode, r.risk, r.severity, r.entity.name).set(1)
    metrics.duration.set(time.monotonic() - started)
    metrics.last_run.set(time.time())


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes are not news."""


def serve_metrics(metrics: WatchMetrics, host: str, port: int) -> WSGIServer:
    server = make_server(host, port, make_wsgi_app(metrics.registry), handler_class=_QuietHandler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, name="kubewhy-metrics", daemon=True)
    thread.start()
    return server


def watch(
    root: Path,
    interval: float,
    host: str,
    port: int,
    runs: int | None = None,
    node_name: str | None = None,
) -> int:
    """Diagnose every ``interval`` seconds until SIGTERM/SIGINT (or ``runs`` runs)."""
    kb = default_knowledge_base()
    metrics = new_metrics()
    server = serve_metrics(metrics, host, port)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    request = Request(node=NodeSource(root=root, node_name=node_name), jobs=1)
    done = 0
    try:
        while not stop.is_set():
            try:
                run_once(metrics, request, kb)
            except Exception:  # one failed run must not stop the agent; it is counted
                metrics.failures.inc()
            done += 1
            if runs is not None and done >= runs:
                break
            stop.wait(interval)
    finally:
        server.shutdown()
        server.server_close()
    return 0
