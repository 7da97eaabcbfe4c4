"""Named Python checks for symptoms that data alone cannot express.

A check receives what the evidence shows (:class:`Observed`: the facts, the symptom hits, the
analysed goroutine dumps) and one subject entity, and returns the evidence that makes it true,
or an empty list. Keep each check small and named after what it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations

from kubewhy.facts.goroutines import (
    Convoy,
    DumpAnalysis,
    Holder,
    Leak,
    QuotedWaitKind,
    application_function,
    is_excerpt,
    location_of,
    quoted_wait_of,
)
from kubewhy.facts.store import FactStore
from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import UNKNOWN_NODE, Entity, Kind
from kubewhy.model.evidence import Evidence
from kubewhy.model.hits import Clock, SymptomHit
from kubewhy.parsers.goroutines import GoroutineGroup


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


def _mode_hits(seen: Observed, failure_mode: str) -> list[SymptomHit]:
    """The hits of one failure mode, picked once per diagnosis: a check runs for every
    subject, and a cluster dump has thousands of nodes and hits."""

    def pick() -> list[SymptomHit]:
        return [hit for hit in seen.hits if hit.failure_mode == failure_mode]

    return seen.store.memo(("mode-hits", failure_mode), pick)


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


# -- goroutine dumps ------------------------------------------------------------------------


def dumps_of(seen: Observed, subject: Entity) -> list[DumpAnalysis]:
    """The analysed goroutine dumps of the subject's component on any node (a component is one
    entity across its instances), or, for another subject, of every component on its node (a
    dump that names no node may be from it)."""
    if subject.kind == Kind.COMPONENT.value:
        return [d for d in seen.dumps if d.entity.name == subject.name]
    return [
        d
        for d in seen.dumps
        if d.entity.node == UNKNOWN_NODE or _on_subject_node(d.entity, subject)
    ]


# Goroutines a healthy instance of a component runs at the busy end of normal: the yardstick a
# pile-up at one site is held against. They grow with the work: the kubelet's with its pods
# (pod and probe workers; about a thousand at 40 pods, kubernetes#19341), the API server's and
# etcd's with their watches and clients (each open watch keeps goroutines), the runtimes' with
# their containers. A Go program kubewhy does not know gets the default.
NORMAL_GOROUTINES = {
    "kube-apiserver": 10_000,
    "etcd": 2_000,
    "kube-controller-manager": 2_000,
    "kubelet": 2_000,
    "kube-scheduler": 1_000,
    "containerd": 1_000,
    "docker": 1_000,
    "crio": 1_000,
}
NORMAL_GOROUTINES_DEFAULT = 1_000
# A pile-up is the tail of the dump's distribution: one site holds at least this share of all
# goroutines, and stands out of the other sites: this many times their median (a few leaks
# among many small sites), or twice the biggest of them (one leak beside worker pools).
PILE_UP_SHARE = 0.2
TAIL_FACTOR = 10
OUTGROWS_FACTOR = 2
# Against the component's normal count: a moderate leak holds half of it at the one site; a huge
# one holds more than all of it, and most of the dump's goroutines.
MODERATE_OF_NORMAL = 0.5
HUGE_SHARE = 0.5
# Leaked goroutines stay where they parked: ten minutes is far past any request's timeout.
LONG_PARKED_MINUTES = 10


def normal_goroutines(component: str) -> int:
    return NORMAL_GOROUTINES.get(component, NORMAL_GOROUTINES_DEFAULT)


@dataclass(frozen=True)
class LeakSite:
    """A site where a dump's goroutines pile up, measured against the rest of the dump and
    against what the component normally runs."""

    dump: DumpAnalysis
    leak: Leak
    # The median and the largest goroutine count of the dump's other sites.
    median_other: float
    largest_other: int

    @property
    def in_tail(self) -> bool:
        count = self.leak.count
        stands_out = (
            count >= TAIL_FACTOR * self.median_other
            or count >= OUTGROWS_FACTOR * self.largest_other
        )
        return self.share >= PILE_UP_SHARE and stands_out

    @property
    def share(self) -> float:
        return self.leak.count / max(self.dump.report.total, 1)

    @property
    def normal(self) -> int:
        return normal_goroutines(self.dump.entity.name)

    @property
    def moderate(self) -> bool:
        return self.leak.count >= MODERATE_OF_NORMAL * self.normal

    @property
    def huge(self) -> bool:
        return self.leak.count >= self.normal and self.share >= HUGE_SHARE

    def evidence(self) -> Evidence:
        leak = self.leak
        waited = f", up to {leak.max_wait_minutes} minutes" if leak.max_wait_minutes else ""
        text = (
            f"{leak.count} of {self.dump.report.total} goroutines ({self.share:.0%}) "
            f"[{leak.state}{waited}] at {leak.site}; the other sites hold {self.median_other:g} "
            f"at the median, {self.largest_other} at most; {self.dump.entity.name} normally "
            f"runs about {self.normal}"
        )
        return Evidence(self.dump.source, None, None, text)


def _median(values: list[int]) -> float:
    import statistics  # imported when a dump has leaks: most runs read no dump

    return statistics.median(values)


def _piled_up(dump: DumpAnalysis) -> list[LeakSite]:
    per_site: dict[str, int] = {}
    for group in dump.report.groups:
        per_site[group.function] = per_site.get(group.function, 0) + group.count
    found = []
    for leak in dump.report.leaks:
        others = sorted(n for function, n in per_site.items() if function != leak.function)
        median = _median(others) if others else 0.0
        site = LeakSite(dump, leak, median, others[-1] if others else 0)
        if site.in_tail:
            found.append(site)
    return found


def leak_sites(seen: Observed, subject: Entity) -> list[LeakSite]:
    """The sites where goroutines pile up in the subject's dumps, most goroutines first."""

    def measure() -> list[LeakSite]:
        sites = [site for dump in dumps_of(seen, subject) for site in _piled_up(dump)]
        return sorted(sites, key=lambda s: (-s.leak.count, s.leak.function))

    return seen.store.memo(("leak-sites", subject), measure)


@check
def goroutines_pile_up_at_one_site(seen: Observed, subject: Entity) -> list[Evidence]:
    """One site holds a fifth or more of a dump's goroutines and stands out of the other sites
    (see ``LeakSite.in_tail``): the tail of the distribution, whatever the program."""
    return [site.evidence() for site in leak_sites(seen, subject)[:3]]


@check
def goroutine_site_rivals_component_normal(seen: Observed, subject: Entity) -> list[Evidence]:
    """A piled-up site alone holds half the goroutines the component normally runs."""
    return [site.evidence() for site in leak_sites(seen, subject) if site.moderate][:3]


@check
def goroutine_site_dwarfs_component_normal(seen: Observed, subject: Entity) -> list[Evidence]:
    """A piled-up site holds more goroutines than the component normally runs, and most of the
    dump's."""
    return [site.evidence() for site in leak_sites(seen, subject) if site.huge][:3]


@check
def piled_up_goroutines_parked_for_minutes(seen: Observed, subject: Entity) -> list[Evidence]:
    """Goroutines of a piled-up site have been parked there ten minutes or more."""
    return [
        site.evidence()
        for site in leak_sites(seen, subject)
        if (site.leak.max_wait_minutes or 0) >= LONG_PARKED_MINUTES
    ][:3]


# A goroutine parked this long on a channel send will not be woken: the receiver it waits for
# is gone (a caller that gave up on a timeout, a consumer loop that returned). Healthy programs
# wait long in receives and selects (idle workers), not in sends.
STUCK_SEND_MINUTES = 60


@check
def goroutines_stuck_sending_for_an_hour(seen: Observed, subject: Entity) -> list[Evidence]:
    """Goroutines of a dump parked on a channel send for an hour or more, however few: an
    excerpt of one such goroutine is what people paste from a leaking program's dump."""
    found: list[tuple[int, Evidence]] = []
    for dump in dumps_of(seen, subject):
        for group in dump.dump.groups:
            stuck = [(m, n) for (state, m), n in group.waits.items() if state == "chan send"]
            longest = max((m for m, _ in stuck), default=0)
            if longest < STUCK_SEND_MINUTES:
                continue
            count = sum(n for m, n in stuck if m >= STUCK_SEND_MINUTES)
            text = (
                f"{count} goroutine(s) of {dump.entity.name} [chan send, up to {longest} minutes]"
                f" at {application_function(group)}: nothing receives what they send"
            )
            found.append((longest, Evidence(dump.source, None, None, text)))
    found.sort(key=lambda item: -item[0])
    return [evidence for _, evidence in found[:3]]


# A queue behind a held lock is long from a tenth of the dump's goroutines, and holds most of
# them from half; a lock held ten minutes is stuck, whatever the queue.
QUEUE_TENTH = 0.1
QUEUE_MOST = 0.5
LOCK_HELD_MINUTES = 10


@dataclass(frozen=True)
class LockQueue:
    """The goroutines of one dump queued behind one likely holder (convoys on several functions
    that take one lock share their holder), or on one function where no holder is named."""

    dump: DumpAnalysis
    convoys: tuple[Convoy, ...]

    @property
    def holder(self) -> Holder | None:
        return self.convoys[0].holder

    @property
    def waiters(self) -> int:
        return sum(c.waiters for c in self.convoys)

    @property
    def longest(self) -> int | None:
        return max((c.max_wait_minutes for c in self.convoys if c.max_wait_minutes), default=None)

    @property
    def share(self) -> float:
        return self.waiters / max(self.dump.report.total, 1)

    @property
    def held(self) -> bool:
        """The lock is held, not passed around: a blocked goroutine is inside the critical
        section, or waiters have waited a minute (Go stamps waits from one minute on; a
        contended lock hands over in microseconds). Without either, one dump cannot tell a
        stuck lock from ordinary contention. A holder in a syscall or an I/O wait without a
        stamp is a goroutine doing I/O right now (a SIGQUIT dump shows a goroutine running a
        ``write`` as ``[syscall]``), and one running or runnable is working inside its critical
        section: neither says anything about a stuck lock (a busy server caught mid-section)."""
        if self.longest is not None:
            return True
        holder = self.holder
        if holder is None or holder.critical_section is None:
            return False
        working = holder.state.startswith(("syscall", "IO wait", "running", "runnable"))
        return holder.wait_minutes is not None or not working

    def functions(self) -> str:
        first = self.convoys[0].lock_function
        more = len(self.convoys) - 1
        return f"{first} and {more} more function(s)" if more else first

    def holder_text(self) -> str:
        holder = self.holder
        if holder is None:
            return "no likely holder in the dump"
        return holder.describe() + holder.inside() + holder.waiting_for()

    def evidence(self) -> Evidence:
        waited = f" (up to {self.longest} minutes)" if self.longest else ""
        text = (
            f"{self.waiters} of {self.dump.report.total} goroutines ({self.share:.0%}) wait to "
            f"lock in {self.functions()}{waited}; likely holder: {self.holder_text()}"
        )
        return Evidence(self.dump.source, None, None, text)


def queues_of(dump: DumpAnalysis) -> list[LockQueue]:
    by_holder: dict[int | str, list[Convoy]] = {}
    for convoy in dump.report.convoys:
        key: int | str = convoy.holder.goroutine if convoy.holder else convoy.lock_function
        by_holder.setdefault(key, []).append(convoy)
    return [LockQueue(dump, tuple(convoys)) for convoys in by_holder.values()]


def lock_queues(seen: Observed, subject: Entity) -> list[LockQueue]:
    """Queues behind a held lock in the subject's dumps, most waiters first."""

    def measure() -> list[LockQueue]:
        queues = [q for dump in dumps_of(seen, subject) for q in queues_of(dump) if q.held]
        return sorted(queues, key=lambda q: (-q.waiters, q.convoys[0].lock_function))

    return seen.store.memo(("lock-queues", subject), measure)


@check
def goroutines_queue_behind_a_held_lock(seen: Observed, subject: Entity) -> list[Evidence]:
    """Goroutines queue on a mutex whose holder does not let go (see ``LockQueue.held``)."""
    return [queue.evidence() for queue in lock_queues(seen, subject)[:3]]


@check
def lock_queue_holds_a_tenth_of_goroutines(seen: Observed, subject: Entity) -> list[Evidence]:
    """A tenth or more of the dump's goroutines queue behind a held lock."""
    return [q.evidence() for q in lock_queues(seen, subject) if q.share >= QUEUE_TENTH][:3]


@check
def lock_queue_holds_most_goroutines(seen: Observed, subject: Entity) -> list[Evidence]:
    """Most of the dump's goroutines queue behind one named holder."""
    return [
        q.evidence()
        for q in lock_queues(seen, subject)
        if q.share >= QUEUE_MOST and q.holder is not None
    ][:3]


@check
def lock_waiters_waited_minutes(seen: Observed, subject: Entity) -> list[Evidence]:
    """Waiters of a held lock have waited ten minutes or more."""
    return [
        q.evidence() for q in lock_queues(seen, subject) if (q.longest or 0) >= LOCK_HELD_MINUTES
    ][:3]


# --- goroutines quoted from a dump ---------------------------------------------------------------


@dataclass(frozen=True)
class QuotedWait:
    """A goroutine of an excerpt (``is_excerpt``) and what it waits for (``quoted_wait_of``)."""

    dump: DumpAnalysis
    group: GoroutineGroup
    wait: QuotedWaitKind

    def evidence(self) -> Evidence:
        group = self.group
        ident = group.representative_id
        name = f"goroutine {ident}" if ident is not None else "a goroutine"
        function = application_function(group)
        where = location_of(group, function)
        text = (
            f"{name} [{group.representative_state}] of {self.dump.entity.name} waits "
            f"{self.wait.what}, in {function}{f' ({where})' if where else ''}: the goroutine "
            f"quoted from its dump (an excerpt of {self.dump.report.total})"
        )
        return Evidence(self.dump.source, None, None, text)


def quoted_waits(seen: Observed, subject: Entity, kind: str) -> list[QuotedWait]:
    """Goroutines of the subject's excerpts that wait in the way ``kind`` names."""

    def measure() -> list[QuotedWait]:
        return [
            QuotedWait(dump, group, wait)
            for dump in dumps_of(seen, subject)
            if is_excerpt(dump.dump)
            for group in dump.dump.ranked()
            if (wait := quoted_wait_of(group, dump.entity.name)) is not None
        ]

    every = seen.store.memo(("quoted-waits", subject), measure)
    return [w for w in every if w.wait.kind == kind]


@check
def quoted_goroutine_waits_for_a_lock(seen: Observed, subject: Entity) -> list[Evidence]:
    """A goroutine quoted from a component's dump waits to take a mutex: someone cut it from
    the dump as the one that matters, though one goroutine cannot show the lock is held."""
    return [q.evidence() for q in quoted_waits(seen, subject, "lock")][:3]


@check
def quoted_goroutine_waits_on_the_runtime(seen: Observed, subject: Entity) -> list[Evidence]:
    """A goroutine quoted from a runtime's or the kubelet's dump waits for the reply of the next
    runtime down (dockerd for containerd, containerd for a shim, the kubelet for the CRI)."""
    return [q.evidence() for q in quoted_waits(seen, subject, "runtime")][:3]


@check
def quoted_goroutine_in_a_filesystem_call(seen: Observed, subject: Entity) -> list[Evidence]:
    """A goroutine quoted from a dump is in a system call inside a stat, statfs or unmount:
    calls a local filesystem answers at once (how long it has waited the excerpt may not say)."""
    return [q.evidence() for q in quoted_waits(seen, subject, "filesystem")][:3]


# The kubelet's network plugin manager (pkg/kubelet/network, later dockershim/network) serialises
# a pod's network calls under one lock per pod and a manager-wide one: a queue on it behind a
# held lock is a CNI call that does not return.
_NETWORK_PLUGIN_LOCK = lazy_compile(
    r"network\.\(\*PluginManager\)\.(?:GetPodNetworkStatus|SetUpPod|TearDownPod)"
)


@check
def network_plugin_lock_held(seen: Observed, subject: Entity) -> list[Evidence]:
    """Goroutines queue behind a held lock in the kubelet's network plugin manager (the lock a
    hung CNI ADD, DEL or status call keeps)."""
    return [
        q.evidence()
        for q in lock_queues(seen, subject)
        if any(_NETWORK_PLUGIN_LOCK.search(c.lock_function) for c in q.convoys)
    ][:3]


# Calls that return at once on a healthy node: a netlink request to the kernel, a mount or
# unmount (mount-utils runs mount(8) and waits for it). A goroutine in one of them for minutes is
# stuck in the kernel (a hung mount, a netlink socket nobody answers), and whatever it holds (a
# lock, a per-volume operation) is held as long. A stat parked as long is the NFS failure mode's
# own goroutine signature. A check, not a goroutine signature: a signature's match keeps only a
# count per failure mode, and this one's evidence and culprit need the call and the function.
_QUICK_CALLS = lazy_compile(r"[Nn]etlink|\.\(\*\w*[Mm]ounter\)\.(?:Mount|Unmount)\b|mount-utils")


@dataclass(frozen=True)
class StuckCall:
    """Goroutines of one dump in a system call, for minutes, inside a call that returns at once."""

    dump: DumpAnalysis
    function: str
    count: int
    minutes: int
    call: str

    def evidence(self) -> Evidence:
        text = (
            f"{self.count} goroutine(s) in {self.function} have been in a system call for "
            f"{self.minutes} minutes, inside {self.call}: a call that returns at once on a "
            "healthy node does not return"
        )
        return Evidence(self.dump.source, None, None, text)


def stuck_quick_calls(seen: Observed, subject: Entity) -> list[StuckCall]:
    """Goroutines of the subject's dumps stuck ten minutes or more in a quick call, longest
    first."""
    found = []
    for dump in dumps_of(seen, subject):
        for group in dump.report.groups:
            minutes = group.max_wait_minutes or 0
            if not group.state.startswith("syscall") or minutes < LOCK_HELD_MINUTES:
                continue
            frames = [*group.frames, group.function]
            call = next((f for f in frames if _QUICK_CALLS.search(f)), None)
            if call is not None:
                name = call.split(" (", 1)[0]
                found.append(StuckCall(dump, group.function, group.count, minutes, name))
    return sorted(found, key=lambda s: -s.minutes)


@check
def goroutine_stuck_in_a_quick_call(seen: Observed, subject: Entity) -> list[Evidence]:
    """Goroutines have been in a system call for ten minutes or more inside a call that returns
    at once on a healthy node (netlink, mount or unmount)."""
    return [stuck.evidence() for stuck in stuck_quick_calls(seen, subject)[:3]]


# --- DNS queries sent again at the resolver's timeout -------------------------------------------

# The gaps at which a stub resolver sends an unanswered query again, with resolv.conf's defaults
# (timeout:5, attempts:2): musl every timeout/attempts (2.5 s), glibc after the timeout (5 s), and
# glibc's next try after twice the timeout.
RESOLVER_RETRY_SECONDS = (2.5, 5.0, 10.0)
# A resend is timed from the first send: it is never early, and late only by scheduling.
RETRY_EARLY, RETRY_LATE = 0.02, 0.3
QUERY_SYMPTOMS = ("tcpdump-dns-query", "coredns-query-logged")
_CLOCK = lazy_compile(r"^\s*(?:\d{4}-\d\d-\d\d[T ])?(\d\d):(\d\d):(\d\d(?:\.\d+)?)")


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


# --- a pids limit on the container runtime's own service --------------------------------------

# The services whose cgroup holds every container's processes when the runtime does not delegate
# them elsewhere (docker before systemd cgroups, and the shims of containerd and CRI-O).
_RUNTIME_SERVICES = lazy_compile(r"(?:^|/)(?:docker|containerd|crio|cri-o|k3s|k3s-agent)\.service$")
# Forks and thread starts refused: what a full pids cgroup does to the programs inside it.
_REFUSED_TASKS = ("container-runtime-fork-failure", "node-pid-exhaustion")
# systemd's DefaultTasksMax is 15% of the kernel's task limit (4,915 for pid_max 32,768): a
# cap sized for a service, not for every container of a node.
RUNTIME_SERVICE_TASKS_CAP = 32_768


@check
def runtime_service_pids_capped(seen: Observed, subject: Entity) -> list[Evidence]:
    """The container runtime's service cgroup has a pids limit of a service's size (systemd's
    TasksMax), and forks or thread starts were refused on the node."""
    if subject.kind != Kind.CGROUP.value or not _RUNTIME_SERVICES.search(subject.name):
        return []
    limit = seen.store.fact(subject, "cgroup.pids.max")
    if limit is None or not isinstance(limit.value, int) or limit.value > RUNTIME_SERVICE_TASKS_CAP:
        return []
    refused = [
        hit
        for hit in seen.hits
        if hit.failure_mode in _REFUSED_TASKS
        and hit.samples
        and _on_subject_node(hit.entity, subject)
    ]
    if not refused:
        return []
    cited = [limit.evidence] if limit.evidence is not None else []
    return [*cited, refused[0].samples[0]]


# --- a wait on a device's references that ended ---------------------------------------------------

# The kernel repeats the wait line every 10 s while it holds the rtnl lock; a device taken down
# later than that means the lock was free again.
NETDEV_WAIT_REPEAT_SECONDS = 10


@check
def device_teardown_went_on_after_the_wait(seen: Observed, subject: Entity) -> list[Evidence]:
    """Devices were taken down ten seconds or more after the last unregister_netdevice wait on
    the subject's node: the wait ended."""
    mine = [
        hit
        for hit in _mode_hits(seen, "unregister-netdevice-hang")
        if _on_subject_node(hit.entity, subject)
    ]
    waits = [h.last for h in mine if h.symptom == "waiting-to-become-free" and h.last]
    if not waits:
        return []
    last_wait = max(waits)
    later = [
        sample
        for h in mine
        if h.symptom == "device-teardown-line"
        for sample in h.samples
        if sample.time is not None
        and (sample.time - last_wait).total_seconds() >= NETDEV_WAIT_REPEAT_SECONDS
    ]
    return later[:1]


# The CPU limit at or under which a container restarted by its liveness probe is a lead for
# starvation: a tenth to a quarter of a core stretches a JVM's or a Go server's start-up tenfold.
LOW_CPU_LIMIT_MILLICORES = 250
_PROBE_RESTARTS = ("restarted-by-probe", "restarted-by-probe-old")


@check
def liveness_kills_under_a_low_cpu_limit(seen: Observed, subject: Entity) -> list[Evidence]:
    """The container has a CPU limit of a quarter core or less and the kubelet restarted it
    because its liveness (or startup) probe failed."""
    if subject.kind != Kind.CONTAINER.value:
        return []
    store = seen.store
    limit = store.value(subject, "container.cpu_limit_millicores")
    if not isinstance(limit, int) or limit > LOW_CPU_LIMIT_MILLICORES:
        return []
    name = subject.name.rpartition("/")[2]
    kills = [
        hit
        for hit in _mode_hits(seen, "probe-failure")
        if hit.symptom in _PROBE_RESTARTS
        and hit.groups.get("container") == name
        and (hit.entity.node in (None, subject.node) or hit.entity.name == subject.node)
    ]
    if not kills:
        return []
    return store.evidence(subject, ["container.cpu_limit_millicores"]) + [
        ev for hit in kills for ev in hit.samples[:2]
    ]


@check
def forwarding_off_where_dns_forwarding_fails(seen: Observed, subject: Entity) -> list[Evidence]:
    """The node does not forward IPv4 and the same evidence shows DNS queries from pods (the
    cluster DNS server's to its upstream, a pod's to the DNS Service) timing out: what a node
    that routes no pod traffic looks like."""
    store = seen.store
    if store.value(subject, "sysctl.net.ipv4.ip_forward") != 0:
        return []
    timeouts = [
        hit
        for hit in _mode_hits(seen, "dns-timeout")
        if _on_subject_node(hit.entity, subject) or hit.entity.node is None
    ]
    if not timeouts:
        return []
    return store.evidence(subject, ["sysctl.net.ipv4.ip_forward"]) + timeouts[0].samples[:2]


# Go's x509.HostnameError: "x509: certificate is valid for A, B, not C"; gRPC names the address it
# dialled first ("createTransport failed to connect to {https://host:2379 0  <nil>}").
_VALID_FOR = lazy_compile(
    r"certificate is valid for (?P<names>[^\n]+?), not (?P<checked>[\w.:\[\]-]+)"
)
_DIALLED = lazy_compile(r"connect to \{(?:https?://)?(?P<host>\[[^\]\s]+\]|[^\s:{}]+):\d+")


@check
def etcd_client_checked_another_members_name(seen: Observed, subject: Entity) -> list[Evidence]:
    """The API server dialled an etcd member whose certificate names that very member, and checked
    it against another name: the certificate is right and the client sent the wrong server name."""
    found = []
    for hit in _mode_hits(seen, "apiserver-etcd-client-balancer-servername-bug"):
        if (hit.entity.kind, hit.entity.name) != (subject.kind, subject.name):
            continue  # components are one subject by name, whatever node a line came from
        for ev in hit.samples:
            dialled, valid = _DIALLED.search(ev.text), _VALID_FOR.search(ev.text)
            if dialled is None or valid is None:
                continue
            host = dialled.group("host").strip("[]")
            names = {name.strip() for name in valid.group("names").split(",")}
            if host in names and valid.group("checked").rstrip(".").strip("[]") != host:
                found.append(ev)
    return found


# --- connectivity probes (ping, telnet/nc, curl/wget) of one address, compared -------------------

_PROBE_PREFIX = "node.probe."


def _probes(seen: Observed, subject: Entity) -> dict[str, dict[str, str]]:
    """The probes of each address from this node: {address: {icmp|tcp|app: outcome}}, read once
    per subject for the three checks that compare them."""

    def read() -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for name, value in seen.store.own(subject).items():
            if name.startswith(_PROBE_PREFIX) and isinstance(value, str):
                kind, _, address = name[len(_PROBE_PREFIX) :].partition(".")
                found.setdefault(address, {})[kind] = value
        return found

    return seen.store.memo(("probes", subject), read)


def _probe_evidence(
    seen: Observed, subject: Entity, address: str, kinds: list[str]
) -> list[Evidence]:
    names = [f"{_PROBE_PREFIX}{kind}.{address}" for kind in kinds]
    return seen.store.evidence(subject, names)


@check
def ping_answered_where_tcp_gets_no_answer(seen: Observed, subject: Entity) -> list[Evidence]:
    """An address answers ping while a TCP connection to it gets no answer at all (no SYN-ACK, no
    RST, no ICMP error): not a route or a host that is down, but something that loses TCP and not
    ICMP on the way, as an overlay whose TCP checksums are offloaded wrong does."""
    found: list[Evidence] = []
    for address, seen_of in _probes(seen, subject).items():
        if seen_of.get("icmp") != "answered" or seen_of.get("tcp") == "connected":
            continue
        if seen_of.get("tcp") == "timeout" or seen_of.get("app") in ("timeout", "hung"):
            kinds = ["icmp"] + [k for k in ("tcp", "app") if k in seen_of]
            found += _probe_evidence(seen, subject, address, kinds)
    return found


@check
def connected_but_nothing_comes_back(seen: Observed, subject: Entity) -> list[Evidence]:
    """A TCP connection to an address is made (telnet, nc) and an HTTP request to it then hangs:
    the small handshake packets pass and the full-size ones do not, what a path MTU smaller than
    the interface's does."""
    found: list[Evidence] = []
    for address, seen_of in _probes(seen, subject).items():
        if seen_of.get("tcp") == "connected" and seen_of.get("app") in ("timeout", "hung"):
            found += _probe_evidence(seen, subject, address, ["tcp", "app"])
    return found


@check
def ping_answered_where_tcp_is_rejected_unreachable(
    seen: Observed, subject: Entity
) -> list[Evidence]:
    """An address answers ping while TCP to it fails at once with "No route to host": the host
    is up and routed, so the EHOSTUNREACH is an ICMP host-prohibited sent back by a firewall's
    REJECT (firewalld's and the iptables-services default's)."""
    found: list[Evidence] = []
    for address, seen_of in _probes(seen, subject).items():
        if seen_of.get("icmp") == "answered" and "unreachable" in (
            seen_of.get("tcp"),
            seen_of.get("app"),
        ):
            kinds = ["icmp"] + [k for k in ("tcp", "app") if seen_of.get(k) == "unreachable"]
            found += _probe_evidence(seen, subject, address, kinds)
    return found


# containerd's CRI plugin: "An error occurs during waiting for container %q to be stopped|killed"
_WAITED_FOR = lazy_compile(
    r"waiting for container \\?\"(?P<id>[0-9a-f]{12,64})\\?\" to be (?:stopped|killed)"
)


@check
def exit_delivered_yet_stop_waited(seen: Observed, subject: Entity) -> list[Evidence]:
    """containerd logged the TaskExit event of a container whose stop then still timed out
    waiting for its exit: the event was delivered, and containerd's handling of it is what
    stalled (the runtime hung), not a shim that lost it."""
    hits = [
        h
        for h in _mode_hits(seen, "runtime-task-exit-event-lost")
        if _on_subject_node(h.entity, subject)
    ]
    delivered = {h.part: h for h in hits if h.symptom == "task-exit-delivered" and h.part}
    found: list[Evidence] = []
    for hit in hits:
        if hit.symptom != "cri-wait-for-stop-timed-out":
            continue
        for ev in hit.samples:
            waited = _WAITED_FOR.search(ev.text)
            if waited is None:
                continue
            exited = next((d for cid, d in delivered.items() if cid.startswith(waited["id"])), None)
            if exited is not None:
                found += [*exited.samples[:1], ev]
    return found
