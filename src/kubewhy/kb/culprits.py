"""Culprit finders: name the entity behind a cause (the leaking container, the reaping-less PID 1).

A finder gets what the evidence shows (:class:`~kubewhy.kb.checks.Observed`) and the subject of
a finding, and returns the culprit with the evidence that names it, or None when the evidence
does not say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kubewhy.facts.kernel import DESCRIBED
from kubewhy.facts.store import FactStore
from kubewhy.kb.checks import (
    Observed,
    dumps_of,
    leak_sites,
    lock_queues,
    queues_of,
    quoted_waits,
    slow_pulls,
    stuck_quick_calls,
)
from kubewhy.model.entities import UNKNOWN_NODE, Entity, Kind
from kubewhy.model.evidence import Evidence


@dataclass(frozen=True)
class Culprit:
    entity: Entity
    why: str
    evidence: list[Evidence]


Finder = Callable[[Observed, Entity], Culprit | None]
CULPRIT_FINDERS: dict[str, Finder] = {}


def finder(fn: Finder) -> Finder:
    CULPRIT_FINDERS[fn.__name__] = fn
    return fn


def _numeric(store: FactStore, entity: Entity, name: str) -> float | None:
    value = store.value(entity, name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _scope_entities(store: FactStore, subject: Entity, kind: str) -> list[Entity]:
    """Entities of ``kind`` where the subject is: on its node, in its cgroup, or anywhere."""
    if subject.kind == Kind.CGROUP.value:
        # A process is in the cgroup by its own path, or by the OOM report that listed it
        # among the tasks of the cgroup over its limit.
        inside = [
            e
            for e in store.entities(kind)
            if any(
                str(store.value(e, name) or "").startswith(subject.name)
                for name in ("process.cgroup", "process.oom_memcg")
            )
        ]
        return inside
    node = subject.on_node()
    if node is not None and node.name != UNKNOWN_NODE:
        return store.on_node(node.name, kind)
    return store.entities(kind)


@finder
def top_thread_owner(seen: Observed, subject: Entity) -> Culprit | None:
    """The container, else the process, that owns the most threads where the subject is."""
    store = seen.store
    if subject.kind == Kind.CONTAINER.value:
        candidates = [subject]
    else:
        candidates = _scope_entities(store, subject, Kind.CONTAINER.value)
    best = max(
        ((c, t) for c in candidates if (t := _numeric(store, c, "container.threads")) is not None),
        key=lambda ct: ct[1],
        default=None,
    )
    if best is None:
        procs = _scope_entities(store, subject, Kind.PROCESS.value)
        best = max(
            ((p, t) for p in procs if (t := _numeric(store, p, "process.threads")) is not None),
            key=lambda pt: pt[1],
            default=None,
        )
        name = "process.threads"
    else:
        name = "container.threads"
    if best is None:
        return None
    entity, threads = best
    node = entity.on_node()
    limit = _numeric(store, node, "node.pids.limit") if node else None
    share = f" = {threads / limit:.0%} of the node's PID limit {int(limit)}" if limit else ""
    evidence = store.evidence(entity, [name])
    return Culprit(entity, f"{int(threads)} threads{share}", evidence)


@finder
def zombie_parent(seen: Observed, subject: Entity) -> Culprit | None:
    """The process with the most zombie children: it does not reap them."""
    store = seen.store
    procs = _scope_entities(store, subject, Kind.PROCESS.value)
    best = max(
        (
            (p, z)
            for p in procs
            if (z := _numeric(store, p, "process.zombie_children")) is not None and z > 0
        ),
        key=lambda pz: pz[1],
        default=None,
    )
    if best is None:
        return _zombies_sampled(seen, subject)
    entity, zombies = best
    init = store.value(entity, "process.is_container_init")
    role = "PID 1 of its container, not an init: " if init else ""
    command = store.value(entity, "process.zombie_command")
    ran = f"; they ran {command}" if isinstance(command, str) and command else ""
    evidence = store.evidence(entity, ["process.zombie_children"])
    return Culprit(entity, f"{role}{int(zombies)} <defunct> children it never reaps{ran}", evidence)


def _zombies_sampled(seen: Observed, subject: Entity) -> Culprit | None:
    """Without their parent in the listing, the command the zombies ran: the job whose exits
    nobody waits for (its parent runs it)."""
    found = _program_on_node(seen, subject, "node.zombies.sampled_command", "node.zombies.sampled")
    if found is None:
        return None
    command, count, evidence = found
    why = f"{int(count)} <defunct> {command} processes: what runs {command} never reaps it"
    return Culprit(Entity.component(command), why, evidence)


def _program_on_node(
    seen: Observed, subject: Entity, program: str, measure: str
) -> tuple[str, float, list[Evidence]] | None:
    """A program a node fact names (with the figure that goes with it), on the subject's node
    first, else on any node: what a listing or profile of one node says about one program."""
    store = seen.store
    node = subject.on_node()
    for where in (*([node] if node else []), *store.entities(Kind.NODE.value)):
        name = store.value(where, program)
        figure = _numeric(store, where, measure)
        if isinstance(name, str) and name and figure is not None:
            evidence = store.evidence(where, [program])
            return name, figure, evidence
    return None


def _process_with_most(
    seen: Observed, subject: Entity, measure: str
) -> tuple[Entity, float] | None:
    """The process where the subject is with the largest value of ``measure``."""
    store = seen.store
    procs = _scope_entities(store, subject, Kind.PROCESS.value)
    return max(
        ((p, v) for p in procs if (v := _numeric(store, p, measure)) is not None),
        key=lambda pv: pv[1],
        default=None,
    )


@finder
def most_open_descriptors(seen: Observed, subject: Entity) -> Culprit | None:
    """The process a count of /proc/PID/fd shows holding the most descriptors."""
    best = _process_with_most(seen, subject, "process.open_fds")
    if best is None:
        return None
    entity, count = best
    why = f"holds {int(count)} open file descriptors"
    return Culprit(entity, why, seen.store.evidence(entity, ["process.open_fds"]))


@finder
def top_inotify_holder(seen: Observed, subject: Entity) -> Culprit | None:
    """The process (or program) a listing of inotify holders shows with the most instances."""
    found = _program_on_node(
        seen, subject, "node.inotify.top_holder", "node.inotify.top_holder_instances"
    )
    if found is None:
        return None
    program, instances, evidence = found
    store, node = seen.store, subject.on_node()
    if node is None:
        return None
    listed = _numeric(store, node, "node.inotify.instances")
    used = _numeric(store, node, "node.inotify.instances_used_ratio") or 0.0
    hoards = _numeric(store, node, "node.inotify.top_process_share") or 0.0
    if (listed and instances < listed / 4) or (used < 0.4 and hoards < 0.25):
        # The most of many small holders is no culprit, and neither is a holder of instances
        # when instances did not run short (out of watches, who holds instances says nothing).
        return None
    why = f"holds {int(instances)} inotify instances, the most in the listing"
    return Culprit(Entity.component(program), why, evidence)


@finder
def top_memory_process(seen: Observed, subject: Entity) -> Culprit | None:
    store = seen.store
    best = _process_with_most(seen, subject, "process.rss_bytes")
    if best is None:
        return None
    entity, rss = best
    evidence = store.evidence(entity, ["process.rss_bytes"])
    size = f"{rss / (1 << 30):.1f} GiB" if rss >= 1 << 30 else f"{rss / (1 << 20):.0f} MiB"
    why = f"largest resident memory: {size}"
    if store.value(entity, "process.oom_killed"):
        why += "; the OOM killer's victim"
    return Culprit(entity, why, evidence)


@finder
def oom_killed_container(seen: Observed, subject: Entity) -> Culprit | None:
    """The container whose last termination was an OOM kill, where the subject is; else, when
    the lines that said so named no pod, the one pod the evidence describes (a describe of one
    pod pasted beside its container's state)."""
    store = seen.store
    if subject.kind in (Kind.POD.value, Kind.CONTAINER.value):
        return None  # the finding is already about the pod
    killed = [
        e
        for e in _scope_entities(store, subject, Kind.CONTAINER.value)
        if store.value(e, "container.last_terminated_reason") == "OOMKilled"
    ]
    if killed:
        entity = killed[0]
        evidence = store.evidence(entity, ["container.last_terminated_reason"])
        return Culprit(entity, "its last termination was an OOM kill", evidence)
    pods = store.entities(Kind.POD.value)
    if len(pods) != 1:
        return None
    evidence = store.evidence(pods[0], ["pod.node", "pod.phase"])
    return Culprit(pods[0], "the one pod the evidence describes", evidence)


@finder
def host_firewall_owner(seen: Observed, subject: Entity) -> Culprit | None:
    """What keeps the node's firewall shut: the firewall manager the evidence shows active, else
    dockerd when the FORWARD policy it sets (1.13+) drops pods beside its own rules, else the
    node's iptables rules themselves."""
    store = seen.store
    node = subject.on_node()
    nodes = [node] if node is not None and node.name != UNKNOWN_NODE else []
    nodes = nodes or store.entities(Kind.NODE.value)
    for where in nodes:
        tool = store.value(where, "node.firewall.tool")
        if isinstance(tool, str) and store.value(where, "node.firewall.active") is not False:
            why = f"the host firewall ({tool}) is active on the node"
            evidence = store.evidence(where, ["node.firewall.tool", "node.firewall.active"])
            return Culprit(Entity.component(tool, _named(where)), why, evidence)
    for where in nodes:
        names = ["node.iptables.forward_drops_pod_traffic", "node.iptables.forward_rules_of_docker"]
        if store.value(where, names[0]) is not True:
            continue
        if store.value(where, names[1]) is True:
            why = (
                "dockerd (1.13 and later) sets the FORWARD policy to DROP when it starts and "
                "admits only its own bridge; its rules are listed beside the policy"
            )
            return Culprit(
                Entity.component("dockerd", _named(where)), why, store.evidence(where, names)
            )
        why = "the node's iptables FORWARD policy is DROP and no rule admits pod traffic"
        evidence = store.evidence(where, names[:1])
        return Culprit(Entity.component("iptables", _named(where)), why, evidence)
    for where in nodes:
        if store.value(where, "node.iptables.catch_all_reject"):
            why = "a catch-all REJECT in the node's own iptables rules (its iptables service)"
            evidence = store.evidence(where, ["node.iptables.catch_all_reject"])
            return Culprit(Entity.component("iptables", _named(where)), why, evidence)
    return None


def _named(node: Entity) -> str | None:
    return node.name if node.name != UNKNOWN_NODE else None


def _stuck_task(seen: Observed, subject: Entity, name: str, how: str, where: str) -> Culprit | None:
    """The task the kernel reported stuck the longest where the subject is, and what its
    kernel stack waits in."""
    store = seen.store
    procs = _scope_entities(store, subject, Kind.PROCESS.value)
    stuck = [(p, s) for p in procs if (s := _numeric(store, p, name)) is not None]
    if not stuck:
        return None
    # a report with a stack says more than one without; then the longest
    entity, seconds = max(
        stuck, key=lambda ps: (store.value(ps[0], "process.kernel_stack") is not None, ps[1])
    )
    why = f"{how} {int(seconds)} s" if seconds else how
    stack = store.value(entity, "process.kernel_stack")
    if isinstance(stack, str) and stack:
        why += f"; its kernel stack: {stack}"
    mechanism = store.value(entity, "process.waits_in")
    if isinstance(mechanism, str) and mechanism in DESCRIBED:
        why += f"; {where} {DESCRIBED[mechanism]}"
    evidence = store.evidence(entity, [name])
    return Culprit(entity, why, evidence)


@finder
def blocked_task(seen: Observed, subject: Entity) -> Culprit | None:
    """The task the hung-task detector reported blocked, and where its stack waits."""
    return _stuck_task(
        seen, subject, "process.blocked_seconds", "blocked in D state", "it waits on"
    )


@finder
def spinning_task(seen: Observed, subject: Entity) -> Culprit | None:
    """The task a soft lockup caught spinning on its CPU, and where."""
    return _stuck_task(seen, subject, "process.lockup_seconds", "held its CPU", "it spins in")


@finder
def lock_holder_goroutine(seen: Observed, subject: Entity) -> Culprit | None:
    """The goroutine that holds the lock the most goroutines wait for, in the dumps where the
    subject is: a queue behind a held lock first, else any convoy with a likely holder."""
    held = [q for q in lock_queues(seen, subject) if q.holder is not None]
    queue = held[0] if held else None
    if queue is None:
        queues = [q for d in dumps_of(seen, subject) for q in queues_of(d) if q.holder is not None]
        queue = max(queues, key=lambda q: q.waiters, default=None)
    if queue is None or queue.holder is None:
        # No queue in the dump: the goroutine stuck in a call that returns at once holds what
        # it took before the call; else the program whose quoted goroutine waits for a lock.
        return _stuck_call_holder(seen, subject) or _quoted_lock_holder(seen, subject)
    holder = queue.holder
    inside = holder.inside()
    why = (
        f"{holder.describe()}{inside}{',' if inside else ''} holds the lock that "
        f"{queue.waiters} goroutines wait for in {queue.functions()}{holder.waiting_for()}"
    )
    return Culprit(queue.dump.entity, why, [])


def _stuck_call_holder(seen: Observed, subject: Entity) -> Culprit | None:
    stuck = stuck_quick_calls(seen, subject)
    if not stuck:
        return None
    first = stuck[0]
    why = (
        f"{first.function} has been {first.minutes} minutes in {first.call}, a call that "
        "returns at once on a healthy node; what it holds is held as long"
    )
    return Culprit(first.dump.entity, why, [])


def _quoted_lock_holder(seen: Observed, subject: Entity) -> Culprit | None:
    quoted = quoted_waits(seen, subject, "lock")
    if not quoted:
        return None
    why = "the goroutine quoted from its dump waits to take a mutex that is held in it"
    return Culprit(quoted[0].dump.entity, why, [])


@finder
def runtime_a_quoted_goroutine_waits_on(seen: Observed, subject: Entity) -> Culprit | None:
    """The runtime whose reply a goroutine quoted from the caller's dump waits for."""
    waiting = quoted_waits(seen, subject, "runtime")
    if not waiting:
        return None
    first, callee = waiting[0], waiting[0].wait.callee
    assert callee is not None  # a runtime wait always names its callee
    why = f"{first.dump.entity.name}'s quoted goroutine waits for its reply"
    return Culprit(Entity.component(callee, first.dump.entity.node), why, [])


@finder
def leaking_goroutine_site(seen: Observed, subject: Entity) -> Culprit | None:
    """The component whose dump shows the biggest goroutine pile-up, and where: the function
    and its file and line. Without a pile-up, the biggest leak any dump shows."""
    sites = leak_sites(seen, subject)
    if sites:
        dump, leak = sites[0].dump, sites[0].leak
    else:
        found = [(d, leak) for d in dumps_of(seen, subject) for leak in d.report.leaks[:1]]
        if not found:
            return None
        dump, leak = max(found, key=lambda dl: dl[1].count)
    waited = f" for up to {leak.max_wait_minutes} minutes" if leak.max_wait_minutes else ""
    why = f"{leak.count} goroutines blocked [{leak.state}] at {leak.site}{waited}"
    return Culprit(dump.entity, why, [])


@finder
def slow_pull_pod(seen: Observed, subject: Entity) -> Culprit | None:
    """The pod whose minutes-long image pull holds kubelet's serial pull queue."""
    return _slowest_pull(seen, subject, " and held the pull queue")


def _slowest_pull(seen: Observed, subject: Entity, consequence: str = "") -> Culprit | None:
    pulls = slow_pulls(seen, subject)
    if not pulls:
        return None
    slow = max(pulls, key=lambda p: p.seconds)
    why = f"its pull of {slow.image} took {slow.seconds / 60:.0f} minutes{consequence}"
    return Culprit(slow.entity, why, slow.evidence)


@finder
def slowest_pull(seen: Observed, subject: Entity) -> Culprit | None:
    """The pod whose image pull took longest, minutes at least."""
    return _slowest_pull(seen, subject)


@finder
def top_audit_lister(seen: Observed, subject: Entity) -> Culprit | None:
    """The client the API server's audit log shows sending the most LISTs, with its share, its
    rate and the user it authenticates as."""
    store = seen.store
    cluster = Entity.cluster()
    name = store.value(cluster, "apiserver.audit.top_lister")
    share = _numeric(store, cluster, "apiserver.audit.top_lister_share")
    rate = _numeric(store, cluster, "apiserver.audit.top_lister_lists_per_second")
    lists = _numeric(store, cluster, "apiserver.audit.lists")
    if not isinstance(name, str) or share is None or rate is None or lists is None:
        return _top_counted_agent(seen)
    user = store.value(cluster, "apiserver.audit.top_lister_user")
    who = f" as {user}" if user else ""
    why = f"{share:.0%} of the {int(lists)} LISTs in the audit log ({rate:.2g}/s){who}"
    evidence = store.evidence(cluster, ["apiserver.audit.top_lister"])
    return Culprit(Entity.component(name), why, evidence)


def _top_counted_agent(seen: Observed) -> Culprit | None:
    """The client a count of requests by user agent puts first, with its share."""
    store = seen.store
    cluster = Entity.cluster()
    name = store.value(cluster, "apiserver.requests_by_agent.top")
    count = _numeric(store, cluster, "apiserver.requests_by_agent.top_count")
    share = _numeric(store, cluster, "apiserver.requests_by_agent.top_share")
    lists = _numeric(store, cluster, "apiserver.requests_by_agent.top_collection_lists")
    if not isinstance(name, str) or count is None or (share is None and not lists):
        return None
    if share is not None:
        why = f"{share:.0%} of the requests counted by user agent ({int(count)})"
    else:  # one client's own requests counted: how many listed whole collections
        why = f"{int(lists or 0)} of its {int(count)} requests counted listed whole collections"
    evidence = store.evidence(cluster, ["apiserver.requests_by_agent.top"])
    return Culprit(Entity.component(name), why, evidence)


@finder
def perf_memcg_reader(seen: Observed, subject: Entity) -> Culprit | None:
    """The program a perf profile shows iterating memory cgroups (memcg_stat_show and the like):
    what pays for the dying cgroups, and where the CPU goes."""
    found = _program_on_node(
        seen, subject, "node.perf.memcg_iteration_command", "node.perf.memcg_iteration_percent"
    )
    if found is None:
        return None
    command, share, evidence = found
    why = f"{share:.0f}% of its CPU samples iterate memory cgroups (memcg_stat_show)"
    return Culprit(Entity.component(command), why, evidence)


# Ports a host-port-conflict symptom implies without printing them (BIRD's BGP port).
_IMPLIED_PORTS = {"bird-no-listening-socket": "179"}


@finder
def port_holder(seen: Observed, subject: Entity) -> Culprit | None:
    """The program a socket listing shows on the port a component could not bind."""
    store = seen.store
    nodes = [subject.on_node() or subject, *store.entities(Kind.NODE.value)]
    for hit in seen.hits:
        if hit.failure_mode != "host-port-conflict":
            continue
        port = hit.groups.get("port") or _IMPLIED_PORTS.get(hit.symptom)
        if not port:
            continue
        for node in nodes:
            program = store.value(node, f"node.listener.{port}")
            if isinstance(program, str):
                why = f"listens on port {port}, which the failing component needs"
                evidence = store.evidence(node, [f"node.listener.{port}"])
                return Culprit(Entity.component(program, node.name), why, evidence)
    return None
