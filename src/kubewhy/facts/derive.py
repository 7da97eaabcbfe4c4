"""Facts derived from other facts: limits, ratios and totals that conditions compare.

Derived facts cite the evidence of the facts they come from, so a finding built on
``node.pids.used_ratio`` still points at the ``pid_max`` line and the thread count.
"""

from __future__ import annotations

from kubewhy.facts.nodes import NodeNames
from kubewhy.facts.store import FactStore
from kubewhy.model.entities import Entity, Kind
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact


def _number(store: FactStore, entity: Entity, name: str) -> tuple[float, Evidence | None] | None:
    fact = store.fact(entity, name)
    if fact is None or isinstance(fact.value, bool) or not isinstance(fact.value, int | float):
        return None
    return float(fact.value), fact.evidence


def _derive_node(store: FactStore, node: Entity) -> None:
    pid_max = _number(store, node, "sysctl.kernel.pid_max")
    threads_max = _number(store, node, "sysctl.kernel.threads_max")
    limits = [x for x in (pid_max, threads_max) if x is not None]
    if limits and store.fact(node, "node.pids.limit") is None:
        value, evidence = min(limits, key=lambda x: x[0])
        store.add(Fact("node.pids.limit", node, int(value), evidence))

    tasks = [
        x
        for x in (
            _number(store, node, "node.threads.total"),
            _number(store, node, "metrics.container_threads_sum"),
        )
        if x is not None
    ]
    container_threads = [
        x for c in store.on_node(node.name, Kind.CONTAINER.value)
        if (x := _number(store, c, "container.threads")) is not None
    ]
    if container_threads and not tasks:
        total = sum(v for v, _ in container_threads)
        tasks.append((total, max(container_threads, key=lambda x: x[0])[1]))
    limit = _number(store, node, "node.pids.limit")
    if tasks and limit and limit[0] > 0 and store.fact(node, "node.pids.used_ratio") is None:
        used, evidence = max(tasks, key=lambda x: x[0])
        store.add(Fact("node.pids.used_ratio", node, round(used / limit[0], 4), evidence))
    if limit and limit[0] > 0:
        for container in store.on_node(node.name, Kind.CONTAINER.value):
            threads = _number(store, container, "container.threads")
            if threads is not None and store.fact(container, "container.threads_share") is None:
                share = round(threads[0] / limit[0], 4)
                store.add(Fact("container.threads_share", container, share, threads[1]))

    total = _number(store, node, "node.memory.total_bytes")
    available = _number(store, node, "node.memory.available_bytes")
    if total and available and total[0] > 0 and store.fact(node, "node.memory.available_ratio") is None:
        ratio = round(available[0] / total[0], 4)
        store.add(Fact("node.memory.available_ratio", node, ratio, available[1]))

    stalls = [
        f for name, f in _facts_with_prefix(store, node, "node.vmstat.allocstall_")
    ]
    if stalls and store.fact(node, "node.vmstat.allocstall") is None:
        value = sum(int(f.value) for f in stalls if isinstance(f.value, int | float))
        store.add(Fact("node.vmstat.allocstall", node, value, stalls[0].evidence))

    num = _number(store, node, "node.memcg.num_cgroups")
    live = _number(store, node, "node.memcg.live_cgroups")
    if num and live and store.fact(node, "node.memcg.dying") is None:
        store.add(Fact("node.memcg.dying", node, int(max(num[0] - live[0], 0)), num[1]))

    zombies = [
        p for p in store.on_node(node.name, Kind.PROCESS.value) if store.value(p, "process.state") == "Z"
    ]
    if zombies and store.fact(node, "node.zombies.total") is None:
        store.add(Fact("node.zombies.total", node, len(zombies), store.fact(zombies[0], "process.state").evidence))  # type: ignore[union-attr]


def _facts_with_prefix(store: FactStore, entity: Entity, prefix: str) -> list[tuple[str, Fact]]:
    own = store.own(entity)
    found = []
    for name in own:
        if name.startswith(prefix):
            fact = store.fact(entity, name)
            if fact is not None:
                found.append((name, fact))
    return found


def derive_facts(store: FactStore, nodes: NodeNames) -> None:
    for name in nodes.known():
        store.add_entity(Entity.for_node(name))
    for node in store.entities(Kind.NODE.value):
        _derive_node(store, node)
