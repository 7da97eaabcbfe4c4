"""The one public entry: evidence in, diagnosis (or risks) out.

The stages run in order and each hands the next a typed value; no stage imports a later one and
only ``sources`` does I/O::

    sources  ->  parsers  ->  facts  ->  kb (scan)  ->  reasoning  ->  reports
    Inputs       Parsed       FactBase   Scan/Observed  Diagnosis      text, JSON, ...

Live sources (the node, a cluster's API server, Prometheus) are read into in-memory bundles and
handed to the parsers like any folder of evidence; nothing is written to disk (``collect``
writes bundles, nothing else does). A site's suppressions (``Request.suppressions``) are applied
last, to the diagnosis and the risks: reasoning still sees every symptom.

>>> from kubewhy.pipeline import Request, diagnose  # doctest: +SKIP
>>> diagnose(Request(paths=(Path("examples/seed000-calico-pid-exhaustion"),)))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from kubewhy.errors import NothingReadError
from kubewhy.facts.build import FactBase, add_log_kernel_facts, build_facts
from kubewhy.kb.checks import Observed
from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.kb.scan import scan_evidence
from kubewhy.memory import no_cyclic_gc
from kubewhy.model.bundle import Gap
from kubewhy.model.diagnosis import Diagnosis, Risk
from kubewhy.model.reading import ReadReport
from kubewhy.model.redact import keep_vendor_rules
from kubewhy.model.times import TimeWindow, zone_name
from kubewhy.parsers.read import parse_inputs
from kubewhy.pipeline.request import ClusterSource, NodeSource, PrometheusSource, Request
from kubewhy.pipeline.suppress import suppress_findings, suppress_risks
from kubewhy.reasoning import reason
from kubewhy.scanning.engines import kept_for_package
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.files import Inputs, bundle_inputs, open_inputs
from kubewhy.sources.headroom import cap_memory, spare_tasks
from kubewhy.sources.streams import set_run_deadline

# detect-secrets' patterns, which every redaction needs, kept between runs.
keep_vendor_rules(kept_for_package)

__all__ = [
    "ClusterSource",
    "NodeSource",
    "Observation",
    "PrometheusSource",
    "Request",
    "audit",
    "collect",
    "diagnose",
    "observe",
]


@dataclass
class Observation:
    """Everything read, before reasoning: what ``diagnose``, ``audit`` and the agent share.

    ``unread`` names each requested source that gave nothing usable, with why (empty when
    everything gave something)."""

    facts: FactBase
    seen: Observed
    read: ReadReport
    unread: list[str] = field(default_factory=list)
    sources: int = 0

    def check_read(self) -> None:
        """Raise :class:`NothingReadError` when no requested source gave anything."""
        if self.sources and len(self.unread) == self.sources:
            raise NothingReadError("could not read any evidence: " + "; ".join(self.unread))


def diagnose(request: Request, kb: KnowledgeBase | None = None) -> Diagnosis:
    """Root causes, chains, culprits and evidence for everything the request reads."""
    kb = kb or default_knowledge_base()
    # Millions of small acyclic objects (records, facts, entities) live until the end:
    # cyclic collections would rescan them all, again and again, for nothing.
    with no_cyclic_gc():
        # Reasoned in a call of its own, so that the evidence is freed before the collector
        # runs again: the first collection after the pause scans every object still alive
        # that was made during it (a second for a 150,000-pod cluster dump).
        diagnosis = _reasoned(request, kb)
    return suppress_findings(diagnosis, request.suppressions, _now(request))


def _reasoned(request: Request, kb: KnowledgeBase) -> Diagnosis:
    observation = observe(request, kb)
    observation.check_read()
    diagnosis = reason(observation.seen, kb, observation.read)
    zone = zone_name(observation.facts.time.tz_offset_minutes)
    return diagnosis.model_copy(update={"evidence_zone": zone})


def audit(request: Request, kb: KnowledgeBase | None = None) -> list[Risk]:
    """Risks before anything breaks, most serious first; suppressed ones last, marked."""
    from kubewhy.reasoning.risks import evaluate_risks

    kb = kb or default_knowledge_base()
    observation = observe(request, kb)
    observation.check_read()
    risks = evaluate_risks(observation.facts.store, kb)
    return suppress_risks(risks, request.suppressions, _now(request))


def _now(request: Request) -> dt.datetime:
    return request.now or dt.datetime.now(dt.UTC)


def observe(request: Request, kb: KnowledgeBase) -> Observation:
    """Read, parse, build facts and scan: every stage before reasoning."""
    unread: list[str] = []
    set_run_deadline(time.monotonic() + request.caps.run_seconds)
    cap_memory(request.caps.memory)
    with _inputs(request, kb, unread) as inputs:
        parsed = parse_inputs(inputs)
        facts = build_facts(parsed, request.tz_offset_minutes)
        scan = scan_evidence(parsed, facts, kb, _jobs(request), request.progress, request.window)
        add_log_kernel_facts(facts, parsed.logs, scan.kernel)
    gaps = list({(g.origin, g.reason, g.detail): g for g in parsed.gaps + scan.gaps}.values())
    read = ReadReport(
        inputs=parsed.read,
        gaps=gaps,
        parse_errors={**parsed.parse_errors, **scan.parse_errors},
        outside_window=scan.outside_window,
    )
    if request.paths and not (parsed.documents or parsed.logs):
        unread.append(_paths_unread(request, gaps))
    sources = (1 if request.paths else 0) + sum(
        1 for source in (request.node, request.cluster, request.prometheus) if source is not None
    )
    observation = Observation(facts, Observed(facts.store, scan.hits, facts.dumps), read)
    observation.unread, observation.sources = unread, sources
    return observation


# Tasks a pool needs besides its workers: the executor's manager thread, its queue's feeder
# thread, and room for the rest of the node.
_POOL_TASKS = 4


def _jobs(request: Request) -> int:
    """Worker processes for the scan: as asked (default: the cores), and none at all when the
    node has no room for them (a pool half started on a node at its PID limit never ends)."""
    jobs = request.jobs if request.jobs is not None else (os.cpu_count() or 1)
    spare = spare_tasks()
    if jobs > 1 and spare is not None and spare < jobs + _POOL_TASKS:
        return 1
    return jobs


def _paths_unread(request: Request, gaps: list[Gap]) -> str:
    names = ", ".join(str(p) for p in request.paths[:3]) + (
        " ..." if len(request.paths) > 3 else ""
    )
    why = [g for g in gaps if g.reason not in ("encoding",)]
    if not why:
        return f"{names} (empty, or nothing in it is text kubewhy reads)"
    first = why[0]
    more = f"; {len(why) - 1} more" if len(why) > 1 else ""
    return f"{names} ({first.reason}: {first.origin}: {first.detail}{more})"


def _bundle_unread(label: str, bundle: BundleWriter) -> str | None:
    """Why a live source gave nothing usable, or None when it gave something."""
    if label == "node":
        if any(a.path.startswith("proc/") for a in bundle.manifest.artefacts):
            return None
    elif bundle.files:
        return None
    gap = next(iter(bundle.manifest.gaps), None)
    why = f"{gap.reason}: {gap.origin}: {gap.detail}" if gap else "nothing returned"
    return f"{label} ({why})"


def collect(request: Request, kb: KnowledgeBase | None = None) -> list[tuple[str, BundleWriter]]:
    """Read each live source of the request into a bundle, labelled ``node``, ``cluster`` or
    ``prometheus``."""
    kb = kb or default_knowledge_base()
    bundles: list[tuple[str, BundleWriter]] = []
    if request.node is not None:
        bundles.append(("node", _collect_node(request.node, kb, request.window)))
    if request.cluster is not None:
        bundles.append(("cluster", _collect_cluster(request.cluster)))
    if request.prometheus is not None:
        bundles.append(("prometheus", _collect_prometheus(request.prometheus, kb)))
    return bundles


@contextlib.contextmanager
def _inputs(request: Request, kb: KnowledgeBase, unread: list[str]) -> Iterator[Inputs]:
    """The live sources' bundles in memory, then the paths (archives extracted until the end);
    live sources that gave nothing are added to ``unread``."""
    live = []
    for label, bundle in collect(request, kb):
        live.append(bundle_inputs(bundle, label, request.caps))
        why = _bundle_unread(label, bundle)
        if why is not None:
            unread.append(why)
    with open_inputs(list(request.paths), request.caps) as from_paths:
        inputs = Inputs()
        for part in (*live, from_paths):
            inputs.files.extend(part.files)
            inputs.gaps.extend(part.gaps)
            inputs.manifests.extend(part.manifests)
        yield inputs


def _collect_node(
    node: NodeSource, kb: KnowledgeBase, window: TimeWindow | None = None
) -> BundleWriter:
    from kubewhy.sources.node import collect_node

    # --since reaches the journals too (journalctl reads @seconds), so an older window is read
    # and not only filtered out of the last six hours.
    since = window.since if window is not None else None
    return collect_node(
        node.root,
        node.node_name,
        timeout=node.timeout,
        sysctls=kb.sysctls(),
        deadline=node.deadline,
        **({"journal_since": f"@{int(since.timestamp())}"} if since is not None else {}),
    )


def _collect_cluster(cluster: ClusterSource) -> BundleWriter:
    from kubewhy.sources.cluster import collect_cluster

    return collect_cluster(
        cluster.target,
        namespace=cluster.namespace,
        kubeconfig=cluster.kubeconfig,
        context=cluster.context,
        logs_tail=cluster.logs_tail,
        max_concurrency=cluster.max_concurrency,
        timeout=cluster.timeout,
        request_timeout=cluster.request_timeout,
        impersonate=cluster.impersonate,
        impersonate_group=cluster.impersonate_group,
    )


def _collect_prometheus(prom: PrometheusSource, kb: KnowledgeBase) -> BundleWriter:
    from kubewhy.kb.metrics import plan_queries
    from kubewhy.sources.prometheus import collect_prometheus

    return collect_prometheus(
        prom.url,
        prom.since,
        prom.until,
        plan_queries(kb),
        token=prom.token,
        username=prom.username,
        password=prom.password,
        ca_file=prom.ca_file,
        timeout=prom.timeout,
        max_series=prom.max_series,
    )
