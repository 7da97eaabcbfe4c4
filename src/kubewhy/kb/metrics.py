"""The knowledge base's metric evidence as the queries a Prometheus source runs."""

from __future__ import annotations

from kubewhy.kb.load import KnowledgeBase
from kubewhy.model.bundle import MetricEvidence, MetricQuery


def plan_queries(kb: KnowledgeBase) -> list[MetricQuery]:
    """One query per distinct (PromQL, kind) in the knowledge base, with the evidence it serves."""
    plans: dict[tuple[str, str], list[MetricEvidence]] = {}
    for fm in kb:
        for metric in fm.metrics:
            plans.setdefault((metric.query.strip(), metric.kind), []).append(
                MetricEvidence(
                    failure_mode=fm.id,
                    id=metric.id,
                    fact=metric.fact,
                    entity=metric.entity,
                    absent_means=metric.absent_means,
                )
            )
    return [MetricQuery(query=q, kind=k, evidence=refs) for (q, k), refs in plans.items()]
