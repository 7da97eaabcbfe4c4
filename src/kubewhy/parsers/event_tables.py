"""The events table of ``kubectl describe``, in every layout kubectl printed it.

``DescribeEvents`` (k8s.io/kubectl/pkg/describe/describe.go) writes through a tabwriter:

- today: ``Type  Reason  Age  From  Message`` with a dashed rule; Age is ``7m32s`` or
  ``23m (x3 over 25m)``; From is ``kubelet, node-1`` in older releases (``formatEventSource``),
  the bare component in newer ones;
- before (1.5 and 1.6 among them): ``FirstSeen  LastSeen  Count  From  SubObjectPath  Type
  Reason  Message``, ages;
- before 1.0: ``FirstSeen  LastSeen  Count  From  SubobjectPath  Reason  Message``, with
  ``time.RFC1123Z`` times and the source as Go prints the struct (``{kubelet 127.0.0.1}``),
  cells aligned with tabs.

A message with a newline goes on at the start of the next line, and the tabwriter aligns the
rows after it as a block of their own: their columns need not be the header's. Rows are read by
the header's columns while they line up, else by their cells; a line that is no row continues
the message above it.

>>> table = EventTable(("describe.txt", 1))
>>> for n, line in enumerate('''  Type    Reason   Age                From     Message
...   ----    ------   ----               ----     -------
...   Normal  Pulling  7m32s              kubelet  Pulling image "x"
...   Normal  Pulled   27s (x2 over 8m)   kubelet  Successfully pulled image "x"'''.splitlines()):
...     table.feed(n + 1, line)
>>> [(r.reason, r.seen.count, r.seen.stamp.listed.seconds) for r in table.rows]
[('Pulling', 1, -452.0), ('Pulled', 2, -27.0)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubewhy.lazy_re import lazy_compile
from kubewhy.parsers.event_times import AGE_CELL, RFC1123Z, Seen, event_seen, is_time_cell

# --- fixed-width tables (kubectl's tabwriter), shared with ``kubectl get events`` ----------

_CELL_TITLE = lazy_compile(r"\S+(?: \S+)*")


def table_columns(header: str) -> list[tuple[str, int]]:
    """Column titles (words joined by single spaces) and where each starts.

    >>> table_columns("  LAST SEEN   TYPE    REASON")
    [('LAST SEEN', 2), ('TYPE', 14), ('REASON', 22)]
    """
    return [(m.group(0), m.start()) for m in _CELL_TITLE.finditer(header.expandtabs())]


def slice_row(row: str, columns: list[tuple[str, int]]) -> dict[str, str]:
    """Cells of a row under ``columns``; the last column takes the rest of the row."""
    row = row.expandtabs()
    cells: dict[str, str] = {}
    for index, (title, start) in enumerate(columns):
        end = columns[index + 1][1] if index + 1 < len(columns) else len(row)
        cells[title] = row[start:end].strip()
    return cells


def cut_boundary_ok(row: str, columns: list[tuple[str, int]]) -> bool:
    """Whether every column start falls at a cell start (a blank just before it), which is
    true of rows that really are aligned under the header."""
    row = row.expandtabs()
    return all(start == 0 or start >= len(row) or row[start - 1] == " " for _, start in columns)


# --- describe's events table -------------------------------------------------------------

HEADER = lazy_compile(r"^\s*(?:Type\s+Reason\s+Age\b|FirstSeen\s+LastSeen\b)")
_SEPARATOR = lazy_compile(r"^\s*(?:-{2,}|─{2,})(?:\s+(?:-{2,}|─{2,}))*\s*$")
_TYPES = ("Normal", "Warning")
# A row of today's layout whose cells lost the header's alignment.
_ROW = lazy_compile(
    rf"^\s*(?P<type>Normal|Warning)\s+(?P<reason>[A-Za-z]\w*)\s+(?P<age>{AGE_CELL})"
    r"(?:\s+(?P<source>[\w.-]+(?:, [\w.:-]+)?))?(?:\s{2,}(?P<message>.*))?\s*$"
)
_TIME = rf"(?:{RFC1123Z}|<unknown>|<invalid>|\d+[smhdy][\dsmhdy]*)"
# The start of a row of the older layouts: first seen, last seen, count.
_OLD_START = lazy_compile(rf"^\s*{_TIME}(?:\t+|\s+){_TIME}(?:\t+|\s+)\d+(?:\t|\s{{2,}})")
# A hint (parsers.base.Hint) of the sniffs that count such rows: a line as pasted (a sniff may
# cut a quote mark first) that starts as a _TIME does, with an RFC 1123 day, a placeholder or an
# age.
OLD_ROW_HINT = re.compile(r"^\s*>?\s*(?:\w{3},|<unknown>|<invalid>|\d+[smhdy])")
# Dots where whoever pasted the table left rows out; a markdown fence around the paste.
PASTE_MARK = lazy_compile(r"^\s*(?:\.{3,}|…|```\w*|~~~\w*)\s*$")
_SOURCE = lazy_compile(r"^(?:\{[^{}]*\}|[\w.-]+, [\w.:-]+)$")
# An object's kind (Pod, Node, ReplicaSet): get events' KIND column.
_KIND = lazy_compile(r"^[A-Z][A-Za-z]*$")
_CELL_SPLIT = lazy_compile(r"\t+\s*|\s{2,}")
# The scheduler's Scheduled event names the pod and its node: "Successfully assigned
# prod/web-1 to n1" (newer), "Successfully assigned web-1 to n1" (older).
ASSIGNED = lazy_compile(
    r"^Successfully assigned (?:(?P<ns>[a-z0-9][a-z0-9.-]*)/)?(?P<pod>[a-z0-9][a-z0-9.-]*) to "
    r"(?P<node>\S+)"
)
# An object's field path (SubObjectPath): spec.containers{web}, implicitly required container POD.
FIELD_PATH = lazy_compile(r"^(?:spec\.|status\.|implicitly required container\b|\S*\{)")


@dataclass
class EventRow:
    """One event of a table: its cells, when and how often it was seen, and its line."""

    line: int
    type: str | None
    reason: str
    source: str
    message: str
    seen: Seen
    subobject: str | None = None

    @property
    def host(self) -> str | None:
        """The node a kubelet's event names in its source: ``kubelet, node-1`` (older releases'
        formatEventSource), ``{kubelet node-1}`` (Go's print of the source, oldest); None when
        only the component is shown."""
        source = self.source.strip()
        if source.startswith("{") and source.endswith("}"):
            parts = source[1:-1].split()
            return parts[1] if len(parts) > 1 else None
        if "," in source:
            return source.split(",", 1)[1].strip() or None
        return None

    @property
    def text(self) -> str:
        """The record line patterns match: ``Reason: Message``."""
        return f"{self.reason}: {' '.join(self.message.split())}".strip()


def old_row_cells(line: str) -> list[str] | None:
    """The cells of a row of the older layouts (first seen, last seen, count first), split
    at tabs or runs of spaces; None when the line does not start like one."""
    cells = split_cells(line)
    if cells is None:
        return None
    if not is_source(cells[3]) and _KIND.match(cells[4]) and cells[4] not in _TYPES:
        # NAME then KIND after the count: a row of ``kubectl get events``, not of describe.
        return None
    return cells


def is_source(cell: str) -> bool:
    """Whether a cell is an event source as old kubectl printed it: Go's print of the struct
    (``{kubelet node-1}``, ``{scheduler }``) or ``component, host``."""
    return _SOURCE.match(cell.strip()) is not None


def split_cells(line: str) -> list[str] | None:
    """The cells of a row that starts with two times and a count (describe's and get events'
    older tables), split at tabs or runs of spaces (RFC 1123 times hold single spaces
    only: they stay one cell); None for other lines."""
    if not _OLD_START.match(line):
        return None
    cells = [c for c in _CELL_SPLIT.split(line.strip()) if c]
    return cells if len(cells) >= 5 else None


def is_event_row(line: str) -> bool:
    """Whether ``line`` is a row of some layout of describe's events table."""
    return _ROW.match(line) is not None or old_row_cells(line) is not None


class EventTable:
    """Reads an events table line by line (its header, rule, rows, continued messages)."""

    def __init__(self, listing: tuple[str, int]) -> None:
        self.listing = listing
        self.rows: list[EventRow] = []
        self.columns: list[tuple[str, int]] | None = None
        # Whether the rows still line up under the header (one tabwriter block).
        self.aligned = False
        self.malformed = 0

    def feed(self, number: int, line: str) -> None:
        if not line.strip() or line.strip() in ("<none>", "No events.") or PASTE_MARK.match(line):
            return
        if HEADER.match(line):
            self.columns, self.aligned = table_columns(line), True
            return
        if _SEPARATOR.match(line):
            return
        row = self.row(number, line)
        if row is not None:
            self.rows.append(row)
            return
        if self.rows:
            # A message that went on over several lines; the rows after it form a tabwriter
            # block of their own, aligned apart from the header.
            last = self.rows[-1]
            last.message = f"{last.message} {line.strip()}".strip()
            self.aligned = False
        else:
            self.malformed += 1

    def row(self, number: int, line: str) -> EventRow | None:
        return self._sliced(number, line) or self._matched(number, line) or self._old(number, line)

    def _sliced(self, number: int, line: str) -> EventRow | None:
        columns = self.columns
        if columns is None or not self.aligned or not cut_boundary_ok(line, columns):
            return None
        cells = {title.lower(): value for title, value in slice_row(line, columns).items()}
        kind, reason, age = cells.get("type", ""), cells.get("reason", ""), cells.get("age")
        if age is None or kind not in _TYPES or not reason or not is_time_cell(age):
            return None
        seen = event_seen(age, listing=self.listing)
        return EventRow(number, kind, reason, cells.get("from", ""), cells.get("message", ""), seen)

    def _matched(self, number: int, line: str) -> EventRow | None:
        found = _ROW.match(line.expandtabs())
        if not found:
            return None
        seen = event_seen(found["age"], listing=self.listing)
        source, message = found["source"] or "", found["message"] or ""
        return EventRow(number, found["type"], found["reason"], source, message, seen)

    def _old(self, number: int, line: str) -> EventRow | None:
        cells = old_row_cells(line)
        if cells is None:
            return None
        first, last, count, source, *rest = cells
        subobject: str | None = None
        kind: str | None = None
        typed = [i for i, cell in enumerate(rest[:2]) if cell in _TYPES]
        if typed:
            if typed[0] == 1:
                subobject = rest[0]
            kind = rest[typed[0]]
            rest = rest[typed[0] + 1 :]
        elif len(rest) >= 2 and FIELD_PATH.match(rest[0]):
            subobject, rest = rest[0], rest[1:]
        if not rest or not re.match(r"^[A-Za-z]\w*$", rest[0]):
            return None
        reason, message = rest[0], " ".join(rest[1:])
        seen = event_seen(last, first, count, listing=self.listing)
        return EventRow(number, kind, reason, source, message, seen, subobject)
