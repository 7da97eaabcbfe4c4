"""Log lines copied out of a terminal UI's box (k9s's log view with wrapping on, a ``dialog``).

The view draws each screen row between two vertical bars and wraps a long record over as many
rows as it needs, each filled to the box's width; the record's last row is padded with spaces.
A person who copies the view pastes the bars and the cuts with it:

    │ calico-node 2022-09-20 18:13:22.921 [INFO][70] watchercache.go 194: Failed to perform l │
    │ ist of current data error=connection is unauthorized: Unauthorized                      │

A pattern written for the record matches neither row. The rows of one record are read back as
the one line the program wrote: the bars dropped, the full rows joined as the view cut them.

>>> def row(text: str) -> str:
...     return "│ " + text.ljust(40) + " │"
>>> boxed_records([row("x" * 38 + "ab"), row("cd"), row("one row")])
[(0, 1, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxabcd')]
>>> boxed_records(["│ not a box", row("a row")])
[]
"""

from __future__ import annotations

from collections.abc import Sequence

# The bars terminal UIs draw: box drawing's light and heavy verticals (not ASCII's ``|``, which
# edges markdown and psql tables, whose equal-width rows are not wrapped records).
_BARS = "│┃"
# A record wider than this many rows is a document of its own, not a log line.
MAX_ROWS = 40
# Records read back in one input: for pasted excerpts, not whole big logs.
MAX_RECORDS = 5_000
# A box is at least this wide inside: narrower bars are a table's columns.
MIN_WIDTH = 40


def boxed_records(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(first row, last row, the record on one line)`` for each record the box wrapped over
    more than one row; records on one row are read as they are."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(lines) and len(out) < MAX_RECORDS:
        width = _inner_width(lines[i])
        if width is None:
            i += 1
            continue
        end = i
        pieces = [_inner(lines[i])]
        # A row filled to the box's edge goes on in the next row of the same box.
        while (
            end + 1 < len(lines)
            and end - i + 1 < MAX_ROWS
            and len(pieces[-1].rstrip()) >= width - 1
            and _inner_width(lines[end + 1]) == width
        ):
            end += 1
            pieces.append(_inner(lines[end]))
        if end > i:
            out.append((i, end, "".join(pieces).rstrip()))
        i = end + 1
    return out


def _inner_width(line: str) -> int | None:
    """The width inside the bars of a boxed row (``│ text │``), None for any other line."""
    row = line.rstrip("\r\n")
    if len(row) < MIN_WIDTH + 4 or row[0] not in _BARS or row[-1] != row[0]:
        return None
    if row[1] != " " or row[-2] != " ":
        return None
    return len(row) - 4


def _inner(line: str) -> str:
    return line.rstrip("\r\n")[2:-2]
