"""Node-name unification: the answers stay right while the names change (they are cached), and
an alias renames what was first seen by the address."""

from __future__ import annotations

from kubewhy.facts.nodes import NodeNames
from kubewhy.model.entities import UNKNOWN_NODE, Entity


def test_default_and_entities_follow_new_names() -> None:
    names = NodeNames()
    pod = Entity.pod("web-1")
    process = Entity.process(7, "sleep")
    assert names.default() == UNKNOWN_NODE
    assert names.entity(process).node == UNKNOWN_NODE
    names.add("10.0.0.1")
    assert names.default() == "10.0.0.1"
    assert names.entity(process).node == "10.0.0.1"
    assert names.entity(pod) == pod
    names.observe_entities([Entity.pod("web-1", "prod")])
    assert names.entity(pod).namespace == "prod"
    names.add("other")
    assert names.default() == UNKNOWN_NODE
    assert names.entity(process).node == UNKNOWN_NODE
    assert names.entity(process, fallback="ip-10-0-0-1").node == "10.0.0.1"


def test_alias_renames_keys_first_seen_by_address() -> None:
    names = NodeNames()
    names.add("10.20.14.37")
    names.add("host-10-20-14-38")
    names.alias("node-xx", "10.20.14.37")
    assert names.known() == ["host-10-20-14-38", "node-xx"]
    assert names.canonical("10-20-14-37") == "node-xx"
    assert names.entity(Entity.for_node("10.20.14.37")) == Entity.for_node("node-xx")
    names.alias("node-yy", "host-10-20-14-38")
    assert names.known() == ["node-xx", "node-yy"]
    assert names.canonical("10.20.14.38") == "node-yy"


def test_many_nodes_unify_in_linear_time() -> None:
    names = NodeNames()
    for n in range(20_000):
        names.add(f"10.1.{n // 256}.{n % 256}")
        names.alias(f"worker-{n}", f"10.1.{n // 256}.{n % 256}")
    assert len(names.known()) == 20_000
    for n in range(20_000):
        entity = names.entity(Entity.pod(f"p{n}", "ns", node=f"10.1.{n // 256}.{n % 256}"))
        assert entity.node == f"worker-{n}"
