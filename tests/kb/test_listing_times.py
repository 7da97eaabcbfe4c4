"""Event ages on their listing's own clock: spans measured inside one listing, never against a
wall-clock time or another listing's ages, never shown as a time.

Pulling/Pulled rows are in describe's layout (k8s.io/kubectl describe.go DescribeEvents) and the
kubelet line in klog's, written for these tests unless a thread is named.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from kubewhy.facts.store import FactStore
from kubewhy.kb.checks import Observed, one_pull_took_minutes
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.hits import SymptomHit
from kubewhy.model.times import ListingTime
from kubewhy.pipeline import Request, diagnose

DATA = Path(__file__).resolve().parents[1] / "parsers" / "data"
IMAGE = "registry.example.com/ml/trainer:3.1"
NODE = Entity.for_node("node-1")


def _evidence(
    line: int, listed: ListingTime | None = None, time: datetime | None = None
) -> Evidence:
    return Evidence("events.txt", line, time, f"line {line}", listed)


def _pull_hit(symptom: str, evidence: Evidence) -> SymptomHit:
    hit = SymptomHit("serialized-image-pulls", symptom, NODE, part=IMAGE)
    hit.add(evidence, {"image": IMAGE})
    return hit


def test_a_hit_spans_each_listing_apart() -> None:
    hit = SymptomHit("fm", "s", NODE)
    hit.add(_evidence(1, ListingTime("a.txt", 1, -452)), {})
    hit.add(_evidence(2, ListingTime("a.txt", 1, -27)), {})
    hit.add(_evidence(3, ListingTime("b.txt", 1, -3600)), {})
    assert hit.listed == {("a.txt", 1): (-452, -27), ("b.txt", 1): (-3600, -3600)}
    assert hit.first is None and hit.last is None  # no wall-clock time was invented
    assert hit.lasted() == 425
    other = SymptomHit("fm", "s", NODE)
    other.add(_evidence(4, ListingTime("b.txt", 1, -60)), {}, count=5)
    hit.merge(other)
    assert hit.listed[("b.txt", 1)] == (-3600, -60)
    assert hit.count == 8
    assert hit.lasted() == 3540


def test_a_row_seen_over_a_while_lasts_that_while() -> None:
    # "5m (x12 over 10m)": the first of twelve 10 minutes before the listing, the last 5.
    hit = SymptomHit("fm", "s", NODE)
    hit.add(
        _evidence(1, ListingTime("d.txt", 1, -300)),
        {},
        count=12,
        since=ListingTime("d.txt", 1, -600),
    )
    assert (hit.count, hit.lasted()) == (12, 300)


def test_one_listing_measures_a_pull() -> None:
    listing = ("describe.txt", 1)
    hits = [
        _pull_hit("pull-started", _evidence(5, ListingTime(*listing, -452))),
        _pull_hit("pull-done", _evidence(6, ListingTime(*listing, -27))),
    ]
    cited = one_pull_took_minutes(Observed(FactStore(), hits), NODE)
    assert [ev.line for ev in cited] == [5, 6]


def test_truncated_ages_measure_only_what_they_guarantee() -> None:
    # Pulling "12m" and Pulled "10m" ago: kubectl truncates to the minute, so the pull took
    # more than one minute and less than three; it is not shown to have taken two.
    listing = ("describe.txt", 1)
    hits = [
        _pull_hit("pull-started", _evidence(5, ListingTime(*listing, -720, 60))),
        _pull_hit("pull-done", _evidence(6, ListingTime(*listing, -600, 60))),
    ]
    assert one_pull_took_minutes(Observed(FactStore(), hits), NODE) == []
    hit = SymptomHit("fm", "s", NODE)
    for evidence in (
        _evidence(5, ListingTime(*listing, -720, 60)),
        _evidence(6, ListingTime(*listing, -600, 60)),
    ):
        hit.add(evidence, {})
    assert hit.lasted() == 60


def test_two_listings_never_measure_a_pull_between_them() -> None:
    # Pulling in one describe, Pulled in another printed at some other moment: no span.
    hits = [
        _pull_hit("pull-started", _evidence(5, ListingTime("first.txt", 1, -452))),
        _pull_hit("pull-done", _evidence(6, ListingTime("second.txt", 1, -27))),
    ]
    assert one_pull_took_minutes(Observed(FactStore(), hits), NODE) == []


def test_ages_never_meet_wall_clock_times() -> None:
    # Pulling as an age in a describe, Pulled as a kubelet log line with its time: the two are on
    # no common clock, so they measure nothing together.
    pulled_at = datetime(2024, 3, 1, 10, 7, 42, tzinfo=UTC)
    hits = [
        _pull_hit("pull-started", _evidence(5, ListingTime("describe.txt", 1, -452))),
        _pull_hit("pull-done", _evidence(9, time=pulled_at)),
    ]
    assert one_pull_took_minutes(Observed(FactStore(), hits), NODE) == []


def test_a_slow_pull_in_a_pasted_events_block(tmp_path: Path) -> None:
    # Real: jupyterhub/mybinder.org-deploy#1729, a pod's events alone: Pulling 7m32s and Pulled
    # 27s before the describe was printed, and no duration in the Pulled event.
    path = tmp_path / "describe.txt"
    path.write_text((DATA / "describe_events_mybinder.txt").read_text())
    found = diagnose(Request(paths=(path,)))
    slow = next(f for f in found.findings if f.failure_mode == "slow-image-pull")
    assert slow.entity.name == "gke-prod-user-202009-b9c03ca0-v8jc"
    assert slow.first_seen is None and slow.last_seen is None
    cited = {ref.id: ref for ref in slow.evidence}
    lines = sorted(cited[i].line or 0 for link in slow.chain for i in link.evidence)
    assert lines == [5, 6]
    # Ages are shown as no time at all: the listing never said when it was printed.
    assert all(ref.time is None for f in found.findings for ref in f.evidence)
    assert found.timeline == []
