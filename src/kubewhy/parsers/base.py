"""What every parser returns, and the two parser shapes.

*Log formats* (klog, journald, zap JSON, logrus, kernel log, plain text) are never parsed line by
line in full: the scanning engine finds the lines that match a knowledge-base pattern, and only
those lines go through the format's :meth:`LogFormat.parse_line` for time, host and component.

*Document formats* (describe output, objects, events tables, ps, sysctl, limits, uname, ...)
are small and structured: :meth:`DocumentFormat.parse` reads the whole text into facts, and into
records (event messages, statuses) that the knowledge-base patterns are matched against like
log lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from kubewhy.model.entities import Entity
from kubewhy.model.facts import Fact
from kubewhy.model.times import Stamp

if TYPE_CHECKING:
    from kubewhy.parsers.goroutines import GoroutineDump


@dataclass(frozen=True, slots=True)
class LogLine:
    """The parts of one log line that the reasoning needs."""

    stamp: Stamp | None
    host: str | None
    component: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Record:
    """A line of text to match symptom patterns against, with what is known about it."""

    text: str
    line: int | None
    stamp: Stamp | None = None
    entity: Entity | None = None
    component: str | None = None
    # How many occurrences the line stands for (an event seen 12 times is one row) and when the
    # first of them was seen, ``stamp`` being the last.
    count: int = 1
    since: Stamp | None = None


@dataclass
class ParseResult:
    facts: list[Fact] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    # Entities seen in the document (nodes, pods, ...), even those without facts.
    entities: list[Entity] = field(default_factory=list)
    # Full, exact timestamps seen (year and zone known): anchors for the timeline.
    anchors: list[Stamp] = field(default_factory=list)
    # Goroutine dumps found in the document (a SIGQUIT dump, pprof output, a dump in a log).
    goroutine_dumps: list[GoroutineDump] = field(default_factory=list)
    malformed: int = 0


# Exact stamps kept per document: enough to place it in time (a list of events has thousands).
MAX_ANCHORS = 256


def add_anchor(result: ParseResult, moment: datetime | None) -> None:
    """Keep ``moment`` (aware UTC) as one of the document's exact time anchors."""
    if moment is not None and len(result.anchors) < MAX_ANCHORS:
        result.anchors.append(Stamp(moment))


T = TypeVar("T")


def each_record(result: ParseResult, items: Iterable[T], read: Callable[[T], bool]) -> None:
    """``read(item)`` into ``result`` for every item (a series, a row, a line) of a document.
    An item it refuses (False) or fails on counts as malformed and leaves nothing half-added:
    whatever one hostile value raises (a timestamp past year 9999, a number of 5000 digits, a
    bug of the parser), it costs that item, never the rest of the document.

    >>> result = ParseResult()
    >>> def read(value: str) -> bool:
    ...     result.records.append(Record(value, None))
    ...     return int(value) > 0
    >>> each_record(result, ["1", "x", "0", "3"], read)
    >>> [r.text for r in result.records], result.malformed
    (['1', '0', '3'], 2)
    """
    for item in items:
        marks = (len(result.facts), len(result.records), len(result.entities), len(result.anchors))
        try:
            kept = read(item)
        except Exception:  # any failure of one item; counted, and the next item is read
            kept = False
            del result.facts[marks[0] :], result.records[marks[1] :]
            del result.entities[marks[2] :], result.anchors[marks[3] :]
        if not kept:
            result.malformed += 1


@dataclass(frozen=True, slots=True)
class Context:
    """What is known about an input before parsing it: its node and component, from its path,
    the bundle manifest or the user."""

    source: str
    node: str | None = None
    component: str | None = None
    namespace: str | None = None
    pod: str | None = None
    # The command whose output this is (a section of a pasted terminal session).
    command: str | None = None
    # The program whose own words that output is (not a viewer of others' logs).
    program: str | None = None


# What a format's sniff needs to score above 0, declared beside it as ``hints``: a head it can
# score holds at least one of them in one of its lines (a ``str`` as a substring, a pattern
# found by ``search``). Derived from the sniff's code, never from samples: a necessary
# condition, so detection may skip a format whose hints are all absent (registry.detect).
# A format without ``hints`` is always asked.
Hint = str | re.Pattern[str]


class LogFormat(Protocol):
    name: str

    def sniff(self, head: Sequence[str]) -> float:
        """How sure (0..1) this format is that ``head`` (the first lines) is its own."""
        ...

    def parse_line(self, line: str) -> LogLine | None:
        """Time, host, component and message of one line; None if it is not of this format."""
        ...


class DocumentFormat(Protocol):
    name: str

    def sniff(self, head: Sequence[str]) -> float: ...

    def parse(self, text: str, ctx: Context) -> ParseResult: ...
