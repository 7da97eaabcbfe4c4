"""Timestamps as parsers see them, before the year and zone are known.

Many log formats carry neither a year (klog, syslog/journald short) nor a zone. A parser
returns a :class:`Stamp`; the timeline resolves it with the year and zone inferred from the
rest of the evidence.

>>> from datetime import datetime, UTC
>>> s = Stamp(datetime(1900, 9, 7, 7, 4, 17), has_year=False)
>>> s.resolve(TimeContext(year=2021, tz_offset_minutes=480)).isoformat()
'2021-09-06T23:04:17+00:00'
>>> boot = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
>>> Stamp.after_boot(90.5).resolve(TimeContext(2026, boot=boot)).isoformat()
'2026-12-06T07:01:30.500000+00:00'
>>> Stamp.after_boot(90.5).resolve(TimeContext(2026)) is None
True

kubectl prints event times as ages (``7m32s``): a moment known only against the listing that
printed it. Such a stamp has no wall-clock time, ever; moments of one listing can be subtracted:

>>> pulling = Stamp.before_listing(452, "describe.txt", 5)
>>> pulled = Stamp.before_listing(27, "describe.txt", 5)
>>> pulling.resolve(TimeContext(2026)) is None
True
>>> pulled.listed.seconds - pulling.listed.seconds
425.0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from kubewhy.errors import UsageError
from kubewhy.lazy_re import lazy_compile

# The placeholder value of a stamp that counts from boot.
_BOOT = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TimeContext:
    """The year and UTC offset assumed for stamps that do not say, and when the machine that
    wrote a kernel log booted (its ``[seconds]`` stamps count from then)."""

    year: int
    tz_offset_minutes: int = 0
    boot: datetime | None = None

    def zone(self) -> timezone:
        return timezone(timedelta(minutes=self.tz_offset_minutes))


@dataclass(frozen=True, slots=True)
class ListingTime:
    """A moment on the clock of one listing: ``seconds`` after (negative: before) the moment the
    listing was printed. ``source`` and ``line`` (where the listing starts) name the listing.

    kubectl prints event times as ages from its own "now", which the listing does not show: two
    moments of one listing can be subtracted, but neither is a wall-clock time, and neither can
    be set against a moment of another listing or a log line. kubectl truncates ages (``12m``
    is 12 to 13 minutes): the moment lies up to ``precision`` seconds before ``seconds``."""

    source: str
    line: int
    seconds: float
    precision: float = 0.0

    @property
    def clock(self) -> tuple[str, int]:
        """The listing whose clock this moment is on: only moments of one clock compare."""
        return (self.source, self.line)


def unix_time(seconds: float) -> datetime | None:
    """The UTC moment ``seconds`` after the epoch; None where no clock shows it (infinite, NaN,
    outside years 1-9999): a value from a file is data, and a wrong one costs only its time.

    >>> unix_time(1700000000).isoformat(), unix_time(1e309), unix_time(-1e12)
    ('2023-11-14T22:13:20+00:00', None, None)
    """
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Stamp:
    """A parsed time; naive values are local to the source, aware values are exact. A kernel
    log's ``[seconds]`` since boot is ``since_boot`` (``value`` then unused): it has a wall-clock
    time only where the boot time is known. An age in a listing is ``listed`` (``value`` unused):
    it never has a wall-clock time."""

    value: datetime
    has_year: bool = True
    since_boot: float | None = None
    listed: ListingTime | None = None

    @staticmethod
    def after_boot(seconds: float) -> Stamp:
        return Stamp(_BOOT, True, seconds)

    @staticmethod
    def before_listing(seconds: float, source: str, line: int, precision: float = 0.0) -> Stamp:
        """``seconds`` (to ``precision``: an age's unit) before the listing that starts at
        ``line`` of ``source`` was printed."""
        moment = ListingTime(source, line, -float(seconds), float(precision))
        return Stamp(_BOOT, True, None, moment)

    def resolve(self, ctx: TimeContext) -> datetime | None:
        """The wall-clock time (UTC), or None when it has none, or none a clock can show (a
        kernel's ``[seconds]`` beyond year 9999, a year-1 stamp moved to UTC)."""
        try:
            return self._resolved(ctx)
        except (OverflowError, ValueError):
            return None

    def _resolved(self, ctx: TimeContext) -> datetime | None:
        if self.listed is not None:
            return None
        if self.since_boot is not None:
            return ctx.boot + timedelta(seconds=self.since_boot) if ctx.boot else None
        value = self.value
        if not self.has_year:
            try:
                value = value.replace(year=ctx.year)
            except ValueError:  # 29 February in a year that has none
                value = value.replace(year=ctx.year, day=28)
        if value.tzinfo is None:
            value = value.replace(tzinfo=ctx.zone())
        return value.astimezone(UTC)


_GO_DURATION_PART = lazy_compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def seconds_of(text: str) -> float | None:
    """A number of seconds, or a Go duration as Go prints it (``3m24.612s``, ``1h0m0s``,
    ``850ms``); None for anything else.

    >>> seconds_of("3m24.5s"), seconds_of("61.0015"), seconds_of("850ms"), seconds_of("x")
    (204.5, 61.0015, 0.85, None)
    """
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    total = 0.0
    at = 0
    for part in _GO_DURATION_PART.finditer(body):
        if part.start() != at:
            return None
        total += float(part.group(1)) * _GO_UNITS[part.group(2)]
        at = part.end()
    if at == 0 or at != len(body):
        return None
    return sign * total


# A Go duration (1h30m, 1.5h, 90s, 250ms) back from now, and days and weeks besides (2d12h);
# "ago" may follow (2h ago).
_PART = r"(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w)"
_RELATIVE = lazy_compile(rf"^-?((?:{_PART})+)(?:\s+ago)?$")
_PARTS = lazy_compile(_PART)
_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
}


def duration_seconds(text: str) -> float | None:
    """Seconds in a Go-style duration (``1h30m``), or None if ``text`` is not one.

    >>> duration_seconds("1h30m"), duration_seconds("2d12h"), duration_seconds("1.5h ago")
    (5400.0, 216000.0, 5400.0)
    >>> duration_seconds("90"), duration_seconds("1x")
    (None, None)
    """
    found = _RELATIVE.match(text.strip())
    if found is None:
        return None
    return float(sum(float(n) * _UNITS[unit] for n, unit in _PARTS.findall(found.group(1))))


def parse_time(text: str, now: datetime) -> datetime:
    """A point in time: RFC 3339, Unix seconds, ``now``, or a duration back from now (``30m``,
    ``1h30m``).

    >>> now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    >>> parse_time("30m", now).isoformat(), parse_time("1714564800", now).isoformat()
    ('2024-05-01T11:30:00+00:00', '2024-05-01T12:00:00+00:00')
    >>> parse_time("1h30m", now).isoformat(), parse_time("2024-05-01 10:00", now).isoformat()
    ('2024-05-01T10:30:00+00:00', '2024-05-01T10:00:00+00:00')
    >>> parse_time("2024-05-01T10:00:00+02:00", now).isoformat()
    '2024-05-01T08:00:00+00:00'
    """
    raw = text.strip()
    if raw == "now":
        return now
    back = duration_seconds(raw)
    if back is not None:
        return now - timedelta(seconds=back)
    try:
        return datetime.fromtimestamp(float(raw), tz=UTC)
    except (ValueError, OverflowError):
        pass
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"time {text!r}: use RFC 3339 (2024-05-01T10:00:00Z), Unix seconds, or a duration "
            "back from now (30m, 1h30m, 2d)"
        ) from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def zone_name(offset_minutes: int) -> str:
    """A UTC offset as ISO 8601 writes it.

    >>> zone_name(480), zone_name(-330), zone_name(0)
    ('+08:00', '-05:30', '+00:00')
    """
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """``--since``/``--until`` for evidence with times: lines outside are left out, lines
    without a time are kept (nothing says they are outside)."""

    since: datetime | None = None
    until: datetime | None = None

    def holds(self, moment: datetime | None) -> bool:
        if moment is None:
            return True
        if self.since is not None and moment < self.since:
            return False
        return self.until is None or moment <= self.until

    @staticmethod
    def parse(since: str | None, until: str | None, now: datetime) -> TimeWindow | None:
        """The window the user asked for, or None when they asked for none.

        >>> now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
        >>> w = TimeWindow.parse("2h", None, now)
        >>> w.holds(datetime(2024, 5, 1, 9, 0, tzinfo=UTC)), w.holds(now), w.holds(None)
        (False, True, True)
        """
        if since is None and until is None:
            return None
        start = parse_time(since, now) if since else None
        end = parse_time(until, now) if until else None
        if start is not None and end is not None and start >= end:
            raise UsageError(f"--since {start.isoformat()} is not before --until {end.isoformat()}")
        return TimeWindow(start, end)
