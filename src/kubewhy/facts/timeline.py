"""Year and zone for stamps that do not carry them, inferred from the rest of the evidence.

klog and syslog lines have no year and no zone. Exact timestamps elsewhere in the evidence
(API objects, etcd's JSON, a trace's ``started: 2021-09-07 07:04:16 +0800 CST``) are anchors:

- the year is the anchors' most common year;
- a file's zone is the zone its own exact stamps show; else the most common non-UTC zone of the
  logs' exact stamps (hosts log in their local zone; the API always speaks UTC, so its ``Z`` says
  nothing about the hosts); else UTC, or what the user gives with ``--timezone``.

>>> from datetime import datetime, timedelta, timezone
>>> cst = timezone(timedelta(hours=8))
>>> anchors = [Stamp(datetime(2021, 9, 10, 17, 14, tzinfo=cst))]
>>> ctx = infer_context(anchors, local_anchors=anchors)
>>> ctx.year, ctx.tz_offset_minutes
(2021, 480)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone

from kubewhy.model.times import Stamp, TimeContext
from kubewhy.parsers.journald import MONTHS

# An exact timestamp inside free text:
# 2021-09-07 07:04:16.635225967 +0800 CST, 2021-09-10T17:14:50.559+0800
EXACT = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.\d+)?\s?(Z|[+-]\d\d:?\d\d)(?![\d:])"
)


# RFC 1123 with a numeric zone, as kubectl describe prints: Wed, 12 Apr 2023 16:40:31 +0800
RFC1123 = re.compile(
    r"(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d\d):(\d\d):(\d\d) ([+-]\d{4})"
)


def _zone(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _stamp(parts: tuple[int, int, int, int, int, int], zone: str) -> Stamp | None:
    year, month, day, hour, minute, second = parts
    try:
        return Stamp(datetime(year, month, day, hour, minute, second, tzinfo=_zone(zone)))
    except ValueError:
        return None


def exact_stamps(lines: Iterable[str], limit: int = 20) -> list[Stamp]:
    """Exact timestamps (with year and zone) found in ``lines``, a file's head.

    >>> [s.value.isoformat() for s in exact_stamps(["(started: 2021-09-07 07:04:16.6 +0800 CST)"])]
    ['2021-09-07T07:04:16+08:00']
    >>> [s.value.isoformat() for s in exact_stamps(["Start Time: Wed, 12 Apr 2023 16:40:31 +0800"])]
    ['2023-04-12T16:40:31+08:00']
    """
    found: list[Stamp] = []
    for line in lines:
        for m in EXACT.finditer(line):
            parts = tuple(int(m.group(i)) for i in range(1, 7))
            stamp = _stamp(parts, m.group(7))  # type: ignore[arg-type]
            if stamp:
                found.append(stamp)
        for m in RFC1123.finditer(line):
            day, year = int(m.group(1)), int(m.group(3))
            parts = (
                year,
                MONTHS[m.group(2)],
                day,
                int(m.group(4)),
                int(m.group(5)),
                int(m.group(6)),
            )
            stamp = _stamp(parts, m.group(7))
            if stamp:
                found.append(stamp)
        if len(found) >= limit:
            return found[:limit]
    return found


def offset_minutes(stamp: Stamp) -> int | None:
    offset = stamp.value.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def infer_context(
    anchors: Sequence[Stamp],
    local_anchors: Sequence[Stamp] = (),
    forced_offset_minutes: int | None = None,
    now: datetime | None = None,
) -> TimeContext:
    years = Counter(s.value.year for s in anchors if s.has_year)
    year = years.most_common(1)[0][0] if years else (now or datetime.now(UTC)).year
    if forced_offset_minutes is not None:
        return TimeContext(year, forced_offset_minutes)
    zones = Counter(
        off for s in local_anchors if (off := offset_minutes(s)) is not None and off != 0
    )
    return TimeContext(year, zones.most_common(1)[0][0] if zones else 0)


def file_context(base: TimeContext, head_stamps: Sequence[Stamp], forced: bool) -> TimeContext:
    """The context for one file: its own zone when its exact stamps show one."""
    if forced or not head_stamps:
        return base
    zones = Counter(off for s in head_stamps if (off := offset_minutes(s)) is not None)
    return TimeContext(base.year, zones.most_common(1)[0][0])
