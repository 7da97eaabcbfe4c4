"""Java thread dumps (``jstack``, ``jcmd PID Thread.print``, ``kill -3`` to stdout): the threads a
JVM holds, grouped by name.

Each thread starts with a header line (HotSpot's ``JavaThread::print_on``): the name in quotes,
``#N`` (its serial number, JDK 9+), ``daemon``, ``prio``/``os_prio``, ``cpu``/``elapsed`` (JDK
11+), ``tid``, ``nid`` and what it is doing, then ``java.lang.Thread.State: ...`` and its frames.
A leak shows as many threads of one name, the name's number aside (``pool-7-thread-4312``,
``JMX server connection timeout 8203``), and, with ``elapsed``, started at a steady cadence and
none finished. The reader states the largest group as one line (a record) for the failure modes'
patterns, with the facts it rests on.

>>> dump = '\\n'.join(f'"worker {n}" #{n} daemon prio=5 os_prio=0 cpu=1.0ms'
...                   f' elapsed={9000 - 300 * n}.00s tid=0x00007f nid=0x{n:x} in Object.wait()'
...                   for n in range(1, 5))
>>> result = JVM_THREAD_DUMP.parse(dump, Context("jstack.txt"))
>>> result.records[0].text
'JVM thread dump: 4 of 4 threads named "worker N", one started every 300 s, the oldest 8700 s ago'
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult, Record

_HEADER = re.compile(
    r'^"(?P<name>[^"]*)"(?: #(?P<serial>\d+))?(?: daemon)?(?: prio=\d+)?(?: os_prio=-?\d+)?'
    r"(?: cpu=[\d.]+ms)?(?: elapsed=(?P<elapsed>[\d.]+)s)?(?: (?:allocated|defined_classes)=\S+)*"
    r" tid=0x[0-9a-f]+ nid=(?:0x)?[0-9a-f]+\b"
)
_NUMBER = re.compile(r"\d+")
# Fewer threads of one name than this are a pool, not a pile.
MIN_GROUP = 3
# A cadence is steady when every gap between starts is within an eighth of a whole number of
# beats.
STEADY = 0.25


@dataclass
class _Group:
    name: str
    count: int = 0
    first_line: int = 0
    first_text: str = ""
    elapsed: list[float] | None = None


class JvmThreadDump:
    name = "jvm-thread-dump"
    hints = ("Full thread dump ", " tid=0x")

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        # jstack prints the time, then HotSpot's banner (and its thread list's addresses).
        if any(line.startswith("Full thread dump ") for line in lines[:3]):
            return 0.95
        headers = sum(1 for line in lines[:40] if _HEADER.match(line))
        return 0.9 if headers >= 2 and headers >= 0.3 * min(len(lines), 40) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        groups: dict[str, _Group] = {}
        total = 0
        for n, line in enumerate(text.splitlines(), 1):
            header = _HEADER.match(line)
            if header is None:
                continue
            total += 1
            key = _NUMBER.sub("N", header.group("name"))
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(key, first_line=n, first_text=line.strip())
            group.count += 1
            if header.group("elapsed") is not None:
                group.elapsed = [*(group.elapsed or []), float(header.group("elapsed"))]
        if not groups:
            return result
        top = max(groups.values(), key=lambda g: g.count)
        jvm = Entity.component(ctx.component or ctx.program or "java", ctx.node)
        result.entities.append(jvm)
        evidence = Evidence(ctx.source, top.first_line, None, top.first_text)
        values: list[tuple[str, Value]] = [
            ("jvm.threads", total),
            ("jvm.thread_group", top.name),
            ("jvm.thread_group_count", top.count),
            ("jvm.thread_group_share", round(top.count / total, 4)),
        ]
        cadence = _cadence(top.elapsed) if top.count >= MIN_GROUP else None
        if cadence is not None:
            values.append(("jvm.thread_group_cadence_seconds", cadence))
        result.facts.extend(Fact(name, jvm, value, evidence) for name, value in values)
        if top.count >= MIN_GROUP:
            result.records.append(
                Record(_statement(top, total, cadence), top.first_line, entity=jvm)
            )
        return result


def _cadence(elapsed: list[float] | None) -> float | None:
    """The steady gap between the group's threads' starts, in seconds, when there is one: every
    gap a whole multiple of the median gap (an excerpt that skips some threads keeps the beat).

    >>> _cadence([7989.3, 7688.8, 7387.8, 7087.1, 6184.7, 5884.1])
    301
    >>> _cadence([100.0, 90.0, 20.0]) is None
    True
    """
    if not elapsed or len(elapsed) < MIN_GROUP:
        return None
    ages = sorted(elapsed)
    gaps = [b - a for a, b in itertools.pairwise(ages)]
    beat = statistics.median(gaps)
    if beat <= 0:
        return None
    for gap in gaps:
        beats = round(gap / beat)
        if beats < 1 or abs(gap / beat - beats) > STEADY / 2:
            return None
    return round(beat)


def _statement(group: _Group, total: int, cadence: float | None) -> str:
    text = f'JVM thread dump: {group.count} of {total} threads named "{group.name}"'
    if cadence is not None and group.elapsed:
        text += f", one started every {cadence:.0f} s, the oldest {max(group.elapsed):.0f} s ago"
    return text


JVM_THREAD_DUMP = JvmThreadDump()
FORMATS = [JVM_THREAD_DUMP]
