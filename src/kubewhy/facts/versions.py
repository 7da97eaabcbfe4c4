"""Component versions read off container images, where nothing states them outright.

A control-plane static pod runs ``registry.k8s.io/kube-apiserver:v1.18.4``: the tag is the
version that known-bug checks compare ("fixed in 1.23.0, you run v1.18.4").

>>> from kubewhy.model.evidence import Evidence
>>> store = FactStore()
>>> pod = Entity.container("kube-apiserver", "kube-apiserver-m1", "kube-system", "m1")
>>> store.add(Fact("container.image", pod, "k8s.gcr.io/kube-apiserver:v1.18.4", None))
>>> derive_versions(store)
>>> store.value(Entity.cluster(), "cluster.apiserver_version")
'v1.18.4'
"""

from __future__ import annotations

import re

from kubewhy.facts.store import FactStore
from kubewhy.model.entities import Entity, Kind
from kubewhy.model.facts import Fact

# Images of control-plane components: name and a version tag.
IMAGE = re.compile(
    r"(?:^|/)(?P<component>kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy|etcd)"
    r"(?:-amd64|-arm64)?:(?P<tag>v?\d+\.\d+\.\d+[\w.+-]*)"
)


def derive_versions(store: FactStore) -> None:
    for container in store.entities(Kind.CONTAINER.value):
        fact = store.fact(container, "container.image")
        if fact is None:
            continue
        found = IMAGE.search(str(fact.value))
        if not found:
            continue
        component = Entity.component(found.group("component"), container.node)
        if store.fact(component, "component.version") is None:
            store.add(Fact("component.version", component, found.group("tag"), fact.evidence))
        if found.group("component") == "kube-apiserver" and (
            store.fact(Entity.cluster(), "cluster.apiserver_version") is None
        ):
            store.add(
                Fact(
                    "cluster.apiserver_version", Entity.cluster(), found.group("tag"), fact.evidence
                )
            )
