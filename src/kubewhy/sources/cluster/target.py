"""What ``kubectl kubewhy TARGET`` names: a node, a pod, a namespace or the whole cluster."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from kubewhy.errors import UsageError

TargetKind = Literal["node", "pod", "namespace", "cluster"]

_KINDS: dict[str, TargetKind] = {
    "node": "node",
    "nodes": "node",
    "no": "node",
    "pod": "pod",
    "pods": "pod",
    "po": "pod",
    "namespace": "namespace",
    "namespaces": "namespace",
    "ns": "namespace",
}
# RFC 1123 subdomain: what the API accepts as a node, pod or namespace name.
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    name: str | None = None
    namespace: str | None = None

    def describe(self) -> str:
        if self.kind == "cluster":
            return "the cluster"
        if self.kind == "pod":
            return f"pod/{self.name} in namespace {self.namespace}"
        return f"{self.kind}/{self.name}"


def parse_target(text: str | None, namespace: str | None = None) -> Target:
    """A target from the command line, spelled like kubectl (``node/NAME``, ``po/NAME``...).

    >>> parse_target("node/worker-3")
    Target(kind='node', name='worker-3', namespace=None)
    >>> parse_target("pod/web-1", "prod")
    Target(kind='pod', name='web-1', namespace='prod')
    >>> parse_target(None, "prod")
    Target(kind='namespace', name='prod', namespace='prod')
    >>> parse_target(None)
    Target(kind='cluster', name=None, namespace=None)
    >>> parse_target("deployment/web")
    Traceback (most recent call last):
    ...
    kubewhy.errors.UsageError: 'deployment/web': expected node/NAME, pod/NAME or ns/NAME
    """
    if namespace is not None and not _NAME.match(namespace):
        raise UsageError(f"{namespace!r} is not a valid namespace name")
    if not text:
        if namespace:
            return Target("namespace", namespace, namespace)
        return Target("cluster")
    kind_text, slash, name = text.partition("/")
    kind = _KINDS.get(kind_text.lower()) if slash else None
    if kind is None:
        raise UsageError(f"{text!r}: expected node/NAME, pod/NAME or ns/NAME")
    if not _NAME.match(name):
        raise UsageError(f"{name!r} is not a valid {kind} name")
    if kind == "pod":
        return Target("pod", name, namespace or "default")
    if kind == "namespace":
        return Target("namespace", name, name)
    return Target("node", name)
