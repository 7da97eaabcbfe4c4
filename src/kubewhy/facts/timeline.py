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

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from kubewhy.model.times import Stamp, TimeContext


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
