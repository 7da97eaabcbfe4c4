"""The fact store: every fact of a diagnosis, indexed by entity and name.

The same entity is often seen from several inputs with more or less detail (a pod with and
without its node). The store keys entities by identity (kind, namespace, name, pid) and keeps
the most detailed version, so facts from every source meet on one entity.

A cluster holds hundreds of thousands of entities, so lookups by kind, by node and by fact name
are indexed, and the merged view of an entity is cached until the store changes.

>>> from kubewhy.model.facts import Fact
>>> store = FactStore()
>>> store.add(Fact("pod.phase", Entity.pod("web-1", "prod"), "Pending"))
>>> store.add(Fact("pod.qos_class", Entity.pod("web-1", "prod", node="n1"), "Burstable"))
>>> [e.node for e in store.entities("pod")]
['n1']
>>> store.view(Entity.pod("web-1", "prod"))["pod.phase"]
'Pending'
>>> store.on_node("n1", "pod") == store.holders("pod", ["pod.phase"]) == store.entities("pod")
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from itertools import repeat
from operator import attrgetter, methodcaller
from typing import TypeVar, cast

from kubewhy.model.entities import Entity, Kind
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value

Identity = tuple[str, str | None, str, int | None]
T = TypeVar("T")
_CLUSTER = Entity.cluster()
_NODE = Kind.NODE.value
_NODE_OF = attrgetter("node")


class Absent:
    """What :meth:`FactStore.visible` gives for a name no visible fact holds."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


def identity(entity: Entity) -> Identity:
    return (entity.kind, entity.namespace, entity.name, entity.pid)


class FactStore:
    def __init__(self) -> None:
        self._entities: dict[Identity, Entity] = {}
        # First-seen order of every identity: listings follow it whatever index they come from.
        self._order: dict[Identity, int] = {}
        self._by_kind: defaultdict[str, dict[Identity, Entity]] = defaultdict(dict)
        self._by_node: defaultdict[tuple[str, str], dict[Identity, Entity]] = defaultdict(dict)
        # (node, kind) buckets that got an entity out of first-seen order (it learnt its node).
        self._unsorted: set[tuple[str, str]] = set()
        self._facts: defaultdict[Identity, dict[str, list[Fact]]] = defaultdict(dict)
        self._values: defaultdict[Identity, dict[str, Value]] = defaultdict(dict)
        self._holders: defaultdict[tuple[str, str], dict[Identity, None]] = defaultdict(dict)
        self._views: dict[Entity, dict[str, Value]] = {}
        self._memos: dict[Hashable, object] = {}

    def _changed(self) -> None:
        if self._views:
            self._views.clear()
        if self._memos:
            self._memos.clear()

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the store changes: for what checks derive once per
        diagnosis and read for every subject.

        >>> store, calls = FactStore(), []
        >>> [store.memo("k", lambda: calls.append(1) or len(calls)) for _ in range(2)]
        [1, 1]
        """
        if key not in self._memos:
            self._memos[key] = compute()
        return cast(T, self._memos[key])

    def add_entity(self, entity: Entity) -> Entity:
        key = identity(entity)
        known = self._entities.get(key)
        if known is not None and (known.node is not None or entity.node is None):
            return known
        self._changed()
        if known is None:
            self._order[key] = len(self._order)
        self._entities[key] = entity
        self._by_kind[entity.kind][key] = entity
        if entity.node is not None:
            bucket = self._by_node[(entity.node, entity.kind)]
            if known is not None and bucket:
                self._unsorted.add((entity.node, entity.kind))
            bucket[key] = entity
        return entity

    def add(self, fact: Fact) -> None:
        entity = fact.entity
        key = (entity.kind, entity.namespace, entity.name, entity.pid)
        known = self._entities.get(key)
        if known is None or (known.node is None and entity.node is not None):
            self.add_entity(entity)
        if self._views or self._memos:
            self._changed()
        name = fact.name
        named = self._facts[key]
        if name in named:
            named[name].append(fact)
        else:
            named[name] = [fact]
            self._holders[(key[0], name)][key] = None
        self._values[key][name] = fact.value

    def keep_peaks(self, names: Iterable[str]) -> None:
        """For counts of what accumulates (units, zombies, memory cgroups), the largest value
        seen is the symptom: a later, smaller reading was taken after someone cleaned up."""
        wanted = set(names)
        for key, named in self._facts.items():
            for name in wanted.intersection(named):
                facts = named[name]
                numeric = [f for f in facts if isinstance(f.value, int | float)]
                if len(numeric) < 2:
                    continue
                peak = max(numeric, key=lambda f: float(f.value))
                if peak is not facts[-1]:
                    facts.remove(peak)
                    facts.append(peak)
                    self._values[key][name] = peak.value
                    self._changed()

    def extend(self, facts: Iterable[Fact]) -> None:
        for fact in facts:
            self.add(fact)

    def canonical(self, entity: Entity) -> Entity:
        return self._entities.get(identity(entity), entity)

    def entities(self, kind: str | None = None) -> list[Entity]:
        if kind is None:
            return list(self._entities.values())
        return list(self._by_kind[kind].values()) if kind in self._by_kind else []

    def on_node(self, node: str, kind: str) -> list[Entity]:
        bucket = self._by_node.get((node, kind))
        if not bucket:
            return []
        if (node, kind) in self._unsorted:
            self._unsorted.discard((node, kind))
            ordered = sorted(bucket.items(), key=lambda item: self._order[item[0]])
            bucket.clear()
            bucket.update(ordered)
        return list(bucket.values())

    def holders(self, kind: str, names: Iterable[str]) -> list[Entity]:
        """Entities of ``kind`` that hold a fact of one of ``names`` themselves, in store order."""
        keys: dict[Identity, None] = {}
        for name in names:
            keys.update(self._holders.get((kind, name), {}))
        # Sorted by their keys, with a C-level key (every holder has its place in _order).
        return list(map(self._entities.__getitem__, sorted(keys, key=self._order.__getitem__)))

    def in_order(self, entities: Iterable[Entity]) -> list[Entity]:
        """``entities`` (known to the store) in the order the store first saw them."""
        order = self._order
        return sorted(entities, key=lambda e: order.get(identity(e), len(order)))

    def facts(self, entity: Entity, name: str) -> list[Fact]:
        named = self._facts.get(identity(entity))
        return named.get(name, []) if named else []

    def fact(self, entity: Entity, name: str) -> Fact | None:
        """The last fact of that name (later sources refine earlier ones)."""
        found = self.facts(entity, name)
        return found[-1] if found else None

    def value(self, entity: Entity, name: str) -> Value | None:
        values = self._values.get(identity(entity))
        return values.get(name) if values else None

    def own(self, entity: Entity) -> Mapping[str, Value]:
        """The entity's own facts, the last value of each name (read only)."""
        return self._values.get(identity(entity)) or {}

    def view(self, entity: Entity) -> Mapping[str, Value]:
        """Facts visible when reasoning about ``entity``: its own, its node's and the cluster's
        (read only; cached until the store changes)."""
        entity = self.canonical(entity)
        cached = self._views.get(entity)
        if cached is not None:
            return cached
        merged = dict(self.own(_CLUSTER))
        node = entity.on_node()
        if node is not None and node != entity:
            merged.update(self.own(node))
        merged.update(self.own(entity))
        self._views[entity] = merged
        return merged

    def holders_rows(
        self, kind: str, names: Sequence[str]
    ) -> tuple[list[Entity], list[tuple[Value | Absent, ...]], list[int]]:
        """The entities of ``kind`` that hold one of ``names`` themselves (in no particular
        order), what :meth:`view` shows of ``names`` for them (``ABSENT`` for a name no
        visible fact holds) as distinct rows of values, and the index of each one's row.

        Read with C-level maps over the holders and made once per distinct own values and
        node: the 150,000 pods of a cluster dump show a handful, and a copy of each one's view
        cost more than the conditions read from it. A value's type counts: ``True``, ``1``
        and ``1.0`` are equal but not the same value to a condition.
        """
        held: dict[Identity, None] = {}
        for name in names:
            held.update(self._holders.get((kind, name), {}))
        entities = list(map(self._entities.__getitem__, held))
        owns = list(map(self._values.__getitem__, held))
        columns = [list(map(methodcaller("get", name, ABSENT), owns)) for name in names]
        places = map(_NODE_OF, entities) if kind != _NODE else repeat(None, len(entities))
        keys = list(zip(*columns, *(map(type, column) for column in columns), places, strict=True))
        cluster = self._values.get(identity(_CLUSTER)) or {}
        rows: list[tuple[Value | Absent, ...]] = []
        row_of: dict[tuple[object, ...], int] = {}
        index: dict[tuple[object, ...], int] = {}
        for key in dict.fromkeys(keys):
            node = key[-1]
            node_own = (self._values.get((_NODE, None, node, None)) or {}) if node else {}
            row = tuple(
                value if value is not ABSENT else node_own.get(name, cluster.get(name, ABSENT))
                for name, value in zip(names, key, strict=False)
            )
            at = index.setdefault((*row, *map(type, row)), len(rows))
            if at == len(rows):
                rows.append(row)
            row_of[key] = at
        return entities, rows, list(map(row_of.__getitem__, keys))

    def evidence(self, entity: Entity, names: Iterable[str]) -> list[Evidence]:
        entity = self.canonical(entity)
        scopes = [entity]
        node = entity.on_node()
        if node is not None and node != entity:
            scopes.append(node)
        scopes.append(_CLUSTER)
        found: list[Evidence] = []
        for name in names:
            for scope in scopes:
                fact = self.fact(scope, name)
                if fact is not None:
                    # A derived fact cites the line of a fact it comes from: cited once.
                    if fact.evidence is not None and fact.evidence not in found:
                        found.append(fact.evidence)
                    break
        return found

    def nodes(self) -> list[str]:
        return sorted(e.name for e in self.entities(Kind.NODE.value))
