"""Prometheus as a source of evidence: the knowledge base's metric queries over a window.

>>> from kubewhy.sources.prometheus import diagnose_prometheus  # doctest: +SKIP
>>> diagnose_prometheus("http://127.0.0.1:9090", since="2h").findings  # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kubewhy.sources.prometheus.client import PromClient, QueryAnswer, QueryFailure
from kubewhy.sources.prometheus.collect import (
    Window,
    collect_prometheus,
    parse_time,
    plan_queries,
    resolve_window,
)

if TYPE_CHECKING:
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


def gather_prometheus(
    url: str,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    kb: KnowledgeBase | None = None,
    extra_paths: list[Path] | None = None,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    ca_file: str | None = None,
    timeout: float = 10.0,
    max_series: int = 500,
) -> Gathered:
    """Collect from Prometheus into a temporary bundle, then gather it with any other evidence."""
    from kubewhy.facts.build import gather
    from kubewhy.kb.load import default_knowledge_base
    from kubewhy.sources.files import open_inputs

    kb = kb or default_knowledge_base()
    bundle = collect_prometheus(
        url,
        since,
        until,
        kb,
        token=token,
        username=username,
        password=password,
        ca_file=ca_file,
        timeout=timeout,
        max_series=max_series,
    )
    with tempfile.TemporaryDirectory(prefix="kubewhy-prometheus-") as tmp:
        bundle.write_dir(Path(tmp))
        paths = [Path(tmp), *(extra_paths or [])]
        with open_inputs(paths, labels={Path(tmp): "prometheus"}) as inputs:
            return gather(inputs, kb)


def diagnose_prometheus(
    url: str,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    kb: KnowledgeBase | None = None,
    extra_paths: list[Path] | None = None,
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    ca_file: str | None = None,
    timeout: float = 10.0,
    max_series: int = 500,
) -> Diagnosis:
    """Diagnose from what Prometheus saw over the window (plus any other evidence paths)."""
    from kubewhy.diagnose import reason
    from kubewhy.kb.load import default_knowledge_base

    kb = kb or default_knowledge_base()
    gathered = gather_prometheus(
        url,
        since,
        until,
        kb,
        extra_paths,
        token=token,
        username=username,
        password=password,
        ca_file=ca_file,
        timeout=timeout,
        max_series=max_series,
    )
    return reason(gathered, kb)
