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


def _add_once(
    store: FactStore, name: str, entity: Entity, value: int | float, ev: Evidence | None
) -> None:
    if store.fact(entity, name) is None:
        store.add(Fact(name, entity, value, ev))


def _pid_facts(store: FactStore, node: Entity) -> None:
    limits = [
        x
        for x in (
            _number(store, node, "sysctl.kernel.pid_max"),
            _number(store, node, "sysctl.kernel.threads_max"),
        )
        if x is not None
    ]
    if limits:
        value, evidence = min(limits, key=lambda x: x[0])
        _add_once(store, "node.pids.limit", node, int(value), evidence)
    limit = _number(store, node, "node.pids.limit")
    if limit is None or limit[0] <= 0:
        return
    containers = store.on_node(node.name, Kind.CONTAINER.value)
    per_container = [
        (c, x) for c in containers if (x := _number(store, c, "container.threads")) is not None
    ]
    tasks = [
        x
        for x in (
            _number(store, node, "node.threads.total"),
            _number(store, node, "metrics.container_threads_sum"),
        )
        if x is not None
    ]
    if per_container and not tasks:
        # Container threads are a lower bound of the node's tasks.
        tasks.append((sum(x[0] for _, x in per_container), per_container[0][1][1]))
    if tasks:
        used, evidence = max(tasks, key=lambda x: x[0])
        _add_once(store, "node.pids.used_ratio", node, round(used / limit[0], 4), evidence)
    for container, (threads, evidence) in per_container:
        share = round(threads / limit[0], 4)
        _add_once(store, "container.threads_share", container, share, evidence)


def _memory_facts(store: FactStore, node: Entity) -> None:
    total = _number(store, node, "node.memory.total_bytes")
    available = _number(store, node, "node.memory.available_bytes")
    if total and available and total[0] > 0:
        ratio = round(available[0] / total[0], 4)
        _add_once(store, "node.memory.available_ratio", node, ratio, available[1])
    stalls = [f for f in _facts_with_prefix(store, node, "node.vmstat.allocstall_")]
    if stalls:
        value = sum(f.value for f in stalls if isinstance(f.value, int | float))
        _add_once(store, "node.vmstat.allocstall", node, value, stalls[0].evidence)
    num = _number(store, node, "node.memcg.num_cgroups")
    live = _number(store, node, "node.memcg.live_cgroups")
    if num and live:
        _add_once(store, "node.memcg.dying", node, int(max(num[0] - live[0], 0)), num[1])


def _process_facts(store: FactStore, node: Entity) -> None:
    states = [
        f
        for p in store.on_node(node.name, Kind.PROCESS.value)
        if (f := store.fact(p, "process.state")) is not None
    ]
    zombies = [f for f in states if f.value == "Z"]
    if zombies:
        _add_once(store, "node.zombies.total", node, len(zombies), zombies[0].evidence)


def _pod_facts(store: FactStore, node: Entity) -> None:
    pods = store.on_node(node.name, Kind.POD.value)
    phases = [(p, f) for p in pods if (f := store.fact(p, "pod.phase")) is not None]
    if phases:
        _add_once(store, "node.pods.count", node, len(pods), phases[0][1].evidence)
    # Pending in the API while the runtime runs its containers: status updates are not arriving.
    stale = [
        (p, f)
        for p, f in phases
        if f.value == "Pending"
        and (_number(store, p, "pod.containers_running") or (0, None))[0] > 0
    ]
    if stale:
        running = store.fact(stale[0][0], "pod.containers_running")
        evidence = running.evidence if running else stale[0][1].evidence
        _add_once(store, "node.pods.pending_with_running_containers", node, len(stale), evidence)


def _derive_node(store: FactStore, node: Entity) -> None:
    _pod_facts(store, node)
    _pid_facts(store, node)
    _memory_facts(store, node)
    _process_facts(store, node)


def _facts_with_prefix(store: FactStore, entity: Entity, prefix: str) -> list[Fact]:
    return [
        fact
        for name in store.own(entity)
        if name.startswith(prefix) and (fact := store.fact(entity, name)) is not None
    ]


def derive_facts(store: FactStore, nodes: NodeNames) -> None:
    for name in nodes.known():
        store.add_entity(Entity.for_node(name))
    for node in store.entities(Kind.NODE.value):
        _derive_node(store, node)
