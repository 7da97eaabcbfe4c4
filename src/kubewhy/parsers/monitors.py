"""Interval tables of the system monitors people paste from a struggling node: ``vmstat``,
``iostat -x`` and ``sar`` (sysstat) in its paging (-B), memory (-r), queue (-q), CPU (-u) and
disk (-d) reports.

Each report is a header of column names and rows of numbers, one row per interval. A row is
read against its header from the right: what comes before the numbers varies (sar's time, with
or without AM/PM; a device name), the numbers under the named columns do not. Each fact is the
worst interval seen (a node that stalled for one interval did stall), cited by its row; sar's
``Average:`` rows count only when a report has no interval row.

>>> text = "16:45:02      runq-sz  plist-sz   ldavg-1   ldavg-5  ldavg-15   blocked\\n"
>>> text += "16:45:03            2       124      3.73      3.83      3.10        14\\n"
>>> [(f.name, f.value) for f in MONITORS.parse(text, Context("sar-q.txt")).facts]
[('node.dstate.total', 14)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, DocumentFormat, ParseResult

_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_SAR_TIME = re.compile(r"^\d\d:\d\d:\d\d$")


@dataclass(frozen=True)
class Row:
    line: int
    text: str
    values: dict[str, float]
    average: bool


# A header is known by columns no other table has together.
_HEADERS: dict[str, tuple[str, ...]] = {
    "vmstat": ("swpd", "free", "si", "so", "bi", "bo"),
    "iostat-device": ("Device", "%util"),
    "iostat-device-old": ("Device:", "%util"),
    "avg-cpu": ("avg-cpu:", "%iowait"),
    "sar-paging": ("pgpgin/s", "majflt/s"),
    "sar-memory": ("kbmemfree", "kbmemused", "%memused"),
    "sar-queue": ("runq-sz", "blocked"),
    "sar-cpu": ("CPU", "%iowait", "%idle"),
    "sar-disk": ("DEV", "%util"),
}


# A header holds the first column name of its table: a line with none of them is no header,
# told by one set test instead of one per table (every line of every file is sniffed).
_FIRST_COLUMNS = frozenset(needed[0] for needed in _HEADERS.values())


def _kind(cells: list[str]) -> str | None:
    words = set(cells)
    if words.isdisjoint(_FIRST_COLUMNS):
        return None
    for kind, needed in _HEADERS.items():
        if all(n in words for n in needed):
            return kind
    return None


def _number(cell: str) -> float | None:
    # sysstat prints the locale's decimal mark: a comma in many European locales.
    return float(cell.replace(",", ".")) if _NUMBER.match(cell) else None


def _tables(text: str) -> list[tuple[str, list[Row]]]:
    """The reports in ``text``: each header with the rows under it, read from the right."""
    tables: list[tuple[str, list[Row]]] = []
    header: list[str] = []
    kind: str | None = None
    rows: list[Row] = []
    for n, line in enumerate(text.splitlines(), 1):
        cells = line.split()
        found = _kind(cells)
        if found is not None:
            if kind is not None:
                tables.append((kind, rows))
            kind, rows = found, []
            # The columns are the names after the first known one's left neighbours: sar's
            # time (and AM/PM) and a label ("avg-cpu:") are not columns of the rows.
            header = [c for c in cells if not _SAR_TIME.match(c) and c not in ("AM", "PM")]
            header = header[1:] if header and header[0].endswith(":") else header
            continue
        if kind is None or not cells:
            continue
        average = cells[0] in ("Average:", "Summary:")
        numbers = [_number(c) for c in cells]
        # Right-aligned: the last len(header) cells, the ones that are numbers.
        width = min(len(header), len(cells))
        values = {
            name: value
            for name, value in zip(header[-width:], numbers[-width:], strict=True)
            if value is not None
        }
        if len(values) >= max(2, width // 2):
            rows.append(Row(n, line, values, average))
    if kind is not None:
        tables.append((kind, rows))
    return tables


def _worst(rows: list[Row], column: str, pick: Callable[..., Row]) -> Row | None:
    """The worst row for ``column``: of the interval rows, else of the averages."""
    for group in ([r for r in rows if not r.average], [r for r in rows if r.average]):
        having = [r for r in group if column in r.values]
        if having:
            return pick(having, key=lambda r: r.values[column])
    return None


@dataclass(frozen=True)
class Reading:
    name: str
    value: float
    row: Row


def _max(rows: list[Row], column: str, name: str, scale: float = 1.0) -> list[Reading]:
    row = _worst(rows, column, max)
    return [Reading(name, row.values[column] * scale, row)] if row else []


def _readings(kind: str, rows: list[Row]) -> list[Reading]:
    if kind == "vmstat":
        return _max(rows, "wa", "node.cpu.iowait_percent") + _max(rows, "b", "node.dstate.total")
    if kind in ("avg-cpu", "sar-cpu"):
        # sar -u -P ALL prints a row per CPU: the "all" rows are the node's.
        whole = [r for r in rows if " all " in f" {r.text} "] or rows
        return _max(whole, "%iowait", "node.cpu.iowait_percent")
    if kind == "sar-queue":
        return _max(rows, "blocked", "node.dstate.total")
    if kind == "sar-paging":
        return _max(rows, "majflt/s", "node.paging.majflt_per_s") + _max(
            rows, "pgscand/s", "node.paging.direct_scan_per_s"
        )
    if kind == "sar-memory":
        return _memory(rows)
    if kind.startswith(("iostat-device", "sar-disk")):
        awaits = [
            reading
            for column in ("await", "r_await", "w_await")
            for reading in _max(rows, column, "node.disk.await_ms_max")
        ]
        worst = [max(awaits, key=lambda r: r.value)] if awaits else []
        return worst + _max(rows, "%util", "node.disk.util_percent_max")
    return []


def _memory(rows: list[Row]) -> list[Reading]:
    """sar -r: the least memory available. sysstat 11+ prints kbavail; the total is not printed
    but kbmemused and %memused give it."""
    row = _worst(rows, "kbavail", min)
    if row is None:
        return []
    used, percent = row.values.get("kbmemused"), row.values.get("%memused")
    readings = [Reading("node.memory.available_bytes", row.values["kbavail"] * 1024, row)]
    if used and percent:
        readings.append(Reading("node.memory.total_bytes", used * 100 / percent * 1024, row))
    return readings


def _value(name: str, number: float) -> float | int:
    counts = ("node.dstate.total", "node.memory.available_bytes", "node.memory.total_bytes")
    return round(number) if name in counts else round(number, 2)


# Facts whose worst interval is the lowest value (the least memory left); for the others the
# highest is worst.
LOWER_IS_WORSE = frozenset({"node.memory.available_bytes"})


def _worse(reading: Reading, held: Reading) -> bool:
    if reading.name in LOWER_IS_WORSE:
        return reading.value < held.value
    return reading.value > held.value


class Monitors:
    name = "monitor-tables"
    # Every header of _HEADERS holds one of these column names.
    hints = ("swpd", "%util", "%iowait", "pgpgin/s", "kbmemfree", "runq-sz")

    def sniff(self, head: Sequence[str]) -> float:
        # A prompt or sar's "Linux 6.1 (host) ..." banner may come first.
        return 0.9 if any(_kind(line.split()) for line in head[:12]) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])
        best: dict[str, Reading] = {}
        for kind, rows in _tables(text):
            for reading in _readings(kind, rows):
                held = best.get(reading.name)
                if held is None or _worse(reading, held):
                    best[reading.name] = reading
        for reading in best.values():
            evidence = Evidence(ctx.source, reading.row.line, None, reading.row.text.strip())
            result.facts.append(
                Fact(reading.name, node, _value(reading.name, reading.value), evidence)
            )
        return result


MONITORS = Monitors()
FORMATS: list[DocumentFormat] = [MONITORS]
