"""Exact stamps of a head: the joined-text search finds what a search line by line finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kubewhy.model.times import Stamp
from kubewhy.parsers.journald import MONTHS
from kubewhy.parsers.stamps import EXACT, RFC1123, _stamp, exact_stamps


def _line_by_line(lines: list[str], limit: int = 20) -> list[Stamp]:
    """The search as it was, one line and one pattern at a time: the reference."""
    found: list[Stamp] = []
    for line in lines:
        for m in EXACT.finditer(line):
            numbers = tuple(int(m.group(i)) for i in range(1, 7))
            stamp = _stamp(numbers, m.group(7))  # type: ignore[arg-type]
            if stamp:
                found.append(stamp)
        for m in RFC1123.finditer(line):
            day, year = int(m.group(1)), int(m.group(3))
            numbers2 = (year, MONTHS[m.group(2)], day, int(m.group(4)), int(m.group(5)))
            stamp = _stamp((*numbers2, int(m.group(6))), m.group(7))
            if stamp:
                found.append(stamp)
        if len(found) >= limit:
            return found[:limit]
    return found


# Pieces that make stamps, near-stamps and stamps cut by a line's end.
_PIECES = st.sampled_from(
    [
        "2021-09-07",
        " ",
        "T",
        "07:04:16",
        ".635",
        "+0800",
        "Z",
        "-07:00",
        ":",
        "9",
        "x",
        "Wed, 12 Apr 2023 16:40:31 +0800",
        " Apr ",
        "2023-02-30 01:02:03Z",
        "-12-31 ",
        "1999",
        "\t",
    ]
)
_LINES = st.lists(st.lists(_PIECES, max_size=8).map("".join), max_size=30)


@settings(max_examples=400, deadline=None)
@given(_LINES)
def test_joined_search_finds_what_lines_do(lines: list[str]) -> None:
    assert exact_stamps(lines) == _line_by_line(lines)
    assert exact_stamps(lines, limit=3) == _line_by_line(lines, limit=3)


def test_a_stamp_cut_by_a_line_end_is_not_joined() -> None:
    lines = ["started 2021-09-07 07:04:16", "+0800 CST"]
    assert exact_stamps(lines) == _line_by_line(lines) == []


def test_many_heads_of_journald_lines() -> None:
    line = 'Jul 23 22:00:00 n containerd[9]: time="2023-07-23T22:00:00.8Z" level=info'
    assert exact_stamps([line] * 30) == _line_by_line([line] * 30)
    assert len(exact_stamps([line] * 30)) == 20
