"""A flood of matches keeps exact counts in bounded memory."""

from __future__ import annotations

import pickle
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone

from kubewhy.scanning.floods import MAX_BUCKETS, HitAggregator
from kubewhy.scanning.scanner import LineMatch


def test_a_million_matches_keep_exact_count_in_bounded_memory() -> None:
    aggregator = HitAggregator(samples_head=3, samples_tail=2, bucket_seconds=60)
    start = datetime(2023, 7, 17, tzinfo=UTC)
    step = timedelta(milliseconds=604.8)  # one million matches over a week
    total = 1_000_000
    key = ("pleg", "node-1")
    for n in range(total - 50_000):
        aggregator.add(
            key, LineMatch(n + 1, n * 120, "PLEG is not healthy", (0,)), start + n * step
        )
    # The last matches under tracemalloc: what is kept must not grow with them.
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for n in range(total - 50_000, total):
            match = LineMatch(n + 1, n * 120, "PLEG is not healthy", (0,))
            aggregator.add(key, match, start + n * step)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (group,) = aggregator.groups()
    assert group.count == total
    assert group.first_time == start
    assert group.last_time == start + (total - 1) * step
    assert [s.line_no for s in group.samples] == [1, 2, 3, total - 1, total]
    assert len(group.rate) <= MAX_BUCKETS
    assert sum(group.rate.values()) == total
    assert group.bucket_seconds % 60 == 0 and group.bucket_seconds > 60
    # Memory does not grow with the number of matches (only a few buckets and samples).
    assert after - before < 64 * 1024
    assert len(pickle.dumps(group)) < 64 * 1024


def test_keys_times_and_zones() -> None:
    aggregator = HitAggregator(samples_head=1, samples_tail=0)
    plus_two = timezone(timedelta(hours=2))
    aggregator.add("a", LineMatch(1, 0, "x", (0,)), datetime(2023, 7, 23, 12, 30, tzinfo=plus_two))
    aggregator.add("a", LineMatch(2, 2, "x", (0,)), datetime(2023, 7, 23, 10, 45))  # naive: UTC
    aggregator.add("b", LineMatch(3, 4, "y", (1,)), None)
    first, second = aggregator.groups()
    assert (first.key, first.count, second.key, second.count) == ("a", 2, "b", 1)
    assert first.first_time == datetime(2023, 7, 23, 10, 30, tzinfo=UTC)
    assert first.last_time == datetime(2023, 7, 23, 10, 45, tzinfo=UTC)
    assert first.rate == {datetime(2023, 7, 23, 10, tzinfo=UTC): 2}
    assert [s.line_no for s in first.samples] == [1]
    assert second.first_time is None and second.rate == {}
