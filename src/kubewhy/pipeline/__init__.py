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
from collections.abc import Iterator
from dataclasses import dataclass

from kubewhy.facts.build import FactBase, add_log_kernel_facts, build_facts
from kubewhy.kb.checks import Observed
from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.kb.metrics import plan_queries
from kubewhy.kb.scan import scan_evidence
from kubewhy.memory import no_cyclic_gc
from kubewhy.model.diagnosis import Diagnosis, Risk
from kubewhy.model.reading import ReadReport
from kubewhy.parsers.read import parse_inputs
from kubewhy.pipeline.request import ClusterSource, NodeSource, PrometheusSource, Request
from kubewhy.pipeline.suppress import suppress_findings, suppress_risks
from kubewhy.reasoning import reason
from kubewhy.reasoning.risks import evaluate_risks
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.files import Inputs, bundle_inputs, open_inputs

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
    """Everything read, before reasoning: what ``diagnose``, ``audit`` and the agent share."""

    facts: FactBase
    seen: Observed
    read: ReadReport


def diagnose(request: Request, kb: KnowledgeBase | None = None) -> Diagnosis:
    """Root causes, chains, culprits and evidence for everything the request reads."""
    kb = kb or default_knowledge_base()
    # Millions of small acyclic objects (records, facts, entities) live until the end:
    # cyclic collections would rescan them all, again and again, for nothing.
    with no_cyclic_gc():
        observation = observe(request, kb)
        diagnosis = reason(observation.seen, kb, observation.read)
    return suppress_findings(diagnosis, request.suppressions, _now(request))


def audit(request: Request, kb: KnowledgeBase | None = None) -> list[Risk]:
    """Risks before anything breaks, most serious first; suppressed ones last, marked."""
    kb = kb or default_knowledge_base()
    risks = evaluate_risks(observe(request, kb).facts.store, kb)
    return suppress_risks(risks, request.suppressions, _now(request))


def _now(request: Request) -> dt.datetime:
    return request.now or dt.datetime.now(dt.UTC)


def observe(request: Request, kb: KnowledgeBase) -> Observation:
    """Read, parse, build facts and scan: every stage before reasoning."""
    with _inputs(request, kb) as inputs:
        parsed = parse_inputs(inputs)
        facts = build_facts(parsed, request.tz_offset_minutes)
        jobs = request.jobs if request.jobs is not None else (os.cpu_count() or 1)
        scan = scan_evidence(parsed, facts, kb, jobs, request.progress, request.window)
        add_log_kernel_facts(facts, parsed.logs, scan.kernel)
    read = ReadReport(
        inputs=parsed.read,
        gaps=parsed.gaps + scan.gaps,
        parse_errors={**parsed.parse_errors, **scan.parse_errors},
        outside_window=scan.outside_window,
    )
    return Observation(facts, Observed(facts.store, scan.hits, facts.dumps), read)


def collect(request: Request, kb: KnowledgeBase | None = None) -> list[tuple[str, BundleWriter]]:
    """Read each live source of the request into a bundle, labelled ``node``, ``cluster`` or
    ``prometheus``."""
    kb = kb or default_knowledge_base()
    bundles: list[tuple[str, BundleWriter]] = []
    if request.node is not None:
        bundles.append(("node", _collect_node(request.node, kb)))
    if request.cluster is not None:
        bundles.append(("cluster", _collect_cluster(request.cluster)))
    if request.prometheus is not None:
        bundles.append(("prometheus", _collect_prometheus(request.prometheus, kb)))
    return bundles


@contextlib.contextmanager
def _inputs(request: Request, kb: KnowledgeBase) -> Iterator[Inputs]:
    """The live sources' bundles in memory, then the paths (archives extracted until the end)."""
    live = [bundle_inputs(bundle, label) for label, bundle in collect(request, kb)]
    with open_inputs(list(request.paths)) as from_paths:
        inputs = Inputs()
        for part in (*live, from_paths):
            inputs.files.extend(part.files)
            inputs.gaps.extend(part.gaps)
            inputs.manifests.extend(part.manifests)
        yield inputs


def _collect_node(node: NodeSource, kb: KnowledgeBase) -> BundleWriter:
    from kubewhy.sources.node import collect_node

    return collect_node(node.root, node.node_name, timeout=node.timeout, sysctls=kb.sysctls())


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
        impersonate=cluster.impersonate,
        impersonate_group=cluster.impersonate_group,
    )


def _collect_prometheus(prom: PrometheusSource, kb: KnowledgeBase) -> BundleWriter:
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
