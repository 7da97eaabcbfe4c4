"""A live cluster as evidence, read through the Kubernetes API (``kubectl why``).

``collect_cluster(target, namespace=..., kubeconfig=..., context=...) -> BundleWriter`` reads
what a target needs (see :mod:`kubewhy.sources.cluster.collector`) into a bundle in the layout of
``kubectl cluster-info dump``; :func:`gather_cluster` and :func:`diagnose_cluster` turn it into a
diagnosis exactly like any other evidence.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kubewhy.facts.build import Gathered, gather
from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.model.diagnosis import Diagnosis
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.cluster.collector import ClusterCollector, Limits
from kubewhy.sources.cluster.target import Target, parse_target
from kubewhy.sources.cluster.transport import Transport, api_client
from kubewhy.sources.files import open_inputs

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


def gather_cluster(
    target: str | None,
    extra_paths: list[Path],
    kb: KnowledgeBase,
    *,
    namespace: str | None = None,
    kubeconfig: str | None = None,
    context: str | None = None,
    tz_offset_minutes: int | None = None,
    logs_tail: int = 500,
    max_concurrency: int = 4,
    timeout: float = 15.0,
) -> Gathered:
    """Collect from the cluster into an in-memory bundle, then gather it like any evidence."""
    bundle = collect_cluster(
        target,
        namespace=namespace,
        kubeconfig=kubeconfig,
        context=context,
        logs_tail=logs_tail,
        max_concurrency=max_concurrency,
        timeout=timeout,
    )
    with tempfile.TemporaryDirectory(prefix="kubewhy-cluster-") as tmp:
        bundle.write_dir(Path(tmp))
        with open_inputs([Path(tmp), *extra_paths], labels={Path(tmp): "cluster"}) as inputs:
            return gather(inputs, kb, tz_offset_minutes)


def diagnose_cluster(
    target: str | None = None,
    *,
    namespace: str | None = None,
    kubeconfig: str | None = None,
    context: str | None = None,
    extra_paths: list[Path] | None = None,
    kb: KnowledgeBase | None = None,
    tz_offset_minutes: int | None = None,
    logs_tail: int = 500,
    max_concurrency: int = 4,
    timeout: float = 15.0,
) -> Diagnosis:
    """Diagnose ``target`` of a live cluster (what ``kubectl why TARGET`` prints)."""
    from kubewhy.diagnose import reason

    kb = kb or default_knowledge_base()
    gathered = gather_cluster(
        target,
        extra_paths or [],
        kb,
        namespace=namespace,
        kubeconfig=kubeconfig,
        context=context,
        tz_offset_minutes=tz_offset_minutes,
        logs_tail=logs_tail,
        max_concurrency=max_concurrency,
        timeout=timeout,
    )
    return reason(gathered, kb)
