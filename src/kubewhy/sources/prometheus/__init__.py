"""Prometheus as a source of evidence: the knowledge base's metric queries over a window.

>>> from kubewhy.sources.prometheus import diagnose_prometheus  # doctest: +SKIP
>>> diagnose_prometheus("http://127.0.0.1:9090", since="2h").findings  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubewhy.sources.prometheus.client import PromClient, QueryAnswer, QueryFailure
from kubewhy.sources.prometheus.collect import (
    Window,
    collect_prometheus,
    parse_time,
    plan_queries,
    resolve_window,
)

if TYPE_CHECKING:
    from kubewhy.diagnose import LiveSources
    from kubewhy.facts.build import Gathered
    from kubewhy.kb.load import KnowledgeBase
    from kubewhy.model.diagnosis import Diagnosis

__all__ = [
    "PromClient",
    "QueryAnswer",
    "QueryFailure",
    "Window",
    "collect_prometheus",
    "diagnose_prometheus",
    "gather_prometheus",
    "parse_time",
    "plan_queries",
    "resolve_window",
]


def _live(url: str, since: object, until: object, **options: Any) -> LiveSources:
    from kubewhy.diagnose import LiveSources

    return LiveSources(prometheus={"url": url, "since": since, "until": until, **options})


def gather_prometheus(
    url: str,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    kb: KnowledgeBase | None = None,
    extra_paths: list[Path] | None = None,
    **options: Any,
) -> Gathered:
    """Collect from Prometheus, then gather it with any other evidence. ``options`` are
    :func:`collect_prometheus`'s (token, username, password, ca_file, timeout, max_series)."""
    from kubewhy.diagnose import gather_all

    return gather_all(extra_paths or [], _live(url, since, until, **options), kb)


def diagnose_prometheus(
    url: str,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    kb: KnowledgeBase | None = None,
    extra_paths: list[Path] | None = None,
    **options: Any,
) -> Diagnosis:
    """Diagnose from what Prometheus saw over the window (plus any other evidence paths)."""
    from kubewhy.diagnose import diagnose

    return diagnose(extra_paths or [], _live(url, since, until, **options), kb)
