"""Prometheus as a source of evidence: the knowledge base's metric queries over a window.

``collect_prometheus(url, since, until, queries) -> BundleWriter``; the queries come from the
knowledge base (:func:`kubewhy.kb.metrics.plan_queries`), handed in by the pipeline.
"""

from __future__ import annotations

from kubewhy.model.times import parse_time
from kubewhy.sources.prometheus.client import PromClient, QueryAnswer, QueryFailure
from kubewhy.sources.prometheus.collect import Window, collect_prometheus, resolve_window

__all__ = [
    "PromClient",
    "QueryAnswer",
    "QueryFailure",
    "Window",
    "collect_prometheus",
    "parse_time",
    "resolve_window",
]
