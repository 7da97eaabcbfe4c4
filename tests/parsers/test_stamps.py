"""Exact stamps of a head: the joined-text search finds what a search line by line finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kubewhy.parsers.stamps import exact_stamps
from kubewhy.parsers.stamps import stamps_by_line as _line_by_line

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
