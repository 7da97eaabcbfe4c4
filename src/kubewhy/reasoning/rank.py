"""Causal links between hypotheses, and the ranking of root causes.

A hypothesis *explains* another when its failure mode lists the other among its effects
(``causes:``) and both are about the same place (the same node, or one of them is cluster-wide
or on an unknown node). A root cause is a hypothesis that nothing active explains. Where links
form a cycle (apiserver memory starves a stacked etcd, etcd errors grow the apiserver leak), the
member with the strongest own evidence is the root of that cycle.

Roots rank by their own confidence plus a share of what they explain: the hypothesis that
explains the most evidence with the strongest, most specific signals comes first. Victims
follow, each marked with what explains it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from kubewhy.kb.schema import Link, Scope
from kubewhy.model.components import (
    KNOWN_COMPONENTS,
    of_journal_identifier,
    of_pod_name,
    roles_of,
)
from kubewhy.model.entities import UNKNOWN_NODE, Entity, Kind
from kubewhy.reasoning.match import Hypothesis

EXPLAIN_BONUS = 0.25
# Among unrelated roots, one that breaks a whole node, the control plane or the cluster comes
# before one that breaks a single pod or container, when their evidence is about as strong.
BREADTH_BONUS = 0.1
BROAD = frozenset({Scope.NODE, Scope.CLUSTER, Scope.COMPONENT})
CLOCK_SLACK = timedelta(minutes=10)


def _node_of(entity: Entity) -> str | None:
    if _wildcard(entity):
        return None
    node = entity.on_node()
    if node is None or node.name == UNKNOWN_NODE:
        return None
    return node.name


@dataclass(frozen=True)
class Places:
    """Which hypotheses are about the same place. A finding on an unnamed node (a pasted log
    with no host) may be about the node where the other finding is, but not when that failure
    mode is found on several named nodes: then which one it is about is unknown, and a finding
    from one machine must not explain, or be explained by, another machine's."""

    nodes_of_mode: dict[str, frozenset[str]]

    @staticmethod
    def of(hyps: Sequence[Hypothesis]) -> Places:
        found: dict[str, set[str]] = {}
        for h in hyps:
            node = _node_of(h.subject)
            if node is not None:
                found.setdefault(h.fm.id, set()).add(node)
        return Places({mode: frozenset(nodes) for mode, nodes in found.items()})

    def same(self, a: Hypothesis, b: Hypothesis) -> bool:
        if _wildcard(a.subject) or _wildcard(b.subject):
            return True
        na, nb = _node_of(a.subject), _node_of(b.subject)
        if na is not None and nb is not None:
            return na == nb
        if na is None and nb is None:
            return True
        named = a if na is not None else b
        return len(self.nodes_of_mode.get(named.fm.id, frozenset())) <= 1


def _pod_of(entity: Entity) -> tuple[str | None, str, str] | None:
    """The namespace, pod and container ("" for a pod) of a pod or container entity (a
    container is named "<pod>/<container>"); None for other entities."""
    if entity.kind == Kind.POD.value:
        return entity.namespace, entity.name, ""
    if entity.kind == Kind.CONTAINER.value and "/" in entity.name:
        pod, _, container = entity.name.partition("/")
        return entity.namespace, pod, container
    return None


def _same_workload(a: Entity, b: Entity) -> bool:
    """A pod and its containers are one workload."""
    pod = _pod_of(a)
    other = _pod_of(b)
    return pod is not None and other is not None and pod[:2] == other[:2]


def _wildcard(entity: Entity) -> bool:
    # A component is one entity across its instances (every master's apiserver), the cluster is
    # everywhere: both link with findings on any node.
    return entity.kind in (Kind.CLUSTER.value, Kind.COMPONENT.value)


def components_of(h: Hypothesis) -> set[str]:
    """The components a hypothesis is about: its subject's (a component, a control-plane pod or
    its container, a process by its name) and the names its lines blame (the OOM killer's
    victim)."""
    subject = h.subject
    names: set[str] = set()
    if subject.kind == Kind.COMPONENT.value:
        names.add(subject.name)
    elif subject.kind == Kind.POD.value:
        names.add(of_pod_name(subject.name) or "")
    elif subject.kind == Kind.CONTAINER.value:
        pod, _, container = subject.name.rpartition("/")
        names.update((of_pod_name(pod) or "", container))
    elif subject.kind == Kind.PROCESS.value:
        names.add(of_journal_identifier(subject.name))
    for matched in h.matched.values():
        if not matched.refutes:
            names.update(of_journal_identifier(name) for name in matched.blamed)
    names.discard("")
    return {role for name in names for role in roles_of(name)}


def link_holds(link: Link, cause: Hypothesis, effect: Hypothesis) -> bool:
    """A link's conditions on components, for a cause and an effect found (see ``Link``)."""
    if link.from_components and not components_of(cause) & set(link.from_components):
        return False
    if link.same_workload and not _one_workload(cause, effect):
        return False
    return not link.same_component or bool(components_of(cause) & components_of(effect))


def _one_workload(cause: Hypothesis, effect: Hypothesis) -> bool:
    """The effect is about the cause's pod, or about a pod or container named after a program the
    cause is about (a process's name, a victim its lines name). Where neither names a workload
    (a node's finding), nothing says they differ."""
    if _same_workload(cause.subject, effect.subject):
        return True
    workloads = (Kind.POD.value, Kind.CONTAINER.value, Kind.PROCESS.value)
    if cause.subject.kind not in workloads or effect.subject.kind not in workloads:
        return True
    programs = {n for n in components_of(cause) | {cause.subject.name} if n}
    named = effect.subject.name.replace("/", "-").split("-")
    return any(p in named or effect.subject.name.startswith(p) for p in programs)


def link_could_hold(link: Link, effect: Hypothesis) -> bool:
    """Whether a link's cause, not found yet, could explain ``effect``: worth asking for only
    when the effect is about a component the condition names, or, for a link to the cause's
    own component, about a component at all."""
    names = components_of(effect)
    if link.from_components:
        return bool(names & set(link.from_components))
    if link.same_component:
        return bool(names & KNOWN_COMPONENTS)
    return True


def _sources(h: Hypothesis) -> set[str]:
    return {ev.source for m in h.matched.values() if not m.refutes for ev in m.evidence}


def replaces(specific: Hypothesis, general: Hypothesis) -> bool:
    """Whether a special failure mode found on ``specific``'s subject replaces the general one
    found on ``general``'s: the same place (where both are components, the same component; a
    component found on a node is on that node), and the same evidence, a source in common (the
    known bug's signature in the very dump whose leak the general one saw; an OOM kill in the
    logs says nothing of the dump's other leak). A special mode that is only a lead does not
    replace a finding of the general one: the finding would turn into a lead."""
    if specific.tier == "lead" and general.tier != "lead":
        return False
    a, b = specific.subject, general.subject
    if a.kind == b.kind == Kind.COMPONENT.value:
        place = a.name == b.name
    else:
        na, nb = (e.node if e.kind == Kind.COMPONENT.value else _node_of(e) for e in (a, b))
        known = [n for n in (na, nb) if n is not None and n != UNKNOWN_NODE]
        place = len(known) < 2 or known[0] == known[1]
    return place and bool(_sources(specific) & _sources(general))


@dataclass
class Ranked:
    hypothesis: Hypothesis
    score: float
    explains: list[Hypothesis] = field(default_factory=list)
    explained_by: Hypothesis | None = None
    why: str = ""


def in_time(cause: Hypothesis, effect: Hypothesis) -> bool:
    """A cause does not begin after its effect has ended (a remediation attempt after the
    incident is not its root). Unknown times do not rule a link out; clocks of different
    sources get some slack."""
    start, end = cause.first_seen, effect.last_seen
    return start is None or end is None or start <= end + CLOCK_SLACK


def _edges(hyps: Sequence[Hypothesis], places: Places) -> dict[int, list[int]]:
    by_mode: dict[str, list[int]] = {}
    for j, effect in enumerate(hyps):
        by_mode.setdefault(effect.fm.id, []).append(j)
    edges: dict[int, list[int]] = {i: [] for i in range(len(hyps))}
    for i, cause in enumerate(hyps):
        if cause.tier == "lead" and not names_usual_cause(cause):
            continue  # a lead is a question, not an explanation of stronger findings
        links = _causes_links(cause)
        candidates = sorted(j for mode in links for j in by_mode.get(mode, ()))
        # A lead that names the usual cause of what it saw explains that finding only, on
        # the workload its sign is about.
        usual = cause.tier == "lead"
        for j in candidates:
            if usual and not _same_workload(cause.subject, hyps[j].subject):
                continue
            if i != j and _explains(cause, hyps[j], links[hyps[j].fm.id], places):
                edges[i].append(j)
    return edges


def names_usual_cause(lead: Hypothesis) -> bool:
    """A lead whose only signs are an effect of its mode seen where the mode documents that
    effect as its own (CoreDNS pods crash-looping: the loop plugin's exit): not evidence that
    raises it, but the usual explanation of that very finding, which a person reading it names
    first and asks to confirm, rather than reporting the symptom alone."""
    return (
        lead.tier == "lead"
        and lead.has_primary()
        and not lead.has_primary(own=True)
        and not any(m.refutes and m.evidence for m in lead.matched.values())
    )


def _causes_links(cause: Hypothesis) -> dict[str, Link]:
    return {link.failure_mode: link for link in cause.fm.causes if link.kind == "causes"}


def _explains(cause: Hypothesis, effect: Hypothesis, link: Link, places: Places) -> bool:
    """``link`` from the cause's mode holds for this pair: one place, the cause not after the
    effect, and the link's conditions on components and workloads."""
    return places.same(cause, effect) and in_time(cause, effect) and link_holds(link, cause, effect)


def promote_explaining_leads(hyps: Sequence[Hypothesis], places: Places) -> dict[int, str]:
    """Raise to its threshold a lead that would explain a finding seen on the same place: a
    latent condition beside the very consequence it produces is a probable cause, as a person
    reading both would conclude (a billion open files allowed, and the pod OOM-killed at start).
    Only a lead with a sign of its own and none against it, and only through a link that holds
    for the pair. Returns what was raised, by ``id()`` of the hypothesis, with the reason for its
    ranking note."""
    found = [h for h in hyps if h.tier != "lead"]
    raised: dict[int, str] = {}
    for cause in hyps:
        if cause.tier != "lead" or not cause.has_primary(own=True):
            continue
        if any(m.refutes and m.evidence for m in cause.matched.values()):
            continue  # the evidence speaks against it: a question still, not a cause
        links = _causes_links(cause)
        explained = sorted(
            {
                effect.fm.id
                for effect in found
                if effect.fm.id in links and _explains(cause, effect, links[effect.fm.id], places)
            }
        )
        if explained:
            cause.confidence = round(max(cause.confidence, cause.fm.threshold), 3)
            raised[id(cause)] = f"a lead raised: it would explain {', '.join(explained)}, seen here"
    return raised


def _reachable(edges: dict[int, list[int]], start: int) -> set[int]:
    seen: set[int] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        for nxt in edges[node]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    seen.discard(start)
    return seen


def drop_subsumed(hyps: Sequence[Hypothesis], places: Places) -> list[Hypothesis]:
    """Drop general hypotheses that a more specific one found on the same place replaces."""
    subsumers: dict[str, list[Hypothesis]] = {}
    for other in hyps:
        for mode in other.fm.subsumes:
            subsumers.setdefault(mode, []).append(other)
    return [h for h in hyps if not any(replaces(other, h) for other in subsumers.get(h.fm.id, ()))]


def drop_repeated_leads(hyps: Sequence[Hypothesis], places: Places) -> list[Hypothesis]:
    """A lead of a failure mode already found at the same place adds nothing but noise."""
    found = [h for h in hyps if h.tier != "lead"]
    return [
        h
        for h in hyps
        if h.tier != "lead" or not any(f.fm.id == h.fm.id and places.same(f, h) for f in found)
    ]


def fold_repeated_past(hyps: Sequence[Hypothesis]) -> list[Hypothesis]:
    """Past findings of one failure mode on one node (an OOM kill in each of twenty cgroups
    that are gone now) are one piece of history: the latest stands for all, and counts them."""
    latest: dict[tuple[str, str | None], Hypothesis] = {}
    count: dict[tuple[str, str | None], int] = {}
    for h in hyps:
        if h.state != "past":
            continue
        key = (h.fm.id, _node_of(h.subject))
        count[key] = count.get(key, 0) + 1
        held = latest.get(key)
        if held is None or _later(h, held):
            latest[key] = h
    kept = []
    for h in hyps:
        if h.state != "past":
            kept.append(h)
            continue
        key = (h.fm.id, _node_of(h.subject))
        if latest[key] is h:
            h.folded_past = count[key] - 1
            kept.append(h)
    return kept


# The suffix a controller gives each pod it makes: five characters of apimachinery's
# util/rand alphabet (no vowels, no 0, 1 or 3) after a ReplicaSet's, DaemonSet's or Job's name,
# or a StatefulSet's ordinal.
_REPLICA_SUFFIX = re.compile(r"-(?:[bcdfghjklmnpqrstvwxz2456789]{5}|\d+)$")


def workload_of(entity: Entity) -> tuple[str | None, str] | None:
    """The workload a pod or container belongs to, from the pod's name: its namespace and the
    name without the replica's suffix (and the container's name); None for other entities or
    a pod name without such a suffix.

    >>> workload_of(Entity(Kind.POD.value, "coredns-576cbf47c7-dkhx5", namespace="kube-system"))
    ('kube-system', 'coredns-576cbf47c7')
    >>> workload_of(Entity(Kind.CONTAINER.value, "web-1/nginx"))
    (None, 'web/nginx')
    >>> workload_of(Entity(Kind.POD.value, "web")) is None
    True
    """
    found = _pod_of(entity)
    if found is None:
        return None
    namespace, pod, container = found
    base = _REPLICA_SUFFIX.sub("", pod)
    if base == pod or not base:
        return None
    return namespace, base + ("/" + container if container else "")


def fold_replicas(hyps: Sequence[Hypothesis]) -> list[Hypothesis]:
    """Findings of one failure mode on several replicas of one workload on one node (both
    CoreDNS pods in a crash loop) are one fault: the strongest stands for all, with the others'
    lines, and counts them, so the top findings are different explanations."""
    kept: dict[tuple[str, tuple[str | None, str], str | None], Hypothesis] = {}
    folded: set[int] = set()
    for h in sorted(hyps, key=lambda h: -h.confidence):
        workload = workload_of(h.subject) if h.state != "past" else None
        if workload is None:
            continue
        # Replicas on different nodes may fail for their nodes' reasons: only one node's fold.
        key = (h.fm.id, workload, _node_of(h.subject))
        held = kept.get(key)
        if held is None:
            kept[key] = h
        elif held.tier == h.tier:
            # One finding cites every replica's lines.
            for matched in h.matched.values():
                held.add(matched)
            held.folded_replicas += 1
            folded.add(id(h))
    return [h for h in hyps if id(h) not in folded]


def _later(a: Hypothesis, b: Hypothesis) -> bool:
    if a.last_seen is None or b.last_seen is None:
        return a.last_seen is not None and b.last_seen is None
    return a.last_seen > b.last_seen


# The node the evidence centres on has at least this many times the sources of any other.
FOCUS_LEAD = 2


def focus_node(hyps: Sequence[Hypothesis]) -> str | None:
    """The node the evidence centres on: the one whose findings cite the most sources, by a
    clear lead. Someone collected that node's journals and sessions because it is the one in
    trouble; a confident finding about another named node is collateral (a typo'd image on a
    neighbour), not the answer."""
    sources: dict[str, set[str]] = {}
    for h in hyps:
        node = _node_of(h.subject)
        if node is not None:
            cited = (ev.source for ev in h.evidence() if ev.source not in h.unplaced_sources)
            sources.setdefault(node, set()).update(cited)
    if not sources:
        return None
    ordered = sorted(sources, key=lambda n: len(sources[n]), reverse=True)
    first = len(sources[ordered[0]])
    second = len(sources[ordered[1]]) if len(ordered) > 1 else 0
    return ordered[0] if first >= FOCUS_LEAD * max(1, second) and first >= 2 else None


def _elsewhere(h: Hypothesis, focus: str | None) -> bool:
    node = _node_of(h.subject)
    return focus is not None and node is not None and node != focus


def rank(hyps: Sequence[Hypothesis]) -> list[Ranked]:
    hyps = fold_replicas(fold_repeated_past(hyps))
    places = Places.of(hyps)
    hyps = drop_repeated_leads(drop_subsumed(hyps, places), places)
    raised = promote_explaining_leads(hyps, places)
    edges = _edges(hyps, places)
    reach = {i: _reachable(edges, i) for i in range(len(hyps))}
    reached_by: dict[int, list[int]] = {i: [] for i in range(len(hyps))}
    for j in range(len(hyps)):
        for i in sorted(reach[j]):
            reached_by[i].append(j)

    # i is dominated when some j reaches i and i does not reach j back (j is upstream), or when
    # they are in one cycle and j has the stronger own evidence.
    def upstream_of(i: int) -> list[int]:
        ups = []
        for j in reached_by[i]:
            if j == i:
                continue
            if j not in reach[i] or (hyps[j].confidence, -j) > (hyps[i].confidence, -i):
                ups.append(j)
        return ups

    ranked: list[Ranked] = []
    roots: list[int] = []
    victims: dict[int, int] = {}
    for i in range(len(hyps)):
        ups = upstream_of(i)
        if not ups:
            roots.append(i)
        else:
            # The closest explaining hypothesis: a direct cause if there is one, the strongest.
            direct = [j for j in ups if i in edges[j]] or ups
            victims[i] = max(direct, key=lambda j: hyps[j].confidence)
    for i in roots:
        h = hyps[i]
        explained = [hyps[j] for j in sorted(reach[i]) if j in victims]
        # What a fault explains on its own pod (an OOM kill's crash loop) is the same fault seen
        # twice: only what it explains elsewhere speaks for its reach.
        elsewhere = [e for e in explained if not _same_workload(e.subject, h.subject)]
        bonus = EXPLAIN_BONUS * sum(e.confidence for e in elsewhere) / (1 + len(elsewhere))
        # Breadth orders findings; leads are questions, ordered by how likely each is.
        broad = h.fm.scope in BROAD and h.tier != "lead"
        score = h.confidence + bonus + (BREADTH_BONUS if broad else 0.0)
        why = f"own evidence {h.confidence:.2f}"
        if explained:
            names = ", ".join(sorted({e.fm.id for e in explained}))
            why += f"; explains {len(explained)} other finding(s) ({names})"
        if h.version_notes:
            why += "; " + "; ".join(h.version_notes)
        if id(h) in raised:
            why += "; " + raised[id(h)]
        if h.folded_past:
            why += f"; and {h.folded_past} earlier past finding(s) of this kind here, folded"
        if h.folded_replicas:
            why += f"; and {h.folded_replicas} other replica(s) of this workload, folded"
        ranked.append(Ranked(h, round(score, 4), explained, None, why))
    # Active before past, findings before leads, the node the evidence centres on before
    # others, then by score.
    focus = focus_node(hyps)
    ranked.sort(
        key=lambda r: (
            r.hypothesis.state == "past",
            r.hypothesis.tier == "lead",
            _elsewhere(r.hypothesis, focus),
            -r.score,
            r.hypothesis.fm.id,
            r.hypothesis.subject.name,
        )
    )
    for i, j in victims.items():
        h = hyps[i]
        ranked_victim = Ranked(h, h.confidence, [], hyps[j])
        ranked_victim.why = (
            f"explained by {hyps[j].fm.id} on {hyps[j].subject.ref()}: a consequence, not the root"
        )
        ranked.append(ranked_victim)

    # Active findings first: roots, then their victims (strongest first); then leads; past
    # findings last.
    def band(r: Ranked) -> int:
        if r.hypothesis.state == "past":
            return 3
        if r.hypothesis.tier == "lead":
            # A lead that explains findings is the question those findings raise: it comes
            # before them, still a lead.
            explains_finding = any(e.tier != "lead" for e in r.explains)
            return 0 if explains_finding and r.explained_by is None else 2
        return 0 if r.explained_by is None else 1

    return (
        sorted(ranked, key=lambda r: (band(r), 0 if r.explained_by is None else 1))
        if ranked
        else []
    )


def chain_order(root: Hypothesis, hyps: Sequence[Hypothesis]) -> list[tuple[Hypothesis, str]]:
    """The root and the hypotheses it explains, in causal order, each with the link statement."""
    places = Places.of(hyps)
    out: list[tuple[Hypothesis, str]] = []
    for trigger in hyps:
        for link in trigger.fm.causes:
            if (
                link.kind == "triggers"
                and link.failure_mode == root.fm.id
                and places.same(trigger, root)
                and link_holds(link, trigger, root)
            ):
                out.append((trigger, f"Trigger: {link.statement.strip()}"))
    out.append((root, root.fm.summary.strip()))
    seen = {root.key} | {h.key for h, _ in out}
    frontier = [root]
    while frontier:
        cause = frontier.pop(0)
        for link in cause.fm.causes:
            if link.kind != "causes":
                continue
            for effect in hyps:
                if (
                    effect.fm.id == link.failure_mode
                    and effect.key not in seen
                    and places.same(cause, effect)
                    and link_holds(link, cause, effect)
                ):
                    seen.add(effect.key)
                    out.append((effect, link.statement.strip()))
                    frontier.append(effect)
    return out
