"""Assemble the diagnosis: findings with their chain, culprit, cited evidence, fix and prevention;
the timeline; and the evidence that is missing to confirm or rule out the top hypotheses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from kubewhy import __version__
from kubewhy.facts.store import FactStore
from kubewhy.kb.checks import Observed
from kubewhy.kb.culprits import CULPRIT_FINDERS, Culprit
from kubewhy.kb.load import KnowledgeBase
from kubewhy.kb.schema import FailureMode
from kubewhy.model.diagnosis import (
    ChainLink,
    CulpritRef,
    Diagnosis,
    EntityRef,
    EvidenceRef,
    Finding,
    NearMiss,
    TimelineEntry,
    Unread,
)
from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.reading import ReadReport
from kubewhy.model.steps import alert_advice, fill_step
from kubewhy.reasoning.match import Hypothesis
from kubewhy.reasoning.rank import Ranked, chain_order, link_could_hold

MAX_FINDINGS = 25
MAX_NEAR_MISSES = 5
MAX_EVIDENCE_PER_LINK = 4
MAX_EVIDENCE_PER_STEP = 6
MAX_TIMELINE = 80
MISSING_FOR_TOP = 3


def entity_ref(entity: Entity) -> EntityRef:
    name = entity.name if entity.name != UNKNOWN_NODE else "(unknown)"
    return EntityRef(kind=entity.kind, name=name, namespace=entity.namespace)


def _time(ev: Evidence) -> str | None:
    return ev.time.isoformat().replace("+00:00", "Z") if ev.time else None


class _EvidenceIds:
    def __init__(self) -> None:
        self.refs: list[EvidenceRef] = []
        self._ids: dict[tuple[str, int | None, str], int] = {}

    def add(self, ev: Evidence, count: int = 1, span: list[int] | None = None) -> int:
        key = (ev.source, ev.line, ev.text)
        if key not in self._ids:
            self._ids[key] = len(self.refs) + 1
            self.refs.append(
                EvidenceRef(
                    id=self._ids[key],
                    source=ev.source,
                    line=ev.line,
                    time=_time(ev),
                    text=ev.text,
                    count=count,
                    span=span,
                )
            )
        return self._ids[key]


@lru_cache(maxsize=1024)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.IGNORECASE | re.ASCII if ignore_case else 0)
    except re.error:
        return None


def _span(fm: FailureMode, symptom: str, text: str) -> list[int] | None:
    """Where the symptom's pattern matches the line: the part a reader must see."""
    for log in fm.logs:
        if log.id == symptom:
            compiled = _compiled(log.pattern, log.ignore_case)
            found = compiled.search(text) if compiled is not None else None
            return [found.start(), found.end()] if found and found.end() > found.start() else None
    return None


def names_of(subject: Entity, culprit: Culprit | None) -> dict[str, str]:
    """The names a generic step leaves open (pod, namespace, node, container, pid), from the
    finding's subject and, before it, its culprit (the pod to restart is the leaking one)."""
    names: dict[str, str] = {}
    for entity in (subject, culprit.entity if culprit is not None else None):
        if entity is None:
            continue
        node = entity.on_node()
        if node is not None and node.name != UNKNOWN_NODE:
            names["node"] = node.name
        if entity.kind in ("pod", "container") and entity.namespace:
            names["namespace"] = entity.namespace
        if entity.kind == "pod":
            names["pod"] = entity.name
        elif entity.kind == "container":
            pod, _, container = entity.name.rpartition("/")
            names["container"] = container
            if pod:
                names["pod"] = pod
        if entity.pid is not None:
            names["pid"] = str(entity.pid)
    return names


def find_culprit(h: Hypothesis, seen: Observed) -> Culprit | None:
    """The failure mode's finder first (it measures: the most threads, the biggest memory);
    else the name the matched lines blame; else the component the mode is about by nature."""
    if h.fm.culprit is not None:
        found = CULPRIT_FINDERS[h.fm.culprit](seen, h.subject)
        if found is not None:
            return found
    blamed = blamed_culprit(h)
    if blamed is not None or h.fm.culprit_by_nature is None:
        return blamed
    named = h.fm.culprit_by_nature
    node = h.subject.on_node()
    where = node.name if node and node.name != UNKNOWN_NODE else None
    return Culprit(Entity.component(named.component, where), named.why, [])


def blamed_culprit(h: Hypothesis) -> Culprit | None:
    """The name the lines blame: the one the heaviest primary signs blame, then the one most
    lines blame. Refuting signs blame no one."""
    weight: dict[str, float] = {}
    lines: dict[str, int] = {}
    cited: dict[str, tuple[str, Evidence]] = {}
    for m in sorted(h.matched.values(), key=lambda m: -m.weight):
        if m.refutes:
            continue
        for name, count in m.blamed.items():
            weight[name] = weight.get(name, 0.0) + (0.0 if m.supporting else m.weight)
            lines[name] = lines.get(name, 0) + count
            if name not in cited and m.evidence:
                # a goroutine signature has no description: its cited stack group says it
                cited[name] = (m.description or m.evidence[0].text, m.evidence[0])
    if not weight:
        return None
    name = max(weight, key=lambda n: (weight[n], lines[n]))
    description, evidence = cited.get(name, ("", None))
    why = f"named by {lines[name]} line(s)"
    if description:
        why += f": {description.rstrip('.')}"
    node = h.subject.on_node()
    where = node.name if node and node.name != UNKNOWN_NODE else None
    return Culprit(_blamed_entity(name, where), why, [evidence] if evidence is not None else [])


def _blamed_entity(name: str, node: str | None) -> Entity:
    """A blamed name as an entity: a pod's ``ref()`` (a ``{named_pod}`` blame) is the pod; any
    other name is a component."""
    return Entity.pod_of_ref(name, node) or Entity.component(name, node)


def _statement(h: Hypothesis, link_statement: str) -> str:
    matched = sorted(h.matched.values(), key=lambda m: -m.weight)
    seen = [m.description for m in matched if m.description and not m.supporting][:2]
    text = link_statement
    if seen:
        text += " Seen: " + "; ".join(s.rstrip(".") for s in seen) + "."
    return text


def _prevention(fm: FailureMode, names: dict[str, str]) -> list[str]:
    items = [fill_step(item, names) for item in fm.prevention.settings]
    items += [alert_advice(a.alert, a.summary, names) for a in fm.prevention.alerts]
    return items


def _references(fm: FailureMode) -> list[str]:
    refs = [f"{r.url} ({r.note})" for r in fm.references]
    refs += [
        f"{b.reference} (known bug in {b.component}"
        + (f", fixed in {b.fixed_in})" if b.fixed_in else ")")
        for b in fm.known_bugs
    ]
    return list(dict.fromkeys(refs))


def _cite(h: Hypothesis, ids: _EvidenceIds) -> list[int]:
    """Cite a few samples of each symptom, strongest first; a flood's first sample says how many
    lines it stands for."""
    cited: list[int] = []
    for m in sorted(h.matched.values(), key=lambda m: (m.supporting, -m.weight)):
        samples = m.evidence[:MAX_EVIDENCE_PER_LINK]
        for n, ev in enumerate(samples):
            if len(cited) >= MAX_EVIDENCE_PER_STEP:
                return cited
            count = max(m.count - len(samples) + 1, 1) if n == 0 else 1
            shown = ev.clipped()
            evidence_id = ids.add(shown, count, _span(h.fm, m.symptom, shown.text))
            if evidence_id not in cited:
                cited.append(evidence_id)
    return cited


def build_finding(
    rank_no: int, ranked: Ranked, active: Sequence[Hypothesis], store: FactStore
) -> Finding:
    h = ranked.hypothesis
    ids = _EvidenceIds()
    chain: list[ChainLink] = []
    steps = chain_order(h, active) if ranked.explained_by is None else [(h, h.fm.summary.strip())]
    for step, statement in steps:
        chain.append(
            ChainLink(
                failure_mode=step.fm.id,
                statement=_statement(step, statement),
                evidence=_cite(step, ids),
            )
        )
    if ranked.explained_by is not None:
        cause = ranked.explained_by
        link = next((lk.statement for lk in cause.fm.causes if lk.failure_mode == h.fm.id), "")
        chain.insert(
            0,
            ChainLink(
                failure_mode=cause.fm.id,
                statement=f"Explained by {cause.fm.title} on {cause.subject.ref()}. {link}".strip(),
                evidence=[],
            ),
        )
    culprit = h.culprit
    culprit_ref = None
    if culprit is not None:
        named_by = [ids.add(ev.clipped()) for ev in culprit.evidence]
        culprit_ref = CulpritRef(
            kind=culprit.entity.kind,
            name=culprit.entity.name,
            namespace=culprit.entity.namespace,
            pid=culprit.entity.pid,
            why=culprit.why,
            evidence=list(dict.fromkeys(named_by)),
        )
    names = names_of(h.subject, culprit)
    return Finding(
        rank=rank_no,
        failure_mode=h.fm.id,
        title=h.fm.title,
        confidence=round(
            min(ranked.score, 0.99) if ranked.explained_by is None else h.confidence, 2
        ),
        entity=entity_ref(h.subject),
        culprit=culprit_ref,
        chain=chain,
        evidence=ids.refs,
        remediation=[fill_step(step, names) for step in h.fm.remediation],
        prevention=_prevention(h.fm, names),
        references=_references(h.fm),
        explained_by=ranked.explained_by.fm.id if ranked.explained_by else None,
        why_ranked=ranked.why,
        version_notes=h.version_notes,
        tier=h.tier,
        state=h.state,
        age=h.age,
        first_seen=_iso(h.first_seen),
        last_seen=_iso(h.last_seen),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def missing_evidence(ranked: Sequence[Ranked], kb: KnowledgeBase, store: FactStore) -> list[str]:
    asks: list[str] = []
    top = [r.hypothesis for r in ranked if r.explained_by is None][:MISSING_FOR_TOP]
    candidates: list[tuple[FailureMode, Entity]] = [(h.fm, h.subject) for h in top]
    # A root that is only a victim of something unseen: ask for what would show its causes,
    # those whose link can hold for it (a leak in a component, for that component's OOM kill).
    for h in top:
        for cause_id in kb.causes_of(h.fm.id):
            if any(r.hypothesis.fm.id == cause_id for r in ranked):
                continue
            links = [lk for lk in kb.get(cause_id).causes if lk.failure_mode == h.fm.id]
            if any(link_could_hold(link, h) for link in links):
                candidates.append((kb.get(cause_id), h.subject))
    for fm, subject in candidates:
        view = store.view(subject)
        culprit = next((h.culprit for h in top if h.fm.id == fm.id and h.subject == subject), None)
        names = names_of(subject, culprit)
        for confirm in fm.confirm:
            ask = fill_step(confirm.ask, names)
            if confirm.fact and confirm.fact in view:
                continue
            if confirm.symptom and any(
                r.hypothesis.fm.id == fm.id and confirm.symptom in r.hypothesis.matched
                for r in ranked
            ):
                continue
            if confirm.fact:
                asks.append(f"{fm.id}: no {confirm.fact} in the evidence: {ask}")
            elif confirm.symptom:
                asks.append(f"{fm.id}: no sign of {confirm.symptom} in the evidence: {ask}")
            else:
                asks.append(f"{fm.id}: {ask}")
    return list(dict.fromkeys(asks))


def timeline(active: Sequence[Hypothesis]) -> list[TimelineEntry]:
    """The timed evidence lines of the findings, each with the findings it supports."""
    entries: dict[tuple[str, str], tuple[datetime, str, str]] = {}
    supports: dict[tuple[str, str], list[str]] = {}
    for h in active:
        for m in h.matched.values():
            for ev in m.evidence:
                if ev.time is not None:
                    key = (ev.time.isoformat(), ev.text)
                    entries.setdefault(key, (ev.time, ev.source, ev.text))
                    ids = supports.setdefault(key, [])
                    if h.fm.id not in ids:
                        ids.append(h.fm.id)
    ordered = sorted(entries.items(), key=lambda e: e[1][0])
    if len(ordered) > MAX_TIMELINE:
        half = MAX_TIMELINE // 2
        ordered = ordered[:half] + ordered[-half:]
    return [
        TimelineEntry(
            time=t.isoformat().replace("+00:00", "Z"),
            source=src,
            text=text[:300],
            findings=supports[key],
        )
        for key, (t, src, text) in ordered
    ]


def near_misses(near: Sequence[Hypothesis]) -> list[NearMiss]:
    """The strongest hypotheses too weak for a lead: what was seen and what would settle them."""
    out = []
    for h in sorted(near, key=lambda h: -h.confidence)[:MAX_NEAR_MISSES]:
        seen = [m.description for m in h.matched.values() if m.description and not m.refutes]
        out.append(
            NearMiss(
                failure_mode=h.fm.id,
                title=h.fm.title,
                confidence=h.confidence,
                entity=EntityRef(
                    kind=h.subject.kind, name=h.subject.name, namespace=h.subject.namespace
                ),
                seen=seen,
                confirm=[fill_step(c.ask, names_of(h.subject, None)) for c in h.fm.confirm][:3],
            )
        )
    return out


# Formats that mean "no reader knows this input": its lines were only searched for patterns.
_NOT_UNDERSTOOD = {"text": "no known format; none of its lines matched", "empty": "empty"}


def unread_inputs(read: ReadReport, seen: Observed) -> list[Unread]:
    """Inputs read as plain text (or empty) that nothing came of: the report says so rather
    than let "no finding" suggest they were understood."""
    cited = {ev.source for hit in seen.hits for ev in hit.samples}
    out = []
    for ref in read.inputs:
        reason = _NOT_UNDERSTOOD.get(ref.format)
        # A section of a pasted session is named file:line; its evidence cites the file.
        source = ref.path.rsplit(":", 1)[0] if ref.path.rsplit(":", 1)[-1].isdigit() else ref.path
        if reason and source not in cited and ref.path not in cited:
            out.append(Unread(path=ref.path, format=ref.format, reason=reason))
    return out


def assemble(
    ranked: Sequence[Ranked],
    kb: KnowledgeBase,
    seen: Observed,
    read: ReadReport,
    near: Sequence[Hypothesis] = (),
) -> Diagnosis:
    store = seen.store
    active = [r.hypothesis for r in ranked]
    for h in active:
        h.culprit = find_culprit(h, seen)
    findings = [build_finding(i, r, active, store) for i, r in enumerate(ranked[:MAX_FINDINGS], 1)]
    missing = missing_evidence(ranked, kb, store)
    return Diagnosis(
        kubewhy_version=__version__,
        inputs=read.inputs,
        findings=findings,
        timeline=timeline(active),
        missing_evidence=missing + [f"gap: {g.describe()}" for g in read.gaps],
        gaps=read.gaps,
        parse_errors=read.parse_errors,
        near_misses=near_misses(near),
        unread=unread_inputs(read, seen),
        lines_outside_window=read.outside_window,
    )
