"""The knowledge base's metric evidence is well formed (its queries run in test_collect)."""

from __future__ import annotations

from kubewhy.facts.catalog import is_catalogued
from kubewhy.kb.load import KnowledgeBase
from kubewhy.model.bundle import MetricEvidence


def test_metric_facts_are_catalogued_and_ids_unique(kb: KnowledgeBase) -> None:
    stems: dict[str, str] = {}
    for fm in kb:
        for metric in fm.metrics:
            assert is_catalogued(metric.fact), f"{fm.id}/{metric.id}: {metric.fact}"
            ref = MetricEvidence(
                failure_mode=fm.id, id=metric.id, fact=metric.fact, entity=metric.entity
            )
            # Trend facts are named by the evidence id: two modes must not share one.
            assert stems.setdefault(ref.stem, fm.id) == fm.id, (
                f"{ref.stem} in {fm.id} and {stems[ref.stem]}"
            )


def test_the_seed_failure_modes_have_metric_evidence(kb: KnowledgeBase) -> None:
    for fm_id in (
        "node-pid-exhaustion",
        "thread-leak-container",
        "apiserver-goroutine-leak-oom",
        "etcd-slow-disk",
        "pleg-unhealthy",
        "kubelet-api-throttling",
        "memory-pressure-node-hang",
        "container-oomkilled",
        "telemetry-gap-node-processes",
    ):
        assert kb.get(fm_id).metrics, fm_id
    threads = {m.id: m for m in kb.get("node-pid-exhaustion").metrics}["node-threads"]
    assert (
        threads.kind == "range"
        and threads.absent_means
        and "--collector.processes" in threads.absent_means
    )
