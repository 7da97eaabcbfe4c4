"""Named Python checks for symptoms that data alone cannot express.

A check receives what the evidence shows (:class:`Observed`: the facts, the symptom hits, the
analysed goroutine dumps) and one subject entity, and returns the evidence that makes it true,
or an empty list. Keep each check small and named after what it finds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

from kubewhy.facts.goroutines import DumpAnalysis
from kubewhy.facts.store import FactStore
from kubewhy.model.entities import UNKNOWN_NODE, Entity, Kind
from kubewhy.model.evidence import Evidence
from kubewhy.model.hits import SymptomHit


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
    """One image's pull on a node, from the first to the last line that mentions it."""

    image: str
    entity: Entity
    start: datetime
    end: datetime
    evidence: list[Evidence]
    # One Pulling and one Pulled line: the span is that pull's.
    single: bool = False

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


PULL_SYMPTOMS = ("pull-started", "pull-stopped", "pull-done", "pull-took-minutes")


def _pull_hits(seen: Observed) -> list[SymptomHit]:
    return [
        hit
        for hit in seen.hits
        if hit.failure_mode == "serialized-image-pulls"
        and hit.symptom in PULL_SYMPTOMS
        and hit.part
    ]


def _pulls(seen: Observed, subject: Entity) -> list[Pull]:
    spans: dict[str, list[SymptomHit]] = {}
    for hit in seen.store.memo("pull-hits", lambda: _pull_hits(seen)):
        if hit.part and _on_subject_node(hit.entity, subject):
            spans.setdefault(hit.part, []).append(hit)
    pulls = []
    for image, hits in spans.items():
        timed = [h for h in hits if h.first is not None and h.last is not None]
        if not timed:
            continue
        first = min(timed, key=lambda h: h.first or datetime.max)
        last = max(timed, key=lambda h: h.last or datetime.min)
        if first.first is None or last.last is None:
            continue
        evidence = [first.samples[0], last.samples[-1]]
        # Name the pod that pulls the image where some source says it (events, describe).
        pods = [h.entity for h in hits if h.entity.kind == Kind.POD.value]
        owner = pods[0] if pods else first.entity
        counts: dict[str, int] = {}
        for h in hits:
            counts[h.symptom] = counts.get(h.symptom, 0) + h.count
        single = counts.get("pull-started") == 1 and counts.get("pull-done") == 1
        pulls.append(Pull(image, owner, first.first, last.last, evidence, single))
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
            if other.image == slow.image:
                continue
            gap = (other.start - slow.end).total_seconds()
            if -5 <= gap <= 90:
                evidence.extend([slow.evidence[1], other.evidence[0]])
    return list(dict.fromkeys(evidence))


# --- DNS queries sent again at the resolver's timeout -------------------------------------------

# The gaps at which a stub resolver sends an unanswered query again, with resolv.conf's defaults
# (timeout:5, attempts:2): musl every timeout/attempts (2.5 s), glibc after the timeout (5 s), and
# glibc's next try after twice the timeout.
RESOLVER_RETRY_SECONDS = (2.5, 5.0, 10.0)
# A resend is timed from the first send: it is never early, and late only by scheduling.
RETRY_EARLY, RETRY_LATE = 0.02, 0.3
QUERY_SYMPTOMS = ("tcpdump-dns-query", "coredns-query-logged")
_CLOCK = re.compile(r"^\s*(?:\d{4}-\d\d-\d\d[T ])?(\d\d):(\d\d):(\d\d(?:\.\d+)?)")


def _second_of_day(evidence: Evidence) -> float | None:
    """When a line was written, in seconds of its day: its parsed time, else the clock a capture
    starts its lines with (tcpdump prints only the time of day)."""
    if evidence.time is not None:
        t = evidence.time
        return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
    found = _CLOCK.match(evidence.text)
    if found is None:
        return None
    return int(found.group(1)) * 3600 + int(found.group(2)) * 60 + float(found.group(3))


def _at_retry_cadence(gap: float) -> bool:
    return any(q - RETRY_EARLY <= gap <= q + RETRY_LATE for q in RESOLVER_RETRY_SECONDS)


@check
def dns_query_resent_at_resolver_timeout(seen: Observed, subject: Entity) -> list[Evidence]:
    """The same DNS query (client, port, query id, type and name), seen again one resolver
    timeout after it was first sent: the first send, or its answer, was lost."""
    evidence: list[Evidence] = []
    for hit in seen.hits:
        if (
            hit.failure_mode != "dns-resolver-timeout-retry"
            or hit.symptom not in QUERY_SYMPTOMS
            or hit.count < 2
            or not _on_subject_node(hit.entity, subject)
        ):
            continue
        sent = [(t, ev) for ev in hit.samples if (t := _second_of_day(ev)) is not None]
        # Every pair, either way round the clock: samples from several files are not in time
        # order, and a capture may cross midnight.
        for (t0, before), (t1, after) in combinations(sent, 2):
            gap = min((t1 - t0) % 86400, (t0 - t1) % 86400)
            if _at_retry_cadence(gap):
                evidence.extend([before, after] if (t1 - t0) % 86400 == gap else [after, before])
                break
    return list(dict.fromkeys(evidence))
