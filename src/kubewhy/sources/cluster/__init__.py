"""A live cluster as evidence, read through the Kubernetes API (``kubectl kubewhy``).

``collect_cluster(target, namespace=..., kubeconfig=..., context=...) -> BundleWriter`` reads
what a target needs (see :mod:`kubewhy.sources.cluster.collector`) into a bundle in the layout of
``kubectl cluster-info dump``, which the pipeline diagnoses like any other evidence.
"""

from __future__ import annotations

import time

from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.cluster.collector import ClusterCollector, Limits
from kubewhy.sources.cluster.target import Target, parse_target
from kubewhy.sources.cluster.transport import REQUEST_SECONDS, Transport, api_client

__all__ = [
    "Limits",
    "Target",
    "collect_cluster",
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
    timeout: float = 30.0,
    request_timeout: float = REQUEST_SECONDS,
    impersonate: str | None = None,
    impersonate_group: str | None = None,
) -> BundleWriter:
    """What ``target`` (``node/NAME``, ``pod/NAME``, ``namespace/NAME`` or None for the whole
    cluster) needs, read from the API server of ``kubeconfig``/``context`` (kubectl's rules).

    ``impersonate``/``impersonate_group`` act as kubectl's ``--as``/``--as-group``.
    ``timeout`` bounds the whole collection in seconds, ``request_timeout`` each request (both
    however the server trickles); ``max_concurrency`` the requests in flight. Raises
    :class:`kubewhy.errors.UsageError` for a bad target, :class:`kubewhy.errors.InputError` when
    the configuration cannot be used or the target does not exist; everything else that cannot
    be read is a gap in the bundle's manifest.
    """
    parsed = parse_target(target, namespace)
    client = api_client(kubeconfig, context, impersonate, impersonate_group)
    try:
        transport = Transport(
            client, timeout=min(request_timeout, timeout), deadline=time.monotonic() + timeout
        )
        limits = Limits(logs_tail=max(1, logs_tail))
        return ClusterCollector(transport, parsed, limits, max_concurrency).run()
    finally:
        client.close()
