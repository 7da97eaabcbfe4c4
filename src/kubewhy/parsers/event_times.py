"""When an event row says it was seen: kubectl's ages, repeat counts, and old absolute times.

kubectl prints event times as ages from its own clock when it printed the listing, a clock the
listing never shows. ``k8s.io/apimachinery/pkg/util/duration`` words them: ``HumanDuration``
(describe and ``get events`` of newer releases: ``27s``, ``7m32s``, ``3h12m``, ``3d4h``,
``2y15d``), ``ShortHumanDuration`` in older ones (``27s``, ``7m``, ``3d``); both print
``<invalid>`` for a time more than a second ahead of that clock (skew). A zero time is
``<unknown>``. A repeated event reads ``LAST (xCOUNT over FIRST)`` (``kubectl describe``'s
DescribeEvents, ``kubectl events``), both ages. Before 1.0, describe printed
``time.RFC1123Z`` times (``Tue, 07 Apr 2015 12:08:30 -0700``).

An age becomes a stamp on the listing's own clock (:meth:`Stamp.before_listing`), with the unit
kubectl truncated it to (1 s up to 10 minutes, 1 min up to 3 hours, ...): moments of one listing
subtract to that precision, but none of them is a wall-clock time.

>>> seen = event_seen("5m (x12 over 10m)", listing=("describe.txt", 4))
>>> seen.count, seen.since.listed.seconds, seen.stamp.listed.seconds
(12, -600.0, -300.0)
>>> event_seen("Tue, 07 Apr 2015 12:08:30 -0700", listing=("e", 1)).stamp.value.isoformat()
'2015-04-07T19:08:30+00:00'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from kubewhy.model.times import Stamp

# HumanDuration / ShortHumanDuration: units from years down to seconds, each at most once.
_AGE = re.compile(r"^(?:(\d+)y)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNIT_SECONDS = (365 * 86400, 86400, 3600, 60, 1)
_INTERVAL = re.compile(r"^(?P<last>\S+)\s+\(x(?P<count>\d+) over (?P<first>\S+)\)$")
RFC1123Z = r"\w{3}, \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
# An Age cell as describe prints it: an age or a placeholder, maybe with its repeat count.
AGE_CELL = r"(?:<unknown>|<invalid>|\d+[smhdy][\dsmhdy]*)(?: \(x\d+ over \S+\))?"


def age_seconds(text: str) -> float | None:
    """Seconds an age stands for; ``<invalid>`` (ahead of kubectl's clock) is 0: as late as the
    listing can tell. None for what is not an age (``<unknown>``, a word).

    >>> age_seconds("7m32s"), age_seconds("3d4h"), age_seconds("<invalid>"), age_seconds("1h0m")
    (452.0, 273600.0, 0.0, 3600.0)
    >>> age_seconds("<unknown>") is None, age_seconds("") is None, age_seconds("Normal") is None
    (True, True, True)
    """
    text = text.strip()
    if text == "<invalid>":
        return 0.0
    found = _AGE.match(text)
    if not found or not any(found.groups()):
        return None
    return float(
        sum(int(v) * unit for v, unit in zip(found.groups(), _UNIT_SECONDS, strict=True) if v)
    )


def age_precision(text: str) -> float:
    """The unit of an age's last figure: kubectl truncates to it (``12m`` is 12 to 13 minutes;
    ``7m`` may be 7m0s exactly or, from the older printer, up to 8 minutes).

    >>> [age_precision(age) for age in ("7m32s", "12m", "3d4h", "<invalid>")]
    [1.0, 60.0, 3600.0, 0.0]
    """
    found = _AGE.match(text.strip())
    if not found or not any(found.groups()):
        return 0.0
    last = max(i for i, value in enumerate(found.groups()) if value)
    return float(_UNIT_SECONDS[last])


def absolute_time(text: str) -> datetime | None:
    """An RFC 1123 time with a numeric zone (``Thu, 17 Feb 2022 16:51:05 -0500``) as aware UTC;
    None for anything else and for Go's zero time (printed for an event never stamped).

    >>> absolute_time("Thu, 17 Feb 2022 16:51:05 -0500").isoformat()
    '2022-02-17T21:51:05+00:00'
    """
    try:
        value = datetime.strptime(text.strip(), "%a, %d %b %Y %H:%M:%S %z")
    except ValueError:
        return None
    return value.astimezone(UTC) if value.year > 1970 else None


def is_time_cell(text: str) -> bool:
    """Whether a cell reads as an event time: an age, a repeat interval or an RFC 1123 time."""
    text = text.strip()
    return (
        text == "<unknown>"
        or age_seconds(text) is not None
        or _INTERVAL.match(text) is not None
        or absolute_time(text) is not None
    )


@dataclass(frozen=True, slots=True)
class Seen:
    """When an event row says it was seen: the last time, the first (when it says), how often."""

    stamp: Stamp | None
    since: Stamp | None
    count: int


def _stamp(cell: str, listing: tuple[str, int]) -> Stamp | None:
    moment = absolute_time(cell)
    if moment is not None:
        return Stamp(moment)
    ago = age_seconds(cell)
    if ago is None:
        return None
    return Stamp.before_listing(ago, *listing, precision=age_precision(cell))


def event_seen(
    last: str,
    first: str | None = None,
    count: str | None = None,
    *,
    listing: tuple[str, int],
) -> Seen:
    """The times and count of an event row from its cells: ``last`` (an Age or LAST SEEN cell,
    maybe ``LAST (xN over FIRST)``), ``first`` (FirstSeen / FIRST SEEN) and ``count`` (COUNT).
    ``listing`` (input, first line) names the listing whose clock the ages are on."""
    last = last.strip()
    times = 1
    interval = _INTERVAL.match(last)
    if interval:
        last, first, times = interval["last"], interval["first"], int(interval["count"])
    if count and count.strip().isdigit():
        times = int(count.strip())
    stamp = _stamp(last, listing)
    since = _stamp(first, listing) if first else None
    if since is not None and since == stamp:
        since = None
    return Seen(stamp, since, max(times, 1))
