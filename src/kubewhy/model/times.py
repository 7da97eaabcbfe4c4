"""Timestamps as parsers see them, before the year and zone are known.

Many log formats carry neither a year (klog, syslog/journald short) nor a zone. A parser
returns a :class:`Stamp`; the timeline resolves it with the year and zone inferred from the
rest of the evidence.

>>> from datetime import datetime, UTC
>>> s = Stamp(datetime(1900, 9, 7, 7, 4, 17), has_year=False)
>>> s.resolve(TimeContext(year=2021, tz_offset_minutes=480)).isoformat()
'2021-09-06T23:04:17+00:00'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone


@dataclass(frozen=True, slots=True)
class TimeContext:
    """The year and UTC offset assumed for stamps that do not say."""

    year: int
    tz_offset_minutes: int = 0

    def zone(self) -> timezone:
        return timezone(timedelta(minutes=self.tz_offset_minutes))


@dataclass(frozen=True, slots=True)
class Stamp:
    """A parsed time; naive values are local to the source, aware values are exact."""

    value: datetime
    has_year: bool = True

    def resolve(self, ctx: TimeContext) -> datetime:
        value = self.value
        if not self.has_year:
            try:
                value = value.replace(year=ctx.year)
            except ValueError:  # 29 February in a year that has none
                value = value.replace(year=ctx.year, day=28)
        if value.tzinfo is None:
            value = value.replace(tzinfo=ctx.zone())
        return value.astimezone(UTC)
