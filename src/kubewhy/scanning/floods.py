"""Fold floods of matches into bounded summaries.

The PLEG line every 100 ms for a week is 6 million matches; a finding needs how many, since and
until when, how fast over time, and a few lines to cite. Memory is bounded per key, not per match.

>>> from datetime import UTC, datetime, timedelta
>>> from kubewhy.scanning.scanner import LineMatch
>>> agg = HitAggregator(samples_head=1, samples_tail=1, bucket_seconds=600)
>>> start = datetime(2023, 7, 23, 22, 0, tzinfo=UTC)
>>> for n in range(1, 1001):
...     agg.add(0, LineMatch(n, 0, f"PLEG #{n}", (0,)), start + timedelta(seconds=n))
>>> group = agg.groups()[0]
>>> group.count, [s.text for s in group.samples], sorted(group.rate.values())
(1000, ['PLEG #1', 'PLEG #1000'], [401, 599])
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from kubewhy.scanning.scanner import LineMatch

MAX_BUCKETS = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class HitGroup:
    """Every match of one key, summarised."""

    key: Hashable
    count: int
    first_time: datetime | None
    last_time: datetime | None
    samples: list[LineMatch]  # the first head and last tail matches, in order
    rate: dict[datetime, int] = field(default_factory=dict)  # matches per bucket start (UTC)
    bucket_seconds: int = 3600  # width of the rate buckets (grows when there are too many)


class _Tally:
    __slots__ = ("count", "current", "first", "head", "last", "rate", "tail", "width")

    def __init__(self, tail: int, width: int) -> None:
        self.count = 0
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.head: list[LineMatch] = []
        self.tail: deque[LineMatch] = deque(maxlen=tail)
        self.rate: dict[int, int] = {}  # bucket start, epoch seconds -> matches
        self.width = width
        # The bucket the last time fell in: (start, end, start in epoch seconds).
        self.current = (_EPOCH, _EPOCH, 0)


class HitAggregator:
    """Counts, time span, rate and samples of matches per key."""

    def __init__(
        self, samples_head: int = 3, samples_tail: int = 2, bucket_seconds: int = 3600
    ) -> None:
        if bucket_seconds < 1:
            raise ValueError("bucket_seconds must be at least 1")
        self._head = samples_head
        self._tail = samples_tail
        self._width = bucket_seconds
        self._tallies: dict[Hashable, _Tally] = {}

    def add(self, key: Hashable, match: LineMatch, time: datetime | None) -> None:
        tally = self._tallies.get(key)
        if tally is None:
            tally = self._tallies[key] = _Tally(self._tail, self._width)
        tally.count += 1
        if len(tally.head) < self._head:
            tally.head.append(match)
        elif self._tail:
            tally.tail.append(match)
        if time is None:
            return
        if time.tzinfo is not UTC:
            time = time.replace(tzinfo=UTC) if time.tzinfo is None else time.astimezone(UTC)
        if tally.first is None or time < tally.first:
            tally.first = time
        if tally.last is None or time > tally.last:
            tally.last = time
        low, high, bucket = tally.current
        if not low <= time < high:  # floods stay in one bucket for long: skip the arithmetic
            seconds = int(time.timestamp())
            bucket = seconds - seconds % tally.width
            low = datetime.fromtimestamp(bucket, UTC)
            tally.current = (low, low + timedelta(seconds=tally.width), bucket)
        tally.rate[bucket] = tally.rate.get(bucket, 0) + 1
        if len(tally.rate) > MAX_BUCKETS:
            _widen(tally)

    def groups(self) -> list[HitGroup]:
        """One group per key, in the order the keys were first seen."""
        return [
            HitGroup(
                key=key,
                count=tally.count,
                first_time=tally.first,
                last_time=tally.last,
                samples=[*tally.head, *tally.tail],
                rate={
                    datetime.fromtimestamp(start, UTC): hits
                    for start, hits in sorted(tally.rate.items())
                },
                bucket_seconds=tally.width,
            )
            for key, tally in self._tallies.items()
        ]


def _widen(tally: _Tally) -> None:
    """Double the bucket width until the buckets fit (epoch-aligned, so buckets pair up)."""
    tally.current = (_EPOCH, _EPOCH, 0)
    while len(tally.rate) > MAX_BUCKETS:
        tally.width *= 2
        merged: dict[int, int] = {}
        for start, hits in tally.rate.items():
            bucket = start - start % tally.width
            merged[bucket] = merged.get(bucket, 0) + hits
        tally.rate = merged
