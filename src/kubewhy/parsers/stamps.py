"""Exact timestamps (with year and zone) found in free text: the anchors that tell the year and
zone of the stamps that carry neither (klog, syslog)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

from kubewhy.model.times import Stamp
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
