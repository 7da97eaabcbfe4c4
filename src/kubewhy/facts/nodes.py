"""One name per node, whatever each source calls it.

The API says ``172.21.128.138``, the journal says ``host-172-21-128-138``, an event says
``ip-10-241-44-128.ap-northeast-1.compute.internal``. Names are matched by the IP they embed,
else by their short host name. Evidence with no node at all belongs to the only node in the
evidence when there is exactly one.

>>> names = NodeNames()
>>> names.add("172.21.128.138")
>>> names.canonical("host-172-21-128-138")
'172.21.128.138'
>>> names.default()
'172.21.128.138'
>>> names.alias("node-xx", "10.20.14.37")
>>> names.canonical("10.20.14.37:10250"), names.default()
('node-xx', '(unknown node)')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from kubewhy.model.entities import UNKNOWN_NODE, Entity, Kind
from kubewhy.parsers.base import LogFormat
from kubewhy.parsers.journald import journal_host

_IP = re.compile(r"(?<!\d)(\d{1,3})[-.](\d{1,3})[-.](\d{1,3})[-.](\d{1,3})(?!\d)")
_NOT_HOSTS = {"localhost", "kernel", "-", ""}


@functools.lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    found = _IP.search(name)
    if found:
        return ".".join(found.groups())
    return name.lower().split(".")[0]


_NODE = Kind.NODE.value
_POD = Kind.POD.value
_CLUSTER = Kind.CLUSTER.value
_HOSTED = (Kind.PROCESS.value, Kind.CGROUP.value)


class NodeNames:
    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        # Canonical name -> the keys that map to it: an alias renames them all without walking
        # every key (a cluster dump aliases each of thousands of nodes).
        self._keys_of: dict[str, set[str]] = {}
        # Pod name -> the namespaces the evidence places a pod of that name in.
        self._pod_namespaces: dict[str, set[str]] = {}
        # What default() and entity() answered, until the names change: every fact's entity is
        # unified, and a cluster holds hundreds of thousands of them on thousands of nodes.
        self._default: str | None = None
        self._entities: dict[tuple[Entity, str | None], Entity] = {}

    def _set(self, key: str, name: str) -> None:
        old = self._by_key.get(key)
        if old == name:
            return
        if old is not None:
            self._keys_of[old].discard(key)
        self._by_key[key] = name
        self._keys_of.setdefault(name, set()).add(key)
        self._changed()

    def _changed(self) -> None:
        self._default = None
        if self._entities:
            self._entities.clear()

    def add(self, name: str) -> None:
        if name and name != UNKNOWN_NODE and name not in _NOT_HOSTS:
            key = name_key(name)
            if key not in self._by_key:
                self._set(key, name)

    def alias(self, name: str, address: str) -> None:
        """``address`` (an IP, a host name) is another name of node ``name``."""
        self.add(name)
        canonical = self._by_key.get(name_key(name), name)
        self._set(name_key(address), canonical)
        # A node first seen by its address now answers to its real name.
        if address != canonical:
            for key in list(self._keys_of.get(address, ())):
                self._set(key, canonical)

    def observe_entities(self, entities: Iterable[Entity]) -> None:
        # Each node name added once, in the order first seen: a cluster dump names each of
        # thousands of nodes on dozens of pods and hundreds of events.
        hosts: dict[str, None] = {}
        namespaces = self._pod_namespaces
        for entity in entities:
            kind = entity.kind
            if kind == _NODE:
                hosts[entity.name] = None
            elif entity.node:
                hosts[entity.node] = None
            if kind == _POD and entity.namespace:
                found = namespaces.get(entity.name)
                if found is None:
                    namespaces[entity.name] = {entity.namespace}
                    self._changed()
                elif entity.namespace not in found:
                    found.add(entity.namespace)
                    self._changed()
        for name in hosts:
            self.add(name)

    def namespace_of(self, pod: str) -> str | None:
        """The namespace of the only pod called ``pod`` the evidence places in one."""
        found = self._pod_namespaces.get(pod, set())
        return next(iter(found)) if len(found) == 1 else None

    def observe_log_head(self, head: Sequence[str], fmt: LogFormat | None) -> None:
        if fmt is None or fmt.name != "journald":
            return
        for line in head[:20]:
            host = journal_host(line)
            if host:
                self.add(host)

    def known(self) -> list[str]:
        return sorted(name for name, keys in self._keys_of.items() if keys)

    def canonical(self, name: str) -> str:
        if name == UNKNOWN_NODE:
            return self.default()
        return self._by_key.get(name_key(name), name)

    def default(self) -> str:
        if self._default is None:
            names = [name for name, keys in self._keys_of.items() if keys]
            self._default = names[0] if len(names) == 1 else UNKNOWN_NODE
        return self._default

    def entity(self, entity: Entity, fallback: str | None = None) -> Entity:
        """The entity with its node's one name. Evidence that names no node belongs to the only
        node of the evidence, else to ``fallback`` (the node its folder is about), if any."""
        key = (entity, fallback)
        found = self._entities.get(key)
        if found is None:
            found = self._entities[key] = self._unified(entity, fallback)
        return found

    def _unified(self, entity: Entity, fallback: str | None) -> Entity:
        default = self.default()
        if default == UNKNOWN_NODE and fallback:
            default = self.canonical(fallback)
        kind = entity.kind
        if kind == _NODE:
            name = default if entity.name == UNKNOWN_NODE else self.canonical(entity.name)
            return entity if name == entity.name else Entity.for_node(name)
        if kind == _CLUSTER:
            return entity
        if kind == _POD and entity.namespace is None:
            namespace = self.namespace_of(entity.name)
            if namespace is not None:
                entity = Entity(entity.kind, entity.name, namespace, entity.node, entity.pid)
        if entity.node is None:
            if kind in _HOSTED:
                return Entity(entity.kind, entity.name, entity.namespace, default, entity.pid)
            return entity
        node = default if entity.node == UNKNOWN_NODE else self.canonical(entity.node)
        if node == entity.node:
            return entity
        return Entity(entity.kind, entity.name, entity.namespace, node, entity.pid)
