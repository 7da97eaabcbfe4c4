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

# An exact timestamp inside free text:
# 2021-09-07 07:04:16.635225967 +0800 CST, 2021-09-10T17:14:50.559+0800
EXACT = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.\d+)?\s?(Z|[+-]\d\d:?\d\d)(?![\d:])"
)


def exact_stamps(lines: Iterable[str], limit: int = 20) -> list[Stamp]:
    """Exact timestamps found in ``lines`` (a file's head).

    >>> [s.value.isoformat() for s in exact_stamps(["(started: 2021-09-07 07:04:16.6 +0800 CST)"])]
    ['2021-09-07T07:04:16+08:00']
    """
    found: list[Stamp] = []
    for line in lines:
        for m in EXACT.finditer(line):
            zone_text = m.group(7)
            if zone_text == "Z":
                zone = UTC
            else:
                sign = -1 if zone_text[0] == "-" else 1
                digits = zone_text[1:].replace(":", "")
                zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
            year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
            try:
                value = datetime(year, month, day, hour, minute, second, tzinfo=zone)
            except ValueError:
                continue
            found.append(Stamp(value))
            if len(found) >= limit:
                return found
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
