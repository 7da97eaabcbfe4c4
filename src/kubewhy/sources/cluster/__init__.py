"""A live cluster as evidence, read through the Kubernetes API (``kubectl why``).

``collect_cluster(target, namespace=..., kubeconfig=..., context=...) -> BundleWriter`` reads
what a target needs (see :mod:`kubewhy.sources.cluster.collector`) into a bundle in the layout of
``kubectl cluster-info dump``; :func:`gather_cluster` and :func:`diagnose_cluster` turn it into a
diagnosis exactly like any other evidence.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.cluster.collector import ClusterCollector, Limits
from kubewhy.sources.cluster.target import Target, parse_target
from kubewhy.sources.cluster.transport import Transport, api_client

if TYPE_CHECKING:
    from kubewhy.diagnose import LiveSources
    from kubewhy.facts.build import Gathered
    from kubewhy.kb.load import KnowledgeBase
    from kubewhy.model.diagnosis import Diagnosis

__all__ = [
    "Limits",
    "Target",
    "collect_cluster",
    "diagnose_cluster",
    "gather_cluster",
    "parse_target",
]


def collect_cluster(
    target: str | None,
    *,
    namespace: str | None = None,
    kubeconfig: str | None = None,
    context: str | None = None,
    logs_tail: int = 500,
    max_concurrency: int = 4,
    timeout: float = 15.0,
) -> BundleWriter:
    """What ``target`` (``node/NAME``, ``pod/NAME``, ``namespace/NAME`` or None for the whole
    cluster) needs, read from the API server of ``kubeconfig``/``context`` (kubectl's rules).

    ``timeout`` bounds every request; ``max_concurrency`` the requests in flight. Raises
    :class:`kubewhy.errors.UsageError` for a bad target, :class:`kubewhy.errors.InputError` when
    the configuration cannot be used or the target does not exist; everything else that cannot
    be read is a gap in the bundle's manifest.
    """
    parsed = parse_target(target, namespace)
    client = api_client(kubeconfig, context)
    try:
        transport = Transport(client, timeout=timeout)
        limits = Limits(logs_tail=max(1, logs_tail))
        return ClusterCollector(transport, parsed, limits, max_concurrency).run()
    finally:
        client.close()


def _live(target: str | None, **options: Any) -> LiveSources:
    from kubewhy.diagnose import LiveSources

    return LiveSources(cluster={"target": target, **options})


def gather_cluster(
    target: str | None,
    extra_paths: list[Path],
    kb: KnowledgeBase,
    *,
    tz_offset_minutes: int | None = None,
    **options: Any,
) -> Gathered:
    """Collect from the cluster, then gather it like any evidence. ``options`` are
    :func:`collect_cluster`'s (namespace, kubeconfig, context, logs_tail, ...)."""
    from kubewhy.diagnose import gather_all

    return gather_all(extra_paths, _live(target, **options), kb, tz_offset_minutes)


def diagnose_cluster(
    target: str | None = None,
    *,
    extra_paths: list[Path] | None = None,
    kb: KnowledgeBase | None = None,
    tz_offset_minutes: int | None = None,
    **options: Any,
) -> Diagnosis:
    """Diagnose ``target`` of a live cluster (what ``kubectl why TARGET`` prints)."""
    from kubewhy.diagnose import diagnose

    return diagnose(extra_paths or [], _live(target, **options), kb, tz_offset_minutes)
