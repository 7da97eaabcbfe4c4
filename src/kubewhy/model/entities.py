"""Entities that facts and findings are about.

An entity is identified by its kind and name (plus namespace for pods and containers, and the
node it runs on where that is known). Entities are small frozen values so they can be used as
dictionary keys throughout the pipeline.

>>> pod = Entity.pod("calico-node-x7", "kube-system", node="node-xx")
>>> pod.ref()
'pod/kube-system/calico-node-x7'
>>> pod.on_node()
Entity(kind='node', name='node-xx', namespace=None, node=None, pid=None)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    CLUSTER = "cluster"
    NODE = "node"
    POD = "pod"
    CONTAINER = "container"
    PROCESS = "process"
    COMPONENT = "component"
    CGROUP = "cgroup"


# The kinds' texts, read once: an enum member's ``.value`` is a Python-level property call,
# and entities are made by the hundred thousand from a cluster dump.
_CLUSTER, _NODE, _POD = Kind.CLUSTER.value, Kind.NODE.value, Kind.POD.value
_CONTAINER, _PROCESS = Kind.CONTAINER.value, Kind.PROCESS.value
_COMPONENT, _CGROUP = Kind.COMPONENT.value, Kind.CGROUP.value

UNKNOWN_NODE = "(unknown node)"
# The cgroup of a program whose own limit was hit, when the evidence does not name its path.
UNKNOWN_CGROUP = "(the failing program's cgroup)"
CLUSTER_NAME = "cluster"


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str
    name: str
    namespace: str | None = None
    node: str | None = None
    pid: int | None = None

    @staticmethod
    def cluster() -> Entity:
        return Entity(_CLUSTER, CLUSTER_NAME)

    @staticmethod
    def for_node(name: str) -> Entity:
        return Entity(_NODE, name)

    @staticmethod
    def pod(name: str, namespace: str | None = None, node: str | None = None) -> Entity:
        # An unknown namespace stays unknown (not "default"): the pod is matched to the one pod
        # of that name the evidence places in a namespace (facts.nodes.NodeNames).
        return Entity(_POD, name, namespace or None, node)

    @staticmethod
    def container(
        name: str, pod: str | None = None, namespace: str | None = None, node: str | None = None
    ) -> Entity:
        # A container is named "<pod>/<container>" when its pod is known.
        full = f"{pod}/{name}" if pod else name
        return Entity(_CONTAINER, full, namespace, node)

    @staticmethod
    def process(pid: int, command: str, node: str | None = None) -> Entity:
        return Entity(_PROCESS, command, None, node, pid)

    @staticmethod
    def component(name: str, node: str | None = None) -> Entity:
        return Entity(_COMPONENT, name, None, node)

    @staticmethod
    def cgroup(path: str, node: str | None = None) -> Entity:
        return Entity(_CGROUP, path, None, node)

    def ref(self) -> str:
        parts = [str(self.kind)]
        if self.namespace:
            parts.append(self.namespace)
        parts.append(self.name)
        return "/".join(parts)

    @staticmethod
    def pod_of_ref(ref: str, node: str | None = None) -> Entity | None:
        """The pod whose ``ref()`` is ``ref`` (``pod/[<namespace>/]<name>``), None for any other
        text: names and namespaces hold no ``/``.

        >>> Entity.pod_of_ref("pod/shop/web-0"), Entity.pod_of_ref("kubelet")
        (Entity(kind='pod', name='web-0', namespace='shop', node=None, pid=None), None)
        """
        kind, _, rest = ref.partition("/")
        if kind != _POD or not rest:
            return None
        namespace, _, name = rest.rpartition("/")
        return Entity.pod(name, namespace or None, node)

    def on_node(self) -> Entity | None:
        """The node this entity lives on (itself for a node), if known."""
        if self.kind == _NODE:
            return self
        return Entity.for_node(self.node) if self.node else None
