"""Hypotheses: which failure modes the evidence supports, about which entity, how strongly.

Every matched symptom (a log pattern, a fact condition, a named check, a goroutine signature)
adds its weight: ``confidence = 1 - prod(1 - weight)`` over distinct symptoms, so independent
signals reinforce each other and none alone reaches certainty. Supporting symptoms (a kernel
version, a default setting) count only next to a primary one. Known bugs move the confidence
with the component version the evidence shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import compress

from kubewhy.facts.catalog import is_event, with_sources
from kubewhy.facts.store import Absent, FactStore
from kubewhy.kb.checks import CHECKS, Observed
from kubewhy.kb.conditions import Condition, version_tuple
from kubewhy.kb.culprits import Culprit
from kubewhy.kb.load import KnowledgeBase
from kubewhy.kb.schema import ClaimedSymptoms, FactSymptom, FailureMode, KnownBug, Scope
from kubewhy.model.components import of_journal_identifier, of_pod_name
from kubewhy.model.entities import UNKNOWN_CGROUP, UNKNOWN_NODE, Entity, Kind
from kubewhy.model.evidence import Evidence
from kubewhy.model.times import unix_time

# Confidence from which a finding is "confirmed"; below a failure mode's own threshold it is a
# "lead" (kept down to LEAD_FLOOR, shown with what would confirm it, never counted as a finding
# by the exit code or the agent).
CONFIRMED = 0.8
LEAD_FLOOR = 0.15
# A hypothesis of supporting symptoms alone stays a lead (at most this share of its threshold),
# and needs more than one faint sign to be shown at all.
SUPPORTING_ONLY_CAP = 0.9
SUPPORTING_ONLY_FLOOR = 0.25
# The share of its weight a symptom that must last (``min_seconds``) keeps on lines without times.
UNTIMED_SHARE = 0.5
# On a live node, a finding whose every line is older than this before the read is past.
PAST_AFTER = timedelta(minutes=30)


@dataclass
class Matched:
    symptom: str
    weight: float
    supporting: bool
    evidence: list[Evidence]
    count: int = 1
    description: str = ""
    # When the symptom was first and last seen (log lines with a time); None for facts, which
    # are the state when the evidence was read.
    first: datetime | None = None
    last: datetime | None = None
    from_logs: bool = False
    refutes: bool = False
    # Names the lines blame, with how many lines blame each (``LogSymptom.blames``).
    blamed: dict[str, int] = field(default_factory=dict)
    # The programs whose lines these are (a journal identifier, a component), when known.
    written_by: set[str] = field(default_factory=set)
    # The memory cgroups whose kernel OOM reports hold all of its lines (empty: not all inside).
    within: set[str] = field(default_factory=set)
    # The sign restates an effect of the mode (``LogSymptom.restates_effect``).
    restates_effect: bool = False


@dataclass
class Hypothesis:
    fm: FailureMode
    subject: Entity
    matched: dict[str, Matched] = field(default_factory=dict)
    confidence: float = 0.0
    version_notes: list[str] = field(default_factory=list)
    culprit: Culprit | None = None

    @property
    def key(self) -> tuple[str, Entity]:
        return (self.fm.id, self.subject)

    state: str = "active"  # "past": all its evidence is old log lines of a live read
    age: str = ""
    # Past findings of the same mode on the same node folded into this one (the latest).
    folded_past: int = 0
    # Findings of the same mode on other replicas of this pod's workload, folded into this one.
    folded_replicas: int = 0
    # Sources only of lines that named no place, folded in from an unplaced finding: they say
    # nothing about which node the evidence was collected for.
    unplaced_sources: set[str] = field(default_factory=set)

    def add(self, matched: Matched) -> None:
        known = self.matched.get(matched.symptom)
        if known is None:
            self.matched[matched.symptom] = matched
        else:
            known.count += matched.count
            known.evidence.extend(matched.evidence[: max(0, 5 - len(known.evidence))])
            known.first = min((t for t in (known.first, matched.first) if t), default=None)
            known.last = max((t for t in (known.last, matched.last) if t), default=None)
            for name, count in matched.blamed.items():
                known.blamed[name] = known.blamed.get(name, 0) + count
            known.written_by |= matched.written_by
            known.within = (
                known.within | matched.within if known.within and matched.within else set()
            )

    @property
    def first_seen(self) -> datetime | None:
        return min((m.first for m in self.matched.values() if m.first), default=None)

    @property
    def last_seen(self) -> datetime | None:
        return max((m.last for m in self.matched.values() if m.last), default=None)

    @property
    def tier(self) -> str:
        """confirmed, probable (at or above the failure mode's threshold) or lead."""
        if self.confidence >= CONFIRMED:
            return "confirmed"
        return "probable" if self.confidence >= self.fm.threshold else "lead"

    def has_primary(self, own: bool = False) -> bool:
        """A sign that can raise a finding; ``own``: one that is not its effect restated
        (``LogSymptom.restates_effect``), which is all a lead needs to be raised to a cause."""
        return any(
            not (m.supporting or m.refutes or (own and m.restates_effect))
            for m in self.matched.values()
        )

    def active(self) -> bool:
        return self.has_primary() and self.confidence >= self.fm.threshold

    def evidence(self) -> list[Evidence]:
        seen: set[tuple[str, int | None, str]] = set()
        out: list[Evidence] = []
        for m in sorted(self.matched.values(), key=lambda m: -m.weight):
            for ev in m.evidence:
                key = (ev.source, ev.line, ev.text)
                if key not in seen:
                    seen.add(key)
                    out.append(ev)
        return out


def subject_for(entity: Entity, fm: FailureMode, store: FactStore) -> Entity:
    """The entity a finding of ``fm`` is about, given the entity a symptom was seen on."""
    # The node the symptom was seen on wins over the stored entity's: components are stored by
    # name (three apiservers are one component), but a line still happened on its own node.
    scope = fm.scope
    seen_on = entity.on_node()
    entity = store.canonical(entity)
    if scope == Scope.COMPONENT and fm.component:
        return store.canonical(Entity.component(fm.component))
    if scope == Scope.CLUSTER:
        return Entity.cluster()
    if scope == Scope.NODE:
        return seen_on or entity.on_node() or Entity.for_node(UNKNOWN_NODE)
    if scope == Scope.POD and entity.kind == Kind.CONTAINER.value and "/" in entity.name:
        return store.canonical(
            Entity.pod(entity.name.split("/", 1)[0], entity.namespace, entity.node)
        )
    if scope == Scope.COMPONENT and entity.kind == Kind.POD.value:
        component = of_pod_name(entity.name)
        if component:
            return Entity.component(component, entity.node)
    if scope == Scope.COMPONENT and entity.kind == Kind.CONTAINER.value:
        component = of_pod_name(entity.name.split("/", 1)[0])
        if component:
            return Entity.component(component, entity.node)
    if scope == Scope.CGROUP and entity.kind == Kind.PROCESS.value:
        # An OOM victim's lines are about the memory cgroup whose limit its kill was for, as
        # the kernel's report says: one finding per full cgroup, not one per victim.
        memcg = store.value(entity, "process.oom_memcg")
        if isinstance(memcg, str) and memcg:
            return store.canonical(Entity.cgroup(memcg, entity.node))
    return entity


def _may_be_about(fm: FailureMode, candidate: Entity) -> bool:
    """A failure mode of one named component is about that component only."""
    named = fm.scope == Scope.COMPONENT and fm.component
    return not named or candidate.kind != Kind.COMPONENT.value or candidate.name == fm.component


def _candidates(scope: Scope, store: FactStore) -> list[Entity]:
    if scope == Scope.CLUSTER:
        return [Entity.cluster()]
    found = store.entities(scope.value)
    if not found and scope == Scope.NODE:
        # Logs alone name no node: a check still reads them, about the node they came from.
        return [Entity.for_node(UNKNOWN_NODE)]
    return found


def _sign_scope(scope: Scope, store: FactStore) -> Scope:
    """Where a failure mode's fact signs are read: its scope, or, for a pod-scoped mode when
    the evidence names no pod at all (a node's files only), the node, which is where that mode's
    log symptoms land too (``subject_for`` keeps the node they were seen on)."""
    if scope == Scope.POD and not store.entities(Kind.POD.value):
        return Scope.NODE
    return scope


def subjects_where(cond: Condition, scope: Scope, store: FactStore) -> set[Entity]:
    """The subjects of ``scope`` whose view satisfies ``cond``: the same set as evaluating
    every candidate, without visiting the ones that cannot differ.

    A condition reads only its own names, and a subject's view is its own facts over its
    node's over the cluster's. A subject holding none of the names sees what its node sees,
    and a node holding none of them sees what the cluster sees: so only holders are evaluated
    (once per distinct values they show), then each node holding a name once for its other
    subjects, then the cluster once for all the rest.
    """
    cluster = Entity.cluster()
    if scope == Scope.CLUSTER:
        return {cluster} if cond.evaluate(store.view(cluster)) else set()
    kind = scope.value
    holders, verdicts = _holders_verdicts(cond, kind, store)
    found = set(compress(holders, verdicts))
    decided = set(holders)
    if kind != Kind.NODE.value:
        for node in store.holders(Kind.NODE.value, cond.names):
            on_node = store.on_node(node.name, kind)
            if on_node and cond.evaluate(store.view(node)):
                found.update(e for e in on_node if e not in decided)
            decided.update(on_node)
    if cond.evaluate(store.view(cluster)):
        found.update(e for e in store.entities(kind) if e not in decided)
    return found


def _holders_verdicts(
    cond: Condition, kind: str, store: FactStore
) -> tuple[list[Entity], Iterator[bool]]:
    """The entities of ``kind`` holding a name ``cond`` reads, and ``cond`` on each one's view,
    evaluated once per distinct row of the values it reads (a condition reads only its own
    names)."""
    names = sorted(cond.names)
    holders, rows, row_of = store.holders_rows(kind, names)
    verdicts = [
        cond.evaluate({n: v for n, v in zip(names, row, strict=True) if not isinstance(v, Absent)})
        for row in rows
    ]
    return holders, map(verdicts.__getitem__, row_of)


def _confidence(h: Hypothesis) -> float:
    """``1 - prod(1 - w)`` over the signs, then each refuting sign takes its share away."""
    miss = kept = 1.0
    for m in h.matched.values():
        if m.refutes:
            kept *= 1.0 - m.weight
        else:
            miss *= 1.0 - m.weight
    return (1.0 - miss) * kept


def _version_of(store: FactStore, subject: Entity, bug: KnownBug) -> tuple[str, object] | None:
    names = {
        "kernel": ["kernel.release"],
        "kubelet": ["node.kubelet_version"],
        "kube-apiserver": ["cluster.apiserver_version", "component.version"],
        "os": ["os.pretty_name", "os.version_id"],
        "systemd": ["node.systemd.version"],
        "docker": ["node.container_runtime"],
        "containerd": ["node.container_runtime"],
    }.get(bug.component, ["component.version"])
    view = store.view(subject)
    for name in names:
        if name in view:
            return name, view[name]
    # A cluster-wide view: any node's value will do for node-level components.
    return store.memo(("version on any node", tuple(names)), lambda: _on_any_node(store, names))


def _on_any_node(store: FactStore, names: list[str]) -> tuple[str, object] | None:
    for node in store.entities(Kind.NODE.value):
        nview = store.own(node)
        for name in names:
            if name in nview:
                return name, nview[name]
    return None


def apply_known_bugs(h: Hypothesis, store: FactStore) -> float:
    """Add version notes; an affected version supports the hypothesis, a fixed one halves it.

    Returns the factor to apply to the confidence."""
    factor = 1.0
    for bug in h.fm.known_bugs:
        found = _version_of(store, h.subject, bug)
        if found is None:
            continue
        name, raw = found
        version = str(raw)
        if bug.match is not None:
            affected = re.search(bug.match, version) is not None
        else:
            v = version_tuple(version)
            affected = bool(v) and (
                (bug.affected_from is None or v >= version_tuple(bug.affected_from))
                and (bug.fixed_in is None or v < version_tuple(bug.fixed_in))
            )
        ev = store.evidence(h.subject, [name])
        if affected:
            fixed = f"fixed in {bug.fixed_in}" if bug.fixed_in else "no fixed release known"
            h.version_notes.append(
                f"known bug in {bug.component}: {fixed}, you run {version} ({bug.reference})"
            )
            if bug.match is None and bug.affected_from is None and bug.fixed_in is None:
                # A bug known in every release says nothing about this one: the note stays,
                # but the version is no sign that the fault is here.
                continue
            h.add(
                Matched(
                    f"known-bug:{bug.component}", 0.3, True, ev, 1, "version known to be affected"
                )
            )
        elif bug.fixed_in:
            h.version_notes.append(
                f"{bug.component} {version} already has the fix (fixed in {bug.fixed_in}): "
                "look for another cause"
            )
            factor = 0.5
    return factor


def hypotheses(
    kb: KnowledgeBase, seen: Observed, near: list[Hypothesis] | None = None
) -> list[Hypothesis]:
    """The hypotheses worth reporting (findings and leads); those too weak even for a lead but
    resting on a sign that was seen go to ``near`` when given (the report's near misses)."""
    store = seen.store
    found: dict[tuple[str, Entity], Hypothesis] = {}

    def get(fm: FailureMode, subject: Entity) -> Hypothesis:
        key = (fm.id, subject)
        if key not in found:
            found[key] = Hypothesis(fm, subject)
        return found[key]

    known: dict[tuple[str, Scope], set[Entity]] = {}

    def satisfied(when: str, scope: Scope) -> set[Entity]:
        if (when, scope) not in known:
            known[(when, scope)] = subjects_where(kb.condition(when), scope, store)
        return known[(when, scope)]

    min_counts = {(fm.id, s.id): s.min_count for fm in kb.failure_modes.values() for s in fm.logs}
    min_seconds = {
        (fm.id, s.id): s.min_seconds
        for fm in kb.failure_modes.values()
        for s in fm.logs
        if s.min_seconds
    }
    for hit in seen.hits:
        fm = kb.get(hit.failure_mode)
        weight, supporting = fm.symptom_weight(hit.symptom)
        supporting = supporting or fm.refuting(hit.symptom)
        # A symptom that counts when repeated, seen fewer times (an excerpt someone pasted shows
        # a line once): it weighs in proportion, a lead rather than silence.
        needed = min_counts.get((hit.failure_mode, hit.symptom), 1)
        if hit.count < needed:
            weight *= hit.count / needed
        lasting = min_seconds.get((hit.failure_mode, hit.symptom))
        if lasting is not None:
            # Lines whose times show a short span weigh in proportion to it. Lines without any
            # time (an excerpt pasted without its stamps) can show neither that it lasted nor
            # that it did not: they weigh a share, a lead at most on their own.
            timed = hit.first is not None or bool(hit.listed)
            weight *= min(1.0, hit.lasted() / lasting) if timed else UNTIMED_SHARE
            if weight <= 0:
                continue
        subject = subject_for(hit.entity, fm, store)
        written = next((s for s in fm.logs if s.id == hit.symptom), None)
        get(fm, subject).add(
            Matched(
                hit.symptom,
                weight,
                supporting,
                list(hit.samples),
                hit.count,
                written.description if written else "",
                hit.first,
                hit.last,
                True,
                fm.refuting(hit.symptom),
                dict(hit.blamed),
                {of_journal_identifier(w) for w in hit.writers} | _writer(hit.entity),
                set(hit.within),
                written is not None and written.restates_effect,
            )
        )

    lines_landed_on: dict[str, list[Entity]] = {}
    for fm_id, subject in found:
        lines_landed_on.setdefault(fm_id, []).append(subject)
    for fm in kb.failure_modes.values():
        signs = [s for s in fm.facts if not s.refutes]
        if not signs and not fm.checks:
            continue
        scope = _sign_scope(fm.scope, store)
        where = [satisfied(s.when, scope) for s in signs]
        # Checks are arbitrary code: they still see every candidate, except that a failure
        # mode of one named component reads only that component (a leak in another program's
        # dump is not the API server's).
        subjects = (
            [c for c in _candidates(scope, store) if _may_be_about(fm, c)]
            if fm.checks
            else store.in_order(set[Entity]().union(*where))
        )
        if fm.checks:
            # A check also reads the subjects its mode's own lines landed on: a component that
            # only logs name (no fact holds it) is still where those lines were seen.
            listed = set(subjects)
            subjects += [s for s in lines_landed_on.get(fm.id, ()) if s not in listed]
        for subject in subjects:
            for symptom, subjects_true in zip(signs, where, strict=True):
                cond = kb.condition(symptom.when)
                if subject in subjects_true:
                    ev = store.evidence(subject, with_sources(sorted(cond.names)))
                    get(fm, subject).add(_fact_matched(symptom, cond.names, ev))
            for chk in fm.checks:
                ev = CHECKS[chk.check](seen, subject)
                if ev:
                    get(fm, subject).add(
                        Matched(
                            chk.id,
                            chk.weight,
                            chk.supporting,
                            ev,
                            len(ev),
                            chk.description,
                            refutes=chk.refutes,
                        )
                    )

    _refute(kb, store, found.values())
    read_at = _read_at(store)
    result = []
    for h in _fold_unplaced(_merge_repeats(_claim_shared(kb, list(found.values())))):
        factor = apply_known_bugs(h, store)
        h.confidence = round(min(_confidence(h), 0.99) * factor, 3)
        if not h.has_primary():
            # Only supporting signs (an OOM killer invoked, the victim line not pasted): never a
            # finding, but a lead that says what would confirm it is better than silence.
            h.confidence = round(min(h.confidence, SUPPORTING_ONLY_CAP * h.fm.threshold), 3)
        # Every finding cites what it rests on: a sign without a citable line or value (a
        # condition true only because facts are absent) is no lead.
        if h.confidence >= LEAD_FLOOR and (h.has_primary() or _a_sign_was_seen(h)):
            _set_state(h, read_at, store)
            result.append(h)
        elif near is not None and h.confidence > 0 and _cites_a_sign(h):
            near.append(h)
    return result


def _claim_shared(kb: KnowledgeBase, hyps: list[Hypothesis]) -> list[Hypothesis]:
    """A failure mode found on its own evidence takes over the finding of another that rests on
    nothing but symptoms the two share, at the same place (``FailureMode.claims``): one fault,
    named by the evidence that says which. The shared lines weigh for it in proportion to its own
    evidence. Found on nothing but the shared lines, it splits their weight with the other
    (``alone_share``): two explanations, each with what would tell them apart."""
    gone: set[int] = set()
    added: list[Hypothesis] = []
    for fm in kb.failure_modes.values():
        for claim in fm.claims:
            shared = set(claim.symptoms)
            for other in hyps:
                if other.fm.id != claim.failure_mode or id(other) in gone:
                    continue
                signs = [m for m in other.matched.values() if not m.supporting and not m.refutes]
                writers = {n for m in signs for n in m.written_by}
                if not signs or not all(m.symptom in shared for m in signs):
                    continue
                claimer = _own_finding(fm, other, hyps)
                daemons = writers & set(claim.unless_written_by)
                if daemons and not (claimer and _daemons_own_cgroup(claimer.subject, daemons)):
                    continue
                if claimer is not None:
                    share = _confidence(claimer)
                    gone.add(id(other))
                elif claim.alone_share > 0:
                    claimer = Hypothesis(fm, _unnamed_subject(fm, other.subject))
                    added.append(claimer)
                    share = claim.alone_share
                else:
                    continue
                for m in other.matched.values():
                    claimer.add(
                        replace(
                            m,
                            weight=round(m.weight * share, 4),
                            evidence=list(m.evidence),
                            blamed=_writers_blamed(claim, m) or dict(m.blamed),
                            written_by=set(m.written_by),
                            within=set(m.within),
                        )
                    )
                if id(other) not in gone:
                    for m in signs:
                        m.weight = round(m.weight * (1 - share), 4)
    return [h for h in hyps if id(h) not in gone] + added


def _daemons_own_cgroup(subject: Entity, daemons: set[str]) -> bool:
    """``subject`` is the service cgroup of every one of ``daemons`` (docker's lines and
    /system.slice/docker.service): their refusals are that cgroup's limit, not the node's."""
    if subject.kind != Kind.CGROUP.value:
        return False
    unit = subject.name.rstrip("/").rsplit("/", 1)[-1]
    return unit.endswith(".service") and all(d in unit for d in daemons)


def _writers_blamed(claim: ClaimedSymptoms, m: Matched) -> dict[str, int]:
    if not claim.blames_writers or m.refutes:
        return {}
    return {name: m.count for name in sorted(m.written_by) if name != "kernel"}


def _unnamed_subject(fm: FailureMode, seen_on: Entity) -> Entity:
    """What a failure mode found on shared lines alone is about, where they name nothing of its
    own: the failing program's cgroup, the node, the component or the cluster."""
    node = seen_on.on_node()
    where = node.name if node else None
    if fm.scope == Scope.CGROUP:
        return Entity.cgroup(UNKNOWN_CGROUP, where)
    if fm.scope == Scope.COMPONENT and fm.component:
        return Entity.component(fm.component, where)
    if fm.scope == Scope.CLUSTER:
        return Entity.cluster()
    return Entity.for_node(where or UNKNOWN_NODE)


def _own_finding(fm: FailureMode, other: Hypothesis, hyps: list[Hypothesis]) -> Hypothesis | None:
    """The strongest finding of ``fm`` on its own evidence at ``other``'s place."""
    own = [
        h
        for h in hyps
        if h.fm.id == fm.id
        and h.has_primary()
        and _confidence(h) >= fm.threshold
        and _same_node(h.subject, other.subject)
    ]
    return max(own, key=_confidence, default=None)


def _writer(entity: Entity) -> set[str]:
    if entity.kind in (Kind.PROCESS.value, Kind.COMPONENT.value):
        return {of_journal_identifier(entity.name)}
    return set()


def _same_node(a: Entity, b: Entity) -> bool:
    na, nb = a.on_node(), b.on_node()
    names = {n.name for n in (na, nb) if n is not None and n.name != UNKNOWN_NODE}
    return len(names) <= 1


def _cites_a_sign(h: Hypothesis) -> bool:
    return any(m.evidence and not m.refutes for m in h.matched.values())


def _fact_matched(symptom: FactSymptom, names: Iterable[str], ev: list[Evidence]) -> Matched:
    """A fact symptom as matched. Facts are the state when the evidence was read, except those
    about something that happened (a report in the kernel log): these carry their lines' times
    and age like log lines."""
    matched = Matched(symptom.id, symptom.weight, symptom.supporting, ev, 1, symptom.description)
    matched.refutes = symptom.refutes
    times = [e.time for e in ev if e.time is not None]
    if times and any(is_event(name) for name in names):
        matched.first, matched.last, matched.from_logs = min(times), max(times), True
    return matched


def _refute(kb: KnowledgeBase, store: FactStore, hyps: Iterable[Hypothesis]) -> None:
    """Refuting fact symptoms, evaluated on each hypothesis's own subject whatever its kind
    (an OOM victim's process): they only ever lower a finding that other signs raised."""
    for h in hyps:
        for symptom in h.fm.facts:
            if not symptom.refutes:
                continue
            cond = kb.condition(symptom.when)
            if cond.evaluate(store.view(h.subject)):
                ev = store.evidence(h.subject, with_sources(sorted(cond.names)))
                h.add(_fact_matched(symptom, cond.names, ev))


def _a_sign_was_seen(h: Hypothesis) -> bool:
    """Supporting symptoms make a lead only when one of them is an event that happened (a log
    line with its evidence) and together they weigh enough: context alone (an old kernel, no
    swap) points at nothing."""
    return h.confidence >= SUPPORTING_ONLY_FLOOR and any(
        m.from_logs and m.evidence and not m.refutes for m in h.matched.values()
    )


def _merge_repeats(hyps: list[Hypothesis]) -> list[Hypothesis]:
    """One finding per fault: the same failure mode on processes of one program on one node (an
    OOM kill of each new ``java``, a fork failure per PID) is one fault seen several times."""
    merged: dict[tuple[str, str, str | None], Hypothesis] = {}
    out: list[Hypothesis] = []
    for h in hyps:
        if h.subject.kind != Kind.PROCESS.value:
            out.append(h)
            continue
        key = (h.fm.id, h.subject.name, h.subject.node)
        first = merged.get(key)
        if first is None:
            merged[key] = h
            out.append(h)
            continue
        for m in h.matched.values():
            first.add(m)
    return out


_WORKLOAD_KINDS = frozenset((Kind.POD.value, Kind.CONTAINER.value))


def _fold_unplaced(hyps: list[Hypothesis]) -> list[Hypothesis]:
    """One finding per fault: a pod's or container's failure seen in a line that names no pod
    (a describe fragment's "Reason: OOMKilled", on the unknown node) is the one pod's or
    container's the rest of the evidence names with the same failure, when it names just one;
    a node's failure seen on no named node is the one named node's that shows it."""
    located: dict[str, list[Hypothesis]] = {}
    on_nodes: dict[str, list[Hypothesis]] = {}
    for h in hyps:
        if h.subject.kind in _WORKLOAD_KINDS:
            located.setdefault(h.fm.id, []).append(h)
        elif h.subject.kind == Kind.NODE.value and h.subject.name != UNKNOWN_NODE:
            on_nodes.setdefault(h.fm.id, []).append(h)
    out: list[Hypothesis] = []
    for h in hyps:
        unplaced = h.subject.kind == Kind.NODE.value and h.subject.name == UNKNOWN_NODE
        # A node's failure seen in lines that name no node (a kubelet log pasted without its
        # journal prefix) and on one named node (the prompt of the session that read its mounts)
        # is that node's, when the evidence shows the mode on no other node.
        if h.fm.scope == Scope.NODE:
            owners = on_nodes.get(h.fm.id, [])
        else:
            owners = located.get(h.fm.id, []) if h.fm.scope in _WORKLOAD_KINDS else []
        if unplaced and len(owners) == 1:
            owner = owners[0]
            own = {ev.source for m in owner.matched.values() for ev in m.evidence}
            borrowed = {ev.source for m in h.matched.values() for ev in m.evidence}
            owner.unplaced_sources |= borrowed - own
            for m in h.matched.values():
                owner.add(m)
            continue
        out.append(h)
    return out


def _read_at(store: FactStore) -> datetime | None:
    """When a live node was read: the reference against which old kernel lines are past."""
    times = [
        v
        for n in store.entities(Kind.NODE.value)
        if isinstance(v := store.value(n, "node.collected_at"), int | float)
    ]
    return unix_time(max(times)) if times else None


def _read_live(store: FactStore, subject: Entity) -> bool:
    """The read found the subject: a fact states it as it is now, without a time of its own
    (what the kernel's past reports say of a process or a cgroup cites their dated lines)."""
    for name in store.own(subject):
        fact = store.fact(subject, name)
        if fact is not None and (fact.evidence is None or fact.evidence.time is None):
            return True
    return False


def _reports_of_gone_cgroups(signs: list[Matched], subject: Entity, store: FactStore) -> bool:
    """Every sign is lines of memory cgroups' OOM reports, and the read found none of those
    cgroups: what they say is over, whatever entity they were counted on."""
    paths = {p for m in signs for p in m.within}
    if not paths or any(not m.within for m in signs):
        return False
    node = subject.on_node()
    where = node.name if node else None
    return not any(_read_live(store, Entity.cgroup(p, where)) for p in paths)


def _set_state(h: Hypothesis, read_at: datetime | None, store: FactStore) -> None:
    """Past, on a live read: every symptom is a log line (a fact is the state at the read, so a
    fact symptom keeps the finding active), and the lines are older than PAST_AFTER or about a
    process or cgroup that the read no longer found."""
    last = h.last_seen
    if read_at is None or last is None:
        return
    # The signs decide; context (a counter since boot, a setting) says nothing of when.
    signs = [m for m in h.matched.values() if not m.supporting] or list(h.matched.values())
    if any(not m.from_logs or m.last is None for m in signs):
        return
    gone = (
        h.subject.kind in (Kind.PROCESS.value, Kind.CGROUP.value)
        and not _read_live(store, h.subject)
    ) or _reports_of_gone_cgroups(signs, h.subject, store)
    age = read_at - last
    if age <= PAST_AFTER and not gone:
        return
    h.state = "past"
    minutes = max(age.total_seconds(), 0) / 60
    h.age = f"{minutes / 60:.0f} h ago" if minutes >= 60 else f"{minutes:.0f} min ago"
    if gone:
        h.age += f"; {h.subject.kind} gone"
