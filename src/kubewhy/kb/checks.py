"""Named Python checks for symptoms that data alone cannot express.

A check receives what the evidence shows (:class:`Observed`: the facts, the symptom hits, the
analysed goroutine dumps) and one subject entity, and returns the evidence that makes it true,
or an empty list. Keep each check small and named after what it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from kubewhy.facts.goroutines import DumpAnalysis
from kubewhy.facts.store import FactStore
from kubewhy.model.entities import UNKNOWN_NODE, Entity, Kind
from kubewhy.model.evidence import Evidence
from kubewhy.model.hits import Clock, SymptomHit


@dataclass(frozen=True)
class Observed:
    """What the evidence shows, as checks and culprit finders read it."""

    store: FactStore
    hits: Sequence[SymptomHit] = ()
    dumps: Sequence[DumpAnalysis] = ()


Check = Callable[[Observed, Entity], list[Evidence]]

CHECKS: dict[str, Check] = {}


def check(fn: Check) -> Check:
    CHECKS[fn.__name__] = fn
    return fn


def _on_subject_node(entity: Entity, subject: Entity) -> bool:
    node = subject.on_node()
    if node is None or node.name == UNKNOWN_NODE:
        return True
    return entity.node in (None, node.name) or entity == node


def _zombie_parents(seen: Observed, subject: Entity, at_least: int) -> list[Evidence]:
    store = seen.store
    node = subject.on_node()
    procs = (
        store.on_node(node.name, Kind.PROCESS.value) if node else store.entities(Kind.PROCESS.value)
    )
    evidence = []
    for proc in procs:
        fact = store.fact(proc, "process.zombie_children")
        if (
            fact is not None
            and isinstance(fact.value, int)
            and fact.value >= at_least
            and fact.evidence
        ):
            evidence.append(fact.evidence)
    return evidence


@check
def zombies_under_one_parent(seen: Observed, subject: Entity) -> list[Evidence]:
    """A process on the subject's node with ten or more zombie children."""
    return _zombie_parents(seen, subject, 10)


@check
def zombies_kept_by_a_parent(seen: Observed, subject: Entity) -> list[Evidence]:
    """A process on the subject's node with three or more zombie children at once: a parent that
    reaps collects each child within milliseconds, so zombies that wait together are not reaped."""
    return _zombie_parents(seen, subject, 3)


@dataclass(frozen=True)
class Pull:
    """One image's pull on a node, from the first to the last line that mentions it. ``start``
    and ``end`` are seconds by the wall clock (POSIX time) or, where the lines are ages in one
    listing (kubectl's events), on that listing's ``clock``: pulls compare only on one clock."""

    image: str
    entity: Entity
    start: float
    end: float
    evidence: list[Evidence]
    # One Pulling and one Pulled line: the span is that pull's.
    single: bool = False
    clock: Clock | None = None

    @property
    def seconds(self) -> float:
        return self.end - self.start


PULL_SYMPTOMS = ("pull-started", "pull-stopped", "pull-done", "pull-took-minutes")


def _pull_hits(seen: Observed) -> list[SymptomHit]:
    return [
        hit
        for hit in seen.hits
        if hit.failure_mode == "serialized-image-pulls"
        and hit.symptom in PULL_SYMPTOMS
        and hit.part
    ]


Span = tuple[float, float, list[Evidence], Clock | None]


def _wall_span(hits: list[SymptomHit]) -> Span | None:
    """From the earliest to the latest line with a wall-clock time."""
    timed = [h for h in hits if h.first is not None and h.last is not None]
    if not timed:
        return None
    first = min(timed, key=lambda h: h.first or datetime.max)
    last = max(timed, key=lambda h: h.last or datetime.min)
    if first.first is None or last.last is None:
        return None
    evidence = [first.samples[0], last.samples[-1]]
    return first.first.timestamp(), last.last.timestamp(), evidence, None


def _listed_span(hits: list[SymptomHit]) -> Span | None:
    """The widest span one listing of ages shows, at the least its truncated ages allow (a
    describe's Pulling 7m32s and Pulled 27s ago: at least 7m04s), citing its earliest and
    latest line."""
    bounds: dict[Clock, tuple[float, float]] = {}
    for hit in hits:
        for clock, (lo, hi) in hit.listed.items():
            known = bounds.get(clock, (lo, hi))
            bounds[clock] = (min(known[0], lo), max(known[1], hi))
    if not bounds:
        return None
    clock, (start, end) = max(bounds.items(), key=lambda item: item[1][1] - item[1][0])
    cited = [
        (ev.listed.seconds, ev)
        for hit in hits
        for ev in hit.samples
        if ev.listed is not None and ev.listed.clock == clock
    ]
    if not cited:
        return None
    evidence = [min(cited, key=lambda c: c[0])[1], max(cited, key=lambda c: c[0])[1]]
    return start, end, evidence, clock


def _pulls(seen: Observed, subject: Entity) -> list[Pull]:
    spans: dict[str, list[SymptomHit]] = {}
    for hit in seen.store.memo("pull-hits", lambda: _pull_hits(seen)):
        if hit.part and _on_subject_node(hit.entity, subject):
            spans.setdefault(hit.part, []).append(hit)
    pulls = []
    for image, hits in spans.items():
        span = _wall_span(hits) or _listed_span(hits)
        if span is None:
            continue
        start, end, evidence, clock = span
        # Name the pod that pulls the image where some source says it (events, describe).
        pods = [h.entity for h in hits if h.entity.kind == Kind.POD.value]
        owner = pods[0] if pods else hits[0].entity
        counts: dict[str, int] = {}
        for h in hits:
            counts[h.symptom] = counts.get(h.symptom, 0) + h.count
        single = counts.get("pull-started") == 1 and counts.get("pull-done") == 1
        pulls.append(Pull(image, owner, start, end, evidence, single, clock))
    return pulls


def slow_pulls(seen: Observed, subject: Entity, minimum_seconds: float = 120) -> list[Pull]:
    return [p for p in _pulls(seen, subject) if p.seconds >= minimum_seconds]


@check
def one_pull_took_minutes(seen: Observed, subject: Entity) -> list[Evidence]:
    """An image's only pull went from Pulling to Pulled in two minutes or more, measured by the
    lines' own times (releases whose Pulled event gives no duration). An image pulled more than
    once is left out: its first start and last end need not be one pull."""
    evidence: list[Evidence] = []
    for pull in _pulls(seen, subject):
        if pull.seconds >= 120 and pull.single:
            evidence.extend(pull.evidence)
    return evidence


@check
def pulls_queued_behind_slow_pull(seen: Observed, subject: Entity) -> list[Evidence]:
    """Other images whose pull began only as a minutes-long pull ended (kubelet's serial queue)."""
    pulls = _pulls(seen, subject)
    evidence: list[Evidence] = []
    for slow in (p for p in pulls if p.seconds >= 120):
        for other in pulls:
            if other.image == slow.image or other.clock != slow.clock:
                continue
            gap = other.start - slow.end
            if -5 <= gap <= 90:
                evidence.extend([slow.evidence[1], other.evidence[0]])
    return list(dict.fromkeys(evidence))
