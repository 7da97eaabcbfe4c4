"""The fact store's indexes agree with a scan of every entity, whatever the order of arrival."""

from __future__ import annotations

import random

from kubewhy.facts.store import FactStore
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact

KINDS = ["node", "pod", "container", "process", "component"]


def _fact(name: str, entity: Entity, value: int = 1) -> Fact:
    return Fact(name, entity, value, Evidence("x.txt", 1, None, f"{name}={value}"))


def _random_store(rng: random.Random) -> FactStore:
    store = FactStore()
    for _ in range(rng.randint(1, 200)):
        kind = rng.choice(KINDS)
        node = rng.choice(["n1", "n2", None])
        entity = (
            Entity.for_node(rng.choice(["n1", "n2", "n3"]))
            if kind == "node"
            else Entity(kind, f"{kind}-{rng.randint(0, 20)}", None, node)
        )
        if rng.random() < 0.5:
            store.add_entity(entity)
        else:
            store.add(_fact(rng.choice(["a", "b", "c"]), entity))
    return store


def test_indexes_agree_with_a_full_scan() -> None:
    rng = random.Random(3)
    for _ in range(200):
        store = _random_store(rng)
        everything = store.entities()
        for kind in KINDS:
            assert store.entities(kind) == [e for e in everything if e.kind == kind]
            for node in ("n1", "n2", "n3"):
                expected = [e for e in everything if e.kind == kind and e.node == node]
                assert store.on_node(node, kind) == expected
            for names in (["a"], ["b", "c"]):
                expected = [e for e in store.entities(kind) if set(names) & set(store.own(e))]
                assert store.holders(kind, names) == expected


def test_an_entity_that_learns_its_node_keeps_its_place() -> None:
    store = FactStore()
    store.add_entity(Entity.pod("first", "prod"))
    store.add_entity(Entity.pod("second", "prod", node="n1"))
    store.add(_fact("pod.phase", Entity.pod("first", "prod", node="n1")))
    assert [e.name for e in store.on_node("n1", "pod")] == ["first", "second"]
    assert [e.name for e in store.entities("pod")] == ["first", "second"]
    assert store.view(Entity.pod("first", "prod"))["pod.phase"] == 1


def test_views_follow_every_change() -> None:
    store = FactStore()
    pod = Entity.pod("web", "prod", node="n1")
    store.add(_fact("pod.restarts", pod, 1))
    assert dict(store.view(pod)) == {"pod.restarts": 1}
    store.add(_fact("node.ready", Entity.for_node("n1"), 0))
    store.add(_fact("cluster.pods.count", Entity.cluster(), 5))
    assert dict(store.view(pod)) == {"pod.restarts": 1, "node.ready": 0, "cluster.pods.count": 5}
    store.add(_fact("pod.restarts", pod, 2))
    assert store.view(pod)["pod.restarts"] == 2
    # An entity outside the store sees its node's facts, whatever it was asked before.
    assert "node.ready" not in store.view(Entity.pod("other", "prod"))
    assert "node.ready" in store.view(Entity.pod("other", "prod", node="n1"))


def test_memo_is_computed_once_until_something_changes() -> None:
    store = FactStore()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert [store.memo("k", compute) for _ in range(3)] == [1, 1, 1]
    store.add(_fact("a", Entity.for_node("n1")))
    assert store.memo("k", compute) == 2
    assert store.memo("k", compute) == 2
