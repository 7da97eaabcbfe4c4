"""Facts derived from other facts: limits, ratios and totals that conditions compare.

Derived facts cite the evidence of the facts they come from, so a finding built on
``node.pids.used_ratio`` still points at the ``pid_max`` line and the thread count.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import datetime

from kubewhy.facts.nodes import NodeNames
from kubewhy.facts.store import FactStore
from kubewhy.model.entities import Entity, Kind
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.clocks import to_utc


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
        _add_once(store, "node.pids.used_ratio", node, round(used / limit[0], 6), evidence)
    for container, (threads, evidence) in per_container:
        share = round(threads / limit[0], 6)
        _add_once(store, "container.threads_share", container, share, evidence)


def _memory_facts(store: FactStore, node: Entity) -> None:
    total = _number(store, node, "node.memory.total_bytes")
    available = _number(store, node, "node.memory.available_bytes")
    if total and available and total[0] > 0:
        ratio = round(available[0] / total[0], 6)
        _add_once(store, "node.memory.available_ratio", node, ratio, available[1])
    stalls = [f for f in _facts_with_prefix(store, node, "node.vmstat.allocstall_")]
    if stalls:
        value = sum(f.value for f in stalls if isinstance(f.value, int | float))
        _add_once(store, "node.vmstat.allocstall", node, value, stalls[0].evidence)
    root = _number(store, node, "node.memcg.root_usage_bytes")
    if root and total and total[0] > 0:
        _add_once(store, "node.memcg.root_usage_ratio", node, round(root[0] / total[0], 4), root[1])
    num = _number(store, node, "node.memcg.num_cgroups")
    live = _number(store, node, "node.memcg.live_cgroups")
    if num and live:
        _add_once(store, "node.memcg.dying", node, int(max(num[0] - live[0], 0)), num[1])
    per_container = _number(store, node, "node.cgroups.per_container")
    if num and per_container and per_container[0] > 0:
        excess = int(max(num[0] - per_container[0], 0))
        _add_once(store, "node.memcg.excess", node, excess, num[1])
        ratio = round(num[0] / per_container[0], 4)
        _add_once(store, "node.memcg.excess_ratio", node, ratio, num[1])


def _tcp_memory_facts(store: FactStore, node: Entity) -> None:
    """net.ipv4.tcp_mem is three page counts (min pressure max); past the third the kernel
    refuses TCP memory ("TCP: out of memory -- consider tuning tcp_mem")."""
    fact = store.fact(node, "sysctl.net.ipv4.tcp_mem")
    if fact is None or not isinstance(fact.value, str):
        return
    values = fact.value.split()
    if len(values) != 3 or not all(v.isdigit() for v in values) or int(values[2]) <= 0:
        return
    most = int(values[2])
    _add_once(store, "node.tcp_mem.max_pages", node, most, fact.evidence)
    used = _number(store, node, "node.sockstat.tcp_mem_pages")
    if used is not None:
        _add_once(store, "node.tcp_mem.used_ratio", node, round(used[0] / most, 4), used[1])


def _rp_filter_facts(store: FactStore, node: Entity) -> None:
    """Reverse-path filtering as the kernel applies it: on each interface the larger of
    ``conf.all.rp_filter`` and the interface's own value (0 off, 1 strict, 2 loose). Without
    the ``all`` value no interface's effective value is known."""
    every = store.fact(node, "sysctl.net.ipv4.conf.all.rp_filter")
    if every is None or isinstance(every.value, bool) or not isinstance(every.value, int):
        return
    prefix, suffix = "sysctl.net.ipv4.conf.", ".rp_filter"
    own = {
        name.removeprefix(prefix).removesuffix(suffix): fact
        for name in store.own(node)
        if name.startswith(prefix)
        and name.endswith(suffix)
        and (fact := store.fact(node, name)) is not None
        and isinstance(fact.value, int)
    }
    interfaces = {i: f for i, f in own.items() if i not in ("all", "default", "lo")}
    strict = sorted(
        i
        for i, f in interfaces.items()
        if isinstance(f.value, int) and max(every.value, f.value) == 1
    )
    value = bool(strict) if interfaces else every.value == 1
    cited = every if every.value == 1 or not strict else interfaces[strict[0]]
    if store.fact(node, "node.rp_filter.strict") is None:
        store.add(Fact("node.rp_filter.strict", node, value, cited.evidence))
    # Strict with no interface listed: every interface inherits conf.all.
    named = ",".join(strict) if strict else ("all" if value else "")
    if named and store.fact(node, "node.rp_filter.strict_interfaces") is None:
        store.add(Fact("node.rp_filter.strict_interfaces", node, named, cited.evidence))


def _process_facts(store: FactStore, node: Entity) -> None:
    states = [
        f
        for p in store.on_node(node.name, Kind.PROCESS.value)
        if (f := store.fact(p, "process.state")) is not None
    ]
    zombies = [f for f in states if f.value == "Z"]
    if zombies:
        _add_once(store, "node.zombies.total", node, len(zombies), zombies[0].evidence)
    # The node agents' own memory, from a process listing: the component's, on this node.
    for process in store.on_node(node.name, Kind.PROCESS.value):
        component = NODE_AGENTS.get(process.name.rsplit("/", 1)[-1])
        rss = _number(store, process, "process.rss_bytes") if component else None
        if component and rss:
            agent = Entity.component(component, node.name)
            held = _number(store, agent, "component.rss_bytes")
            if held is None or rss[0] > held[0]:
                store.add(Fact("component.rss_bytes", agent, int(rss[0]), rss[1]))


# The programs of a node's agents, by the name a process listing shows, and their component.
NODE_AGENTS = {
    "kubelet": "kubelet",
    "containerd": "containerd",
    "dockerd": "docker",
    "crio": "crio",
    "kube-proxy": "kube-proxy",
}


def _summary(store: FactStore, example: Entity, names: list[str], text: str) -> Evidence:
    """Evidence for a total: its text, from the source of one of the facts counted."""
    fact = next((f for n in names if (f := store.fact(example, n)) is not None), None)
    source = fact.evidence.source if fact is not None and fact.evidence else "(derived)"
    return Evidence(source, None, None, text)


def _pod_facts(store: FactStore, node: Entity) -> None:
    """Pod totals of the node, over every listing of pods (a dump has one per namespace)."""
    # The pods some listing of pods says are there (an API object, a table, a describe): a
    # fact of their phase or node. Each one's own values are read once (a cluster dump has
    # thousands of nodes of dozens of pods).
    owned = [(p, store.own(p)) for p in store.on_node(node.name, Kind.POD.value)]
    listed = [(p, own) for p, own in owned if "pod.phase" in own or "pod.node" in own]
    if not listed:
        return
    pods = [p for p, _ in listed]
    phase = {p: own.get("pod.phase") for p, own in listed}
    pending = [p for p in pods if phase[p] == "Pending"]
    # Pending in the API while the runtime runs its containers: status updates are not arriving.
    stale = [p for p in pending if (_number(store, p, "pod.containers_running") or (0, None))[0]]
    creating = {
        (c.namespace, c.name.split("/", 1)[0])
        for c in store.on_node(node.name, Kind.CONTAINER.value)
        if "/" in c.name and store.value(c, "container.waiting_reason") == "ContainerCreating"
    }
    # CoreDNS by its deployment's pod names, as `kubectl describe node` lists them.
    dns = [p for p in pods if phase[p] == "Running" and p.name.startswith("coredns-")]
    counts = {
        "node.pods.count": len(pods),
        "node.pods.pending": len(pending),
        "node.pods.pending_with_running_containers": len(stale),
        "node.pods.waiting_container_creating": sum(
            (p.namespace, p.name) in creating for p in pods
        ),
        "node.coredns_pods": len(dns),
    }
    text = f"Node {node.name}: " + ", ".join(f"{k.split('.', 1)[1]}={v}" for k, v in counts.items())
    evidence = _summary(store, pods[0], ["pod.phase", "pod.node"], text)
    for name, value in counts.items():
        if name == "node.pods.pending_with_running_containers" and stale:
            running = store.fact(stale[0], "pod.containers_running")
            _add_once(store, name, node, value, running.evidence if running else evidence)
        else:
            _add_once(store, name, node, value, evidence)


def _cluster_counts(store: FactStore) -> None:
    cluster = Entity.cluster()
    for kind, names, name in (
        (Kind.POD.value, ["pod.phase", "pod.node"], "cluster.pods.count"),
        (Kind.NODE.value, ["node.ready", "node.kubelet_version"], "cluster.nodes.count"),
    ):
        found = store.holders(kind, names)
        if found:
            text = f"{len(found)} {kind}s in the evidence"
            _add_once(store, name, cluster, len(found), _summary(store, found[0], names, text))


# The worst instance speaks for a component: three kube-apiservers are one component, and an
# OOM kill on any master is the component's.
ACROSS_INSTANCES: dict[str, Callable[[list[Value]], Value]] = {
    "component.oom_killed": any,
    "component.restarts": max,
    "component.goroutines": max,
    "component.rss_bytes": max,
}


def _component_facts(store: FactStore) -> None:
    for name, combine in ACROSS_INSTANCES.items():
        for component in store.holders(Kind.COMPONENT.value, [name]):
            facts = store.facts(component, name)
            values = [f.value for f in facts]
            if len(facts) < 2 or any(not isinstance(v, int | float) for v in values):
                continue
            worst = combine(values)
            if facts[-1].value != worst:
                # Re-added last so that it is the value seen, citing the instance it came from.
                store.add(next(f for f in facts if f.value == worst))


def _worst_of_sources(store: FactStore, entity: Entity, name: str) -> None:
    """A count reported by several inputs (each events file counts its own Rebooted events):
    the largest wins, not the last read. Summing could count one event twice (an events table
    and a describe of the same node)."""
    facts = store.facts(entity, name)
    numbers = [
        f for f in facts if isinstance(f.value, int | float) and not isinstance(f.value, bool)
    ]
    if len(numbers) > 1:
        worst = max(numbers, key=lambda f: f.value)
        if worst is not facts[-1]:
            store.add(worst)


def _network_facts(store: FactStore, node: Entity) -> None:
    """Whether full-size packets fit the tunnel: the widest MTU that feeds it (the overlay
    device's, the pods' interfaces', the CNI's setting) plus the encapsulation's overhead,
    against the MTU of the interface the tunnel rides on."""
    view = store.view(node)
    overhead, uplink = view.get("node.net.overlay.overhead_bytes"), view.get("node.net.uplink.mtu")
    if not isinstance(overhead, int) or not isinstance(uplink, int):
        return
    feeding = [
        (value, name)
        for name in ("node.net.overlay.mtu", "node.net.pod_mtu", "cni.mtu")
        if isinstance(value := view.get(name), int) and not isinstance(value, bool)
    ]
    if not feeding:
        return
    widest, name = max(feeding)
    cited = store.evidence(node, [name])
    _add_once(
        store,
        "node.net.mtu_excess_bytes",
        node,
        widest + overhead - uplink,
        cited[0] if cited else None,
    )


def _loopback(server: str) -> bool:
    try:
        return ipaddress.ip_address(server.split("%", maxsplit=1)[0]).is_loopback
    except ValueError:
        return False


def _kubelet_resolv_conf(store: FactStore, node: Entity) -> None:
    """The name servers of the file the kubelet hands pods, where both the kubelet's resolvConf
    and that file were read (``resolvConf: ""`` hands them none)."""
    setting = store.fact(node, "kubelet.resolv_conf")
    if setting is None or not isinstance(setting.value, str):
        return
    if setting.value == "":
        _add_once(store, "node.kubelet_resolv_conf.nameserver_count", node, 0, setting.evidence)
        return
    # Imported here: a run that read no kubelet configuration never needs the module.
    from kubewhy.parsers.nodetools import resolv_conf_slug

    listed = store.fact(node, resolv_conf_slug(setting.value))
    if listed is None:
        return
    servers = [s for s in str(listed.value).split(",") if s]
    _add_once(
        store, "node.kubelet_resolv_conf.nameserver_count", node, len(servers), listed.evidence
    )
    if any(_loopback(s) for s in servers):
        store.add(Fact("node.kubelet_resolv_conf.loopback", node, True, listed.evidence))


def _cgroup_pid_facts(store: FactStore) -> None:
    """The share of a pids cgroup's budget in use, from its pids.current and pids.max read
    anywhere (``cat`` of the files, a listing of them): what "at its limit" is measured by."""
    for cgroup in store.holders(Kind.CGROUP.value, ["cgroup.pids.max"]):
        used, limit = (
            _number(store, cgroup, "cgroup.pids.current"),
            _number(store, cgroup, "cgroup.pids.max"),
        )
        if used is None or limit is None or limit[0] <= 0:
            continue
        _add_once(store, "cgroup.pids.used_ratio", cgroup, round(used[0] / limit[0], 4), used[1])


def _etcd_facts(store: FactStore) -> None:
    """The etcd cluster's size (its member list, else the endpoints etcdctl asked) and whether
    its unhealthy members leave a majority."""
    cluster = Entity.cluster()
    members = _number(store, cluster, "etcd.members")
    endpoints = _number(store, cluster, "etcd.endpoints")
    unhealthy = _number(store, cluster, "etcd.endpoints_unhealthy")
    sizes = [x for x in (members, endpoints) if x is not None]
    if not sizes:
        return
    size, evidence = max(sizes, key=lambda x: x[0])
    _add_once(store, "etcd.cluster_size", cluster, int(size), evidence)
    if unhealthy is not None:
        kept = unhealthy[0] * 2 < size
        if store.fact(cluster, "etcd.quorum_kept") is None:
            store.add(Fact("etcd.quorum_kept", cluster, kept, unhealthy[1]))


# The kernel's default fs.inotify.max_user_instances (fs/notify/inotify/inotify_user.c sets
# init_user_ns's UCOUNT_INOTIFY_INSTANCES to 128), what a node has unless someone raised it.
DEFAULT_INOTIFY_INSTANCES = 128


def _inotify_facts(store: FactStore, node: Entity) -> None:
    """Shares of the per-user inotify instance limit that a listing of holders shows in use, and
    that its largest single process holds (the limit read on the node, else the kernel's
    default)."""
    limit = _number(store, node, "sysctl.fs.inotify.max_user_instances")
    most = limit[0] if limit is not None and limit[0] > 0 else DEFAULT_INOTIFY_INSTANCES
    for count, share in (
        ("node.inotify.instances", "node.inotify.instances_used_ratio"),
        ("node.inotify.top_process_instances", "node.inotify.top_process_share"),
    ):
        used = _number(store, node, count)
        if used is not None:
            _add_once(store, share, node, round(used[0] / most, 4), used[1])


_CLOCKS = ("node.clock.system_time", "node.clock.hardware_time", "node.clock.remote_time")


def _clock_facts(store: FactStore, node: Entity) -> None:
    """The most two clocks read at one prompt disagree by (the node's own, its hardware clock,
    another machine's through ssh): read seconds apart, any difference of minutes is skew.
    Times are compared in UTC where their zones say how, else only within one zone's name."""
    read = [fact for name in _CLOCKS if (fact := store.fact(node, name)) is not None]
    worst: tuple[float, Evidence | None] | None = None
    for at, first in enumerate(read):
        for second in read[at + 1 :]:
            apart = _seconds_apart(str(first.value), str(second.value))
            if apart is not None and (worst is None or apart > worst[0]):
                worst = (apart, second.evidence)
    if worst is not None:
        _add_once(store, "node.clock.skew_seconds", node, int(worst[0]), worst[1])


def _seconds_apart(first: str, second: str) -> float | None:
    utc = to_utc(first), to_utc(second)
    if utc[0] is not None and utc[1] is not None:
        return abs((utc[0] - utc[1]).total_seconds())
    (one, zone), (other, other_zone) = first.split(" ", 1), second.split(" ", 1)
    if zone != other_zone or zone == "?":
        return None
    return abs((datetime.fromisoformat(one) - datetime.fromisoformat(other)).total_seconds())


def _derive_node(store: FactStore, node: Entity) -> None:
    _network_facts(store, node)
    _kubelet_resolv_conf(store, node)
    _worst_of_sources(store, node, "node.reboots")
    _pod_facts(store, node)
    _pid_facts(store, node)
    _memory_facts(store, node)
    _tcp_memory_facts(store, node)
    _inotify_facts(store, node)
    _clock_facts(store, node)
    _process_facts(store, node)
    _rp_filter_facts(store, node)


def _facts_with_prefix(store: FactStore, entity: Entity, prefix: str) -> list[Fact]:
    return [
        fact
        for name in store.own(entity)
        if name.startswith(prefix) and (fact := store.fact(entity, name)) is not None
    ]


def _machine_id_facts(store: FactStore) -> None:
    """How many nodes report the same machine ID at most: it names one installed system, so
    two nodes with one ID are one image cloned without a new ID (or a kubelet reading a
    machine-id file baked into its own image)."""
    by_id: dict[str, list[Entity]] = {}
    for node in store.holders(Kind.NODE.value, ["node.machine_id"]):
        machine_id = str(store.value(node, "node.machine_id") or "").strip()
        if machine_id:
            by_id.setdefault(machine_id, []).append(node)
    if not by_id:
        return
    machine_id, shared = max(by_id.items(), key=lambda item: len(item[1]))
    names = ", ".join(node.name for node in shared[:5])
    text = f"{len(shared)} node(s) report machine ID {machine_id}: {names}"
    evidence = _summary(store, shared[0], ["node.machine_id"], text)
    _add_once(store, "cluster.nodes_sharing_machine_id", Entity.cluster(), len(shared), evidence)


def derive_facts(store: FactStore, nodes: NodeNames) -> None:
    _worst_of_sources(store, Entity.cluster(), "cluster.reboots")
    for name in nodes.known():
        store.add_entity(Entity.for_node(name))
    _component_facts(store)
    for node in store.entities(Kind.NODE.value):
        _derive_node(store, node)
    _cluster_counts(store)
    _machine_id_facts(store)
    _etcd_facts(store)
    _cgroup_pid_facts(store)
