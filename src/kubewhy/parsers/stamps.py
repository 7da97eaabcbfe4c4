"""Exact timestamps (with year and zone) found in free text: the anchors that tell the year and
zone of the stamps that carry neither (klog, syslog)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone

from kubewhy.model.times import Stamp
from kubewhy.parsers.journald import MONTHS

# An exact timestamp inside free text:
# 2021-09-07 07:04:16.635225967 +0800 CST, 2021-09-10T17:14:50.559+0800
EXACT = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.\d+)?\s?(Z|[+-]\d\d:?\d\d)(?![\d:])"
)

# EXACT for lines joined with newlines: its optional space is not a newline.
EXACT_JOINED = re.compile(EXACT.pattern.replace(r"\s?", r"[^\S\n]?"))

# What follows the year of every EXACT stamp.
_EXACT_AT = re.compile(r"-\d\d-\d\d[T ]")

# RFC 1123 with a numeric zone, as kubectl describe prints: Wed, 12 Apr 2023 16:40:31 +0800
RFC1123 = re.compile(
    r"(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d\d):(\d\d):(\d\d) ([+-]\d{4})"
)


# A month between spaces: one search, which starts at the spaces (a C-level skip), instead of a
# search of the text for each month.
_SPACED_MONTH = re.compile(f" (?:{'|'.join(MONTHS)}) ")


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


def _may_hold_rfc1123(text: str) -> bool:
    """False when no RFC1123 stamp can be in ``text``: each has a month between spaces. The
    regex, which starts with a digit, is tried at every character; these finds are C-level."""
    return _SPACED_MONTH.search(text) is not None and RFC1123.search(text) is not None


def _exact_matches(joined: str) -> Iterator[re.Match[str]]:
    """``EXACT_JOINED.finditer(joined)``, found faster: every match has ``-dd-dd`` four
    characters after its start, a search that starts with a literal (C-level skips), while
    EXACT starts with a digit and is tried at every character. These hits cannot overlap
    (their only dashes are 3 apart and a third would need [T ]), so each match start is met."""
    end = 0
    for hit in _EXACT_AT.finditer(joined):
        start = hit.start() - 4
        if start < end:  # inside the previous match (or before the text)
            continue
        match = EXACT_JOINED.match(joined, start)
        if match is not None:
            yield match
            end = match.end()


def exact_stamps(lines: Iterable[str], limit: int = 20) -> list[Stamp]:
    """Exact timestamps (with year and zone) found in ``lines``, a file's head.

    >>> [s.value.isoformat() for s in exact_stamps(["(started: 2021-09-07 07:04:16.6 +0800 CST)"])]
    ['2021-09-07T07:04:16+08:00']
    >>> [s.value.isoformat() for s in exact_stamps(["Start Time: Wed, 12 Apr 2023 16:40:31 +0800"])]
    ['2023-04-12T16:40:31+08:00']
    """
    found: list[Stamp] = []
    lines = list(lines)
    # The lines joined, searched once per pattern rather than once per line (thousands of
    # small files each pay this). Without RFC 1123 stamps and with no newline inside a line,
    # EXACT_JOINED finds in the joined text the stamps EXACT finds line by line, in order: it
    # cannot cross a newline, neither pattern looks behind, and a newline after a stamp passes
    # the lookahead as a line's end does.
    joined = "\n".join(lines)
    if not _may_hold_rfc1123(joined) and joined.count("\n") == max(len(lines) - 1, 0):
        for m in _exact_matches(joined):
            year, month, day, hour, minute, second, zone = m.groups()
            numbers = (int(year), int(month), int(day), int(hour), int(minute), int(second))
            exact = _stamp(numbers, zone)
            if exact:
                found.append(exact)
                if len(found) == limit:
                    break
        return found
    return stamps_by_line(lines, limit)


def stamps_by_line(lines: Iterable[str], limit: int = 20) -> list[Stamp]:
    """The same search one line and one pattern at a time: what the joined search must equal
    (and what runs when RFC 1123 stamps or newlines inside lines rule the joined search out)."""
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
