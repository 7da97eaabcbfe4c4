"""Symptom hits: log lines and records that matched a knowledge-base pattern, aggregated.

A flood (the same line two million times) is kept as a count, first and last time and a few
samples, never as two million rows. Lines of listings that print ages instead of times
(kubectl's events) are placed on their listing's own clock: a span measured there is a real
duration, though no wall-clock time is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.times import ListingTime

Clock = tuple[str, int]


@dataclass
class SymptomHit:
    failure_mode: str
    symptom: str
    entity: Entity
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    samples: list[Evidence] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)
    # The value of the symptom's split_by group, when hits are counted apart by it.
    part: str | None = None
    # Names the lines blame (``LogSymptom.blames``), with how many lines blame each.
    blamed: dict[str, int] = field(default_factory=dict)
    # The programs that wrote the lines (a journal identifier, the input's component), when known.
    writers: set[str] = field(default_factory=set)
    # The memory cgroups whose OOM reports hold every line of the hit (empty: not all inside).
    within: set[str] = field(default_factory=set)
    # Per listing that prints ages, on its clock (seconds from when it was printed): the latest
    # the first line can have been seen and the earliest the last line can have been seen (ages
    # are truncated), so that their difference is a span the ages guarantee. Never set against
    # ``first``/``last`` or another listing's moments.
    listed: dict[Clock, tuple[float, float]] = field(default_factory=dict)

    def lasted(self) -> float:
        """Seconds from the first line to the last: by wall clock, or the least span one
        listing's ages allow (the longest either shows); 0 when no line tells when it was seen."""
        spans = [hi - lo for lo, hi in self.listed.values()]
        if self.first is not None and self.last is not None:
            spans.append((self.last - self.first).total_seconds())
        return max([0.0, *spans])

    def _widen(self, moment: datetime | ListingTime | None) -> None:
        if isinstance(moment, ListingTime):
            earliest = moment.seconds - moment.precision
            self._widen_listed(moment.clock, moment.seconds, earliest)
        elif moment is not None:
            if self.first is None or moment < self.first:
                self.first = moment
            if self.last is None or moment > self.last:
                self.last = moment

    def merge(self, other: SymptomHit, max_samples: int = 5) -> None:
        """Fold in the same symptom's hits from another file."""
        self.count += other.count
        firsts = [t for t in (self.first, other.first) if t is not None]
        lasts = [t for t in (self.last, other.last) if t is not None]
        self.first = min(firsts) if firsts else None
        self.last = max(lasts) if lasts else None
        samples = self.samples + other.samples
        if len(samples) > max_samples:
            samples = samples[: max_samples - 1] + samples[-1:]
        self.samples = samples
        for key, value in other.groups.items():
            self.groups.setdefault(key, value)
        for name, count in other.blamed.items():
            self.blamed[name] = self.blamed.get(name, 0) + count
        self.writers |= other.writers
        self.within = self.within | other.within if self.within and other.within else set()
        for clock, (lo, hi) in other.listed.items():
            self._widen_listed(clock, lo, hi)

    def _widen_listed(self, clock: Clock, lo: float, hi: float) -> None:
        known = self.listed.get(clock, (lo, hi))
        self.listed[clock] = (min(known[0], lo), max(known[1], hi))

    def add(
        self,
        evidence: Evidence,
        groups: dict[str, str],
        blamed: str | None = None,
        max_samples: int = 5,
        *,
        count: int = 1,
        since: datetime | ListingTime | None = None,
    ) -> None:
        """One line of evidence that stands for ``count`` occurrences (an event row counts its
        repeats), the first of them at ``since`` when the line says (an event's first
        timestamp; the evidence's own time is the last)."""
        self.count += count
        if blamed:
            self.blamed[blamed] = self.blamed.get(blamed, 0) + 1
        self._widen(evidence.time)
        self._widen(evidence.listed)
        self._widen(since)
        if len(self.samples) < max_samples:
            self.samples.append(evidence)
            for key, value in groups.items():
                self.groups.setdefault(key, value)
        else:
            # Keep the first samples and the latest one: the start and the state now.
            self.samples[-1] = evidence
