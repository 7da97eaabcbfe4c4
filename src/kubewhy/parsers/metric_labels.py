"""Which entity a Prometheus series is about, from its labels: the one answer for every parser of
Prometheus answers (the text format, saved query answers, collected evidence with trends).

A series names its node in ``node`` (or a relabelled host label), else in its scrape target
``instance`` without the port; its pod in ``pod`` (cAdvisor before 1.16: ``pod_name``), its
container in ``container`` (``container_name``; ``POD`` is the pause container, the pod itself).
Empty labels are absent labels, as in Prometheus.

>>> series_entity({"namespace": "prod", "pod": "web-1", "container": "app", "node": "n1"}).ref()
'container/prod/web-1/app'
>>> series_entity({"pod": "web-1", "container": "POD", "instance": "10.0.0.8:10250"})
Entity(kind='pod', name='web-1', namespace=None, node='10.0.0.8', pid=None)
>>> series_entity({"job": "apiserver", "instance": "10.0.0.8:6443"}, "component").ref()
'component/kube-apiserver'
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kubewhy.model.bundle import MetricEntityKind
from kubewhy.model.components import of_metric_labels
from kubewhy.model.entities import Entity

# Labels that name the node, most telling first (relabelled scrape configurations add the last).
NODE_LABELS = ("node", "kubernetes_io_hostname", "nodename", "hostname")
_PORT = re.compile(r":\d+$")


def instance_host(labels: Mapping[str, str]) -> str:
    """The scrape target without its port ("" when there is none).

    >>> instance_host({"instance": "10.0.0.8:9100"})
    '10.0.0.8'
    """
    return _PORT.sub("", labels.get("instance", ""))


def series_node(
    labels: Mapping[str, str],
    node_labels: tuple[str, ...] = NODE_LABELS,
    *,
    instance_is_node: bool = True,
) -> str | None:
    """The node a series names: a node label, else its scrape target when that is the node
    (a per-node exporter's)."""
    for key in node_labels:
        if labels.get(key):
            return labels[key]
    return (instance_host(labels) or None) if instance_is_node else None


def series_entity(
    labels: Mapping[str, str],
    kind: MetricEntityKind | None = None,
    *,
    default_node: str | None = None,
    node_labels: tuple[str, ...] = NODE_LABELS,
    instance_is_node: bool = True,
) -> Entity:
    """The entity a series is about: of ``kind`` when asked for one (``container`` without a
    container falls back to the pod, ``pod``/``component`` without theirs to the node); else the
    most specific the labels name (a container only with its pod). The cluster when the labels
    name nothing; ``default_node`` when they name no node (a file from one node's endpoint)."""
    node = series_node(labels, node_labels, instance_is_node=instance_is_node) or default_node
    if kind == "node":
        return Entity.for_node(node) if node else Entity.cluster()
    if kind == "cluster":
        return Entity.cluster()
    namespace = labels.get("namespace") or None
    pod = labels.get("pod") or labels.get("pod_name") or None
    container = labels.get("container") or labels.get("container_name") or None
    if container == "POD":
        container = None
    if container and (kind == "container" or (kind is None and pod)):
        return Entity.container(container, pod=pod, namespace=namespace, node=node)
    if pod and kind in (None, "container", "pod"):
        return Entity.pod(pod, namespace, node)
    if kind == "component":
        component = of_metric_labels(labels)
        if component:
            return Entity.component(component, node)
    return Entity.for_node(node) if node else Entity.cluster()
