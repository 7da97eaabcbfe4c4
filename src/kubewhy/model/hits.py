"""Symptom hits: log lines and records that matched a knowledge-base pattern, aggregated.

A flood (the same line two million times) is kept as a count, first and last time and a few
samples, never as two million rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence


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

    def add(
        self,
        evidence: Evidence,
        groups: dict[str, str],
        blamed: str | None = None,
        max_samples: int = 5,
    ) -> None:
        self.count += 1
        if blamed:
            self.blamed[blamed] = self.blamed.get(blamed, 0) + 1
        if evidence.time is not None:
            if self.first is None or evidence.time < self.first:
                self.first = evidence.time
            if self.last is None or evidence.time > self.last:
                self.last = evidence.time
        if len(self.samples) < max_samples:
            self.samples.append(evidence)
            for key, value in groups.items():
                self.groups.setdefault(key, value)
        else:
            # Keep the first samples and the latest one: the start and the state now.
            self.samples[-1] = evidence
