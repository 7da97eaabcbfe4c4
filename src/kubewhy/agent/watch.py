"""The node agent: run the node diagnosis and audit on an interval (a DaemonSet on every node),
serve the results, and optionally tell the API server (Node conditions and Events).

Endpoints: ``/metrics`` (Prometheus), ``/healthz`` (503 once the last ``unhealthy_after`` runs
failed: the diagnosis raised, or the node's ``/proc`` could not be read), ``/findings.json`` (the
last diagnosis, the JSON report with the active risks). One JSON log line per run on stderr.

Bounded by design: one diagnosis at a time in the main thread, and the endpoints served by a
single-threaded HTTP server in one extra thread, so a scrape storm cannot multiply threads on a
node that is short of PIDs. A site's local rules are loaded once; its suppression file is read
again before every run, so that an updated ConfigMap applies without a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, make_wsgi_app

from kubewhy import __version__
from kubewhy.agent.conditions import node_conditions, reason_of
from kubewhy.agent.kube import NodeReporter
from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.model.bundle import Gap
from kubewhy.model.diagnosis import Diagnosis, Finding, InputRef, Risk, counts
from kubewhy.model.suppression import Suppression
from kubewhy.pipeline import NodeSource, Request, observe
from kubewhy.pipeline.suppress import suppress_findings, suppress_risks
from kubewhy.reasoning import reason
from kubewhy.reasoning.risks import evaluate_risks
from kubewhy.reports.json import render_json

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class CollectionError(Exception):
    """The node could not be read: this run tells nothing about it."""


@dataclass
class WatchMetrics:
    registry: CollectorRegistry
    findings: Gauge
    risks: Gauge
    last_run: Gauge
    duration: Gauge
    failures: Counter
    consecutive_failures: Gauge
    suppressed: Gauge
    conditions: Gauge
    events: Counter
    api_failures: Counter
    source_up: Gauge


def new_metrics() -> WatchMetrics:
    """The agent's metrics. None carries the node's name: the scrape adds it (the PodMonitor
    relabels ``__meta_kubernetes_pod_node_name`` to ``node``), as for every DaemonSet."""
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
        Gauge(
            "kubewhy_consecutive_failures",
            "Runs that failed in a row (/healthz fails at --unhealthy-after)",
            registry=registry,
        ),
        Gauge(
            "kubewhy_suppressed",
            "Findings and risks of the last run silenced by the site's suppressions",
            ["kind"],
            registry=registry,
        ),
        Gauge(
            "kubewhy_node_condition",
            "The agent's Node conditions: 1 when True",
            ["type", "reason"],
            registry=registry,
        ),
        Counter(
            "kubewhy_events",
            "Node Events: sent, merged into a duplicate, dropped by the rate limit, failed",
            ["result"],
            registry=registry,
        ),
        Counter(
            "kubewhy_api_request_failures",
            "Requests to the API server that failed (conditions, events)",
            registry=registry,
        ),
        Gauge(
            "kubewhy_source_up",
            "Each source of the last run: 1 read, 0 not read or read in part (see the gap)",
            ["source", "reason"],
            registry=registry,
        ),
    )


@dataclass
class RunOutcome:
    diagnosis: Diagnosis
    risks: list[Risk]
    silenced_risks: int


def run_once(
    metrics: WatchMetrics,
    request: Request,
    kb: KnowledgeBase,
    now: dt.datetime | None = None,
) -> RunOutcome:
    """One diagnosis and audit of the node; metrics updated. Raises CollectionError when the
    node's process table could not be read."""
    started = time.monotonic()
    observation = observe(request, kb)
    unreadable = [g for g in observation.read.gaps if g.origin == "/proc"]
    if unreadable:
        raise CollectionError(f"cannot read the node's /proc: {unreadable[0].detail}")
    now = now or dt.datetime.now(dt.UTC)
    all_risks = suppress_risks(
        evaluate_risks(observation.facts.store, kb), request.suppressions, now
    )
    diagnosis = suppress_findings(
        reason(observation.seen, kb, observation.read), request.suppressions, now
    )
    risks = [r for r in all_risks if r.suppressed is None]
    diagnosis = diagnosis.model_copy(update={"risks": risks})
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
    metrics.suppressed.labels("finding").set(len(diagnosis.suppressed))
    metrics.suppressed.labels("risk").set(len(all_risks) - len(risks))
    _source_health(metrics, observation.read.inputs, observation.read.gaps)
    metrics.duration.set(time.monotonic() - started)
    return RunOutcome(diagnosis, risks, len(all_risks) - len(risks))


def _source_health(metrics: WatchMetrics, inputs: Sequence[InputRef], gaps: Sequence[Gap]) -> None:
    """Per source: up when read, down with the gap's reason when it could not be read (or only
    in part), so that a source silently lost is an alert, not an all-clear."""
    metrics.source_up.clear()
    down = {g.origin: g.reason for g in gaps}
    for ref in inputs:
        if ref.path not in down:
            metrics.source_up.labels(ref.path, "").set(1)
    for origin, why in down.items():
        metrics.source_up.labels(origin, str(why)).set(0)


@dataclass
class AgentState:
    """What the endpoints serve; replaced by the main thread after each run."""

    unhealthy_after: int = 3
    consecutive_failures: int = 0
    last_error: str = ""
    runs: int = 0
    findings: bytes = b'{"findings": [], "note": "no run yet"}\n'
    lock: threading.Lock = field(default_factory=threading.Lock)

    def healthy(self) -> tuple[bool, str]:
        with self.lock:
            if self.consecutive_failures >= self.unhealthy_after:
                return False, (
                    f"unhealthy: the last {self.consecutive_failures} runs failed: "
                    f"{self.last_error}\n"
                )
            return True, f"ok: {self.runs} run(s)\n"


def agent_app(metrics: WatchMetrics, state: AgentState) -> WsgiApp:
    """/metrics, /healthz and /findings.json on one port."""
    prometheus = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            ok, text = state.healthy()
            status = "200 OK" if ok else "503 Service Unavailable"
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [text.encode()]
        if path == "/findings.json":
            with state.lock:
                body = state.findings
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if path in ("/metrics", "/"):
            scraped: Iterable[bytes] = prometheus(environ, start_response)
            return scraped
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: /metrics, /healthz, /findings.json\n"]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes are not news."""


def serve(app: WsgiApp, host: str, port: int) -> WSGIServer:
    server = make_server(host, port, app, handler_class=_QuietHandler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, name="kubewhy-http", daemon=True)
    thread.start()
    return server


@dataclass
class WatchOptions:
    root: Path = Path("/")
    interval: float = 60.0
    host: str = "127.0.0.1"
    port: int = 9808
    runs: int | None = None
    node_name: str | None = None
    kb: KnowledgeBase | None = None
    # Read before every run (None: no suppressions).
    suppressions: Callable[[], tuple[Suppression, ...]] | None = None
    unhealthy_after: int = 3
    # Node conditions and Events through this reporter (None: metrics only).
    reporter: NodeReporter | None = None
    conditions: bool = False
    events: bool = False


class _Kube:
    """What the agent tells the API server after each run."""

    def __init__(self, reporter: NodeReporter, metrics: WatchMetrics, options: WatchOptions):
        self.reporter = reporter
        self.metrics = metrics
        self.options = options
        self.active: dict[str, Finding] = {}

    def report(self, outcome: RunOutcome, kb: KnowledgeBase) -> dict[str, int]:
        before = self.reporter.counters.failed
        done: dict[str, int] = {}
        if self.options.conditions:
            scopes = {fm.id: fm.scope for fm in kb}
            conditions = node_conditions(outcome.diagnosis, scopes)
            ok = self.reporter.set_conditions(conditions)
            self.metrics.conditions.clear()
            for c in conditions:
                self.metrics.conditions.labels(c.type, c.reason).set(c.status == "True")
            done["conditions_patched"] = int(ok)
        if self.options.events:
            for result in self._events(outcome.diagnosis):
                self.metrics.events.labels(result).inc()
                done[f"events_{result}"] = done.get(f"events_{result}", 0) + 1
        self.metrics.api_failures.inc(self.reporter.counters.failed - before)
        return done

    def _events(self, diagnosis: Diagnosis) -> list[str]:
        """A Warning when a root cause appears, a Normal event when it is gone."""
        roots = {
            f.failure_mode: f for f in diagnosis.findings if f.explained_by is None and counts(f)
        }
        results = []
        for fm, f in roots.items():
            if fm not in self.active:
                message = f"{f.title} on {f.entity.kind}/{f.entity.name}"
                if f.culprit is not None:
                    message += f"; culprit {f.culprit.kind}/{f.culprit.name}"
                message += f" (kubewhy explain {fm})"
                results.append(self.reporter.event("Warning", reason_of(fm), message))
        for fm, f in self.active.items():
            if fm not in roots:
                message = f"no longer seen: {f.title}"
                results.append(self.reporter.event("Normal", reason_of(fm) + "Gone", message))
        self.active = roots
        return results


def _log(**fields: object) -> None:
    """One JSON line per run on stderr: what a log pipeline indexes without a parser."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    line = json.dumps({"time": stamp, **fields}, separators=(",", ":"), default=str)
    print(line, file=sys.stderr, flush=True)


def _cycle(
    options: WatchOptions,
    kb: KnowledgeBase,
    metrics: WatchMetrics,
    state: AgentState,
    kube: _Kube | None,
) -> None:
    """One run: diagnose, update the endpoints, tell the API server, log one line."""
    started = time.monotonic()
    try:
        suppressions = options.suppressions() if options.suppressions else ()
        request = Request(
            node=NodeSource(root=options.root, node_name=options.node_name),
            jobs=1,
            suppressions=suppressions,
        )
        outcome = run_once(metrics, request, kb)
    except Exception as exc:  # one failed run must not stop the agent; it is counted
        metrics.failures.inc()
        with state.lock:
            state.runs += 1
            state.consecutive_failures += 1
            state.last_error = f"{type(exc).__name__}: {exc}"
            failures = state.consecutive_failures
        metrics.consecutive_failures.set(failures)
        _log(
            level="error",
            msg="run failed",
            run=state.runs,
            error=state.last_error,
            consecutive_failures=failures,
            seconds=round(time.monotonic() - started, 3),
        )
        return
    body = render_json(outcome.diagnosis).encode()
    with state.lock:
        state.runs += 1
        state.consecutive_failures = 0
        state.findings = body
    # Last: a scraper that sees the new timestamp also sees the new /findings.json.
    metrics.last_run.set(time.time())
    metrics.consecutive_failures.set(0)
    api = kube.report(outcome, kb) if kube is not None else {}
    d = outcome.diagnosis
    _log(
        level="info",
        msg="run",
        run=state.runs,
        seconds=round(time.monotonic() - started, 3),
        root_causes=[f.failure_mode for f in d.findings if f.explained_by is None and counts(f)],
        consequences=sum(1 for f in d.findings if f.explained_by is not None and counts(f)),
        risks=len(outcome.risks),
        suppressed=len(d.suppressed) + outcome.silenced_risks,
        gaps=len(d.gaps),
        **api,
    )


def watch(options: WatchOptions) -> int:
    """Diagnose every ``interval`` seconds until SIGTERM/SIGINT (or ``runs`` runs)."""
    kb = options.kb or default_knowledge_base()
    metrics = new_metrics()
    state = AgentState(unhealthy_after=options.unhealthy_after)
    server = serve(agent_app(metrics, state), options.host, options.port)
    kube = _Kube(options.reporter, metrics, options) if options.reporter is not None else None
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    done = 0
    try:
        while not stop.is_set():
            _cycle(options, kb, metrics, state, kube)
            done += 1
            if options.runs is not None and done >= options.runs:
                break
            stop.wait(options.interval)
    finally:
        server.shutdown()
        server.server_close()
    return 0
