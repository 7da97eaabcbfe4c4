"""The fact store: every fact of a diagnosis, indexed by entity and name.

The same entity is often seen from several inputs with more or less detail (a pod with and
without its node). The store keys entities by identity (kind, namespace, name, pid) and keeps
the most detailed version, so facts from every source meet on one entity.

>>> from kubewhy.model.facts import Fact
>>> store = FactStore()
>>> store.add(Fact("pod.phase", Entity.pod("web-1", "prod"), "Pending"))
>>> store.add(Fact("pod.qos_class", Entity.pod("web-1", "prod", node="n1"), "Burstable"))
>>> [e.node for e in store.entities("pod")]
['n1']
>>> store.view(Entity.pod("web-1", "prod"))["pod.phase"]
'Pending'
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from kubewhy.model.entities import Entity, Kind
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value

Identity = tuple[str, str | None, str, int | None]


def identity(entity: Entity) -> Identity:
    return (entity.kind, entity.namespace, entity.name, entity.pid)


class FactStore:
    def __init__(self) -> None:
        self._entities: dict[Identity, Entity] = {}
        self._facts: dict[Identity, dict[str, list[Fact]]] = defaultdict(dict)
        # Structured results that are not single values (goroutine analyses), per entity.
        self.extras: list[tuple[Entity, str, object]] = []

    def add_entity(self, entity: Entity) -> Entity:
        key = identity(entity)
        known = self._entities.get(key)
        if known is None or (known.node is None and entity.node is not None):
            self._entities[key] = entity
            return entity
        return known

    def add(self, fact: Fact) -> None:
        self.add_entity(fact.entity)
        self._facts[identity(fact.entity)].setdefault(fact.name, []).append(fact)

    def extend(self, facts: Iterable[Fact]) -> None:
        for fact in facts:
            self.add(fact)

    def canonical(self, entity: Entity) -> Entity:
        return self._entities.get(identity(entity), entity)

    def entities(self, kind: str | None = None) -> list[Entity]:
        return [e for e in self._entities.values() if kind is None or e.kind == kind]

    def on_node(self, node: str, kind: str) -> list[Entity]:
        return [e for e in self._entities.values() if e.kind == kind and e.node == node]

    def facts(self, entity: Entity, name: str) -> list[Fact]:
        return self._facts.get(identity(entity), {}).get(name, [])

    def fact(self, entity: Entity, name: str) -> Fact | None:
        """The last fact of that name (later sources refine earlier ones)."""
        found = self.facts(entity, name)
        return found[-1] if found else None

    def value(self, entity: Entity, name: str) -> Value | None:
        found = self.fact(entity, name)
        return found.value if found else None

    def own(self, entity: Entity) -> dict[str, Value]:
        return {
            name: facts[-1].value for name, facts in self._facts.get(identity(entity), {}).items()
        }

    def view(self, entity: Entity) -> dict[str, Value]:
        """Facts visible when reasoning about ``entity``: its own, its node's and the cluster's."""
        entity = self.canonical(entity)
        merged = dict(self.own(Entity.cluster()))
        node = entity.on_node()
        if node is not None and node != entity:
            merged.update(self.own(node))
        merged.update(self.own(entity))
        return merged

    def evidence(self, entity: Entity, names: Iterable[str]) -> list[Evidence]:
        entity = self.canonical(entity)
        scopes = [entity]
        node = entity.on_node()
        if node is not None and node != entity:
            scopes.append(node)
        scopes.append(Entity.cluster())
        found: list[Evidence] = []
        for name in names:
            for scope in scopes:
                fact = self.fact(scope, name)
                if fact is not None:
                    if fact.evidence is not None:
                        found.append(fact.evidence)
                    break
        return found

    def nodes(self) -> list[str]:
        return sorted(e.name for e in self.entities(Kind.NODE.value))
