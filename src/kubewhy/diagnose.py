"""The public entry points: evidence in, diagnosis out.

Live sources (the node kubewhy runs on, a cluster's API server, Prometheus) are collected into
bundles first; then every bundle and every path the user gave is gathered the same way, so one
knowledge base and one reasoning serve offline and live evidence alike.

>>> from kubewhy.diagnose import diagnose_paths  # doctest: +SKIP
>>> diagnosis = diagnose_paths([Path("examples/seed000-calico-pid-exhaustion")])  # doctest: +SKIP
>>> diagnosis.findings[0].failure_mode  # doctest: +SKIP
'thread-leak-container'
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubewhy.facts.build import Gathered, Progress, gather
from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.memory import no_cyclic_gc
from kubewhy.model.diagnosis import Diagnosis
from kubewhy.reasoning.assemble import assemble
from kubewhy.reasoning.goroutine_hits import goroutine_hits
from kubewhy.reasoning.match import hypotheses
from kubewhy.reasoning.rank import rank
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.files import open_inputs


@dataclass
class LiveSources:
    """What to read live, besides the paths: each is collected into a bundle."""

    node_root: Path | None = None
    node_name: str | None = None
    # Keyword arguments of collect_cluster (target, namespace, kubeconfig, context, ...).
    cluster: dict[str, Any] | None = None
    # Keyword arguments of collect_prometheus (url, since, until, token, ...).
    prometheus: dict[str, Any] | None = None

    def collect(self, kb: KnowledgeBase) -> list[tuple[str, BundleWriter]]:
        bundles: list[tuple[str, BundleWriter]] = []
        if self.node_root is not None:
            from kubewhy.sources.node import collect_node

            bundles.append(("node", collect_node(self.node_root, node_name=self.node_name)))
        if self.cluster is not None:
            from kubewhy.sources.cluster import collect_cluster

            bundles.append(("cluster", collect_cluster(**self.cluster)))
        if self.prometheus is not None:
            from kubewhy.sources.prometheus import collect_prometheus

            bundles.append(("prometheus", collect_prometheus(kb=kb, **self.prometheus)))
        return bundles


def reason(gathered: Gathered, kb: KnowledgeBase) -> Diagnosis:
    hits = list(gathered.hits.values()) + goroutine_hits(gathered, kb)
    active = hypotheses(kb, gathered.store, hits)
    ranked = rank(active)
    return assemble(
        ranked, kb, gathered.store, gathered.inputs, gathered.gaps, gathered.parse_errors
    )


def gather_all(
    paths: list[Path],
    live: LiveSources | None = None,
    kb: KnowledgeBase | None = None,
    tz_offset_minutes: int | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Gathered:
    """Collect the live sources, then gather them with the paths as one body of evidence."""
    kb = kb or default_knowledge_base()
    bundles = live.collect(kb) if live else []
    with tempfile.TemporaryDirectory(prefix="kubewhy-") as tmp:
        labels: dict[Path, str] = {}
        for label, bundle in bundles:
            folder = Path(tmp) / label
            bundle.write_dir(folder)
            labels[folder] = label
        with open_inputs([*labels, *paths], labels=labels) as inputs:
            return gather(inputs, kb, tz_offset_minutes, jobs, progress)


def gather_paths(
    paths: list[Path], kb: KnowledgeBase | None = None, tz_offset_minutes: int | None = None
) -> Gathered:
    return gather_all(paths, None, kb, tz_offset_minutes)


def diagnose(
    paths: list[Path],
    live: LiveSources | None = None,
    kb: KnowledgeBase | None = None,
    tz_offset_minutes: int | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Diagnosis:
    """Diagnose paths and live sources together (big logs on up to ``jobs`` processes)."""
    kb = kb or default_knowledge_base()
    # Millions of small acyclic objects (records, facts, entities) live until the end:
    # cyclic collections would rescan them all, again and again, for nothing.
    with no_cyclic_gc():
        return reason(gather_all(paths, live, kb, tz_offset_minutes, jobs, progress), kb)


def diagnose_paths(
    paths: list[Path],
    kb: KnowledgeBase | None = None,
    tz_offset_minutes: int | None = None,
    jobs: int | None = None,
) -> Diagnosis:
    """Diagnose files, folders and archives of evidence."""
    return diagnose(paths, None, kb, tz_offset_minutes, jobs)


def diagnose_node(
    root: Path = Path("/"),
    node_name: str | None = None,
    extra_paths: list[Path] | None = None,
    kb: KnowledgeBase | None = None,
    tz_offset_minutes: int | None = None,
) -> Diagnosis:
    """Diagnose the machine kubewhy runs on (or the one mounted at ``root``)."""
    live = LiveSources(node_root=root, node_name=node_name)
    return diagnose(extra_paths or [], live, kb, tz_offset_minutes)
