"""Event tables: ``kubectl get events`` (plain, ``-A``, ``-o wide``, the old
``LASTSEEN FIRSTSEEN COUNT NAME KIND ...`` and ``FIRSTSEEN LASTSEEN ...`` layouts), ``kubectl
events``, the console export that starts each row with a full timestamp, and the Kubernetes e2e
framework's dump of a namespace's events::

    LAST SEEN   TYPE      REASON      OBJECT              MESSAGE
    65s         Warning   Unhealthy   pod/frontend-557f   Readiness probe failed: ...

    2020-06-14 13:15:39 Warning Node 172.21.128.138.1618e2878157535e Rebooted Node 172.21.128.138
    has been rebooted, boot id: 281c2a66-...

    INFO: At 2021-05-04 15:45:47 +0000 UTC - event for web-1: {kubelet node-1} Failed: ...

Every event becomes a record ``"Reason: Message"`` about its object (``pod/x`` -> the pod,
``node/x`` -> the node) with its count (COUNT, ``(x4 over 4m13s)``) and its last and first
seen times: kubectl's ages on the listing's own clock (:mod:`kubewhy.parsers.event_times`), or
exact times, which are anchors too (the export's naive: its zone is the timeline's to infer).
``Rebooted`` events count into ``node.reboots`` per node and ``cluster.reboots``.

>>> text = '''NAMESPACE   LAST SEEN   TYPE      REASON      OBJECT          MESSAGE
... prod        65s         Warning   Unhealthy   pod/web-1       Readiness probe failed: timeout'''
>>> [(r.text, r.entity.ref()) for r in GetEventsFormat().parse(text, Context("ev.txt")).records]
[('Unhealthy: Readiness probe failed: timeout', 'pod/prod/web-1')]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import MAX_ANCHORS, Context, ParseResult, Record, add_anchor
from kubewhy.parsers.event_tables import (
    ASSIGNED,
    FIELD_PATH,
    OLD_ROW_HINT,
    PASTE_MARK,
    cut_boundary_ok,
    is_source,
    slice_row,
    split_cells,
    table_columns,
)
from kubewhy.parsers.event_times import age_seconds, event_seen, is_time_cell
from kubewhy.parsers.objects import event_entity

# --- the formats ------------------------------------------------------------------------------

# The columns of ``kubectl get events``, newest first (pkg/printers/internalversion/printers.go
# eventColumnDefinitions; its first table printer; resource_printer.go eventColumns before),
# each maybe after NAMESPACE (-A), [...] with -o wide only:
#   LAST SEEN  TYPE  REASON  OBJECT  [SUBOBJECT  SOURCE]  MESSAGE  [FIRST SEEN  COUNT  NAME]
#   LAST SEEN  FIRST SEEN  COUNT  NAME  KIND  SUBOBJECT  TYPE  REASON  SOURCE  MESSAGE
#   LASTSEEN  FIRSTSEEN  COUNT  NAME  KIND  SUBOBJECT  TYPE  REASON  SOURCE  MESSAGE  (1.3)
#   FIRSTSEEN  LASTSEEN  COUNT  NAME  KIND  SUBOBJECT  REASON  SOURCE  MESSAGE  (before TYPE)
# ``kubectl events`` (event_printer.go) prints LAST SEEN TYPE REASON OBJECT MESSAGE with the
# object as Kind/name and LAST SEEN as "LAST (xN over FIRST)".
_TITLES = {
    "NAMESPACE": "namespace",
    "LAST SEEN": "last",
    "LASTSEEN": "last",
    "FIRST SEEN": "first",
    "FIRSTSEEN": "first",
    "COUNT": "count",
    "NAME": "name",
    "KIND": "kind",
    "SUBOBJECT": "subobject",
    "TYPE": "type",
    "REASON": "reason",
    "OBJECT": "object",
    "SOURCE": "source",
    "MESSAGE": "message",
}
_HEADER = re.compile(r"^\s*(?:NAMESPACE\s+)?(?:LAST SEEN|LASTSEEN|FIRSTSEEN)\s+\S")
_TYPES = {"Normal", "Warning"}
# A word before a blank is taken possessively (\S++): a line without blanks (a JSON object)
# fails at once instead of giving the word back one character at a time.
_ROW = re.compile(
    r"^\s*(?:(?P<namespace>[a-z0-9][a-z0-9.-]*+)\s+)??(?P<last>\S++(?: \(x\d+ over \S+\))?)\s+"
    r"(?P<type>Normal|Warning)\s+(?P<reason>\S+)\s+(?P<object>[\w.-]+/\S+)\s+(?P<message>.*)$"
)
# -o wide rows that lost their alignment (copy-paste): the message sits between the source and
# the three trailing cells (first seen, count, event name).
_WIDE_ROW = re.compile(
    r"^\s*(?:(?P<namespace>[a-z0-9][a-z0-9.-]*+)\s+)??(?P<last>\S++)\s+(?P<type>Normal|Warning)\s+"
    r"(?P<reason>\S+)\s+(?P<object>[\w.-]+/\S+)\s+(?:(?P<subobject>spec\.\S+)\s+)?"
    r"(?P<source>[\w.-]+(?:, [\w.-]+)?)\s+(?P<message>.*?)\s+(?P<first>\S+)\s+(?P<count>\d+)\s+"
    r"(?P<name>\S+\.[0-9a-f]{8,})\s*$"
)
_EXPORT = re.compile(
    r"^\s*(?P<time>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})\s+(?P<type>Normal|Warning)\s+"
    r"(?P<kind>[A-Z]\w*)\s+(?P<event>\S+)\s+(?P<reason>[A-Za-z]\w*)\s+(?P<message>.*)$"
)
_EVENT_SUFFIX = re.compile(r"\.[0-9a-f]{8,}$")


def object_entity(ref: str, namespace: str | None, source: str | None = None) -> Entity | None:
    """The entity of an OBJECT cell (``pod/web-1``, ``node/n1``), with the node from a
    ``kubelet, <node>`` source when given.

    >>> object_entity("pod/web-1", "prod", "kubelet, n1")
    Entity(kind='pod', name='web-1', namespace='prod', node='n1', pid=None)
    """
    kind, _, name = ref.partition("/")
    host = None
    if source and "," in source:  # kubelet, node-1
        host = source.split(",", 1)[1].strip() or None
    elif source and source.startswith("{kubelet "):  # {kubelet node-1} (oldest releases)
        host = source[len("{kubelet ") :].rstrip("} ") or None
    return event_entity(kind, name, namespace, host)


class _Counts:
    def __init__(self) -> None:
        self.reboots: Counter[str] = Counter()
        self.evidence: dict[str, Evidence] = {}

    def add(self, entity: Entity | None, reason: str, count: int, evidence: Evidence) -> None:
        if reason == "Rebooted" and entity is not None and entity.kind == "node":
            self.reboots[entity.name] += count
            self.evidence.setdefault(entity.name, evidence)

    def facts(self, result: ParseResult) -> None:
        for name, count in sorted(self.reboots.items()):
            node = Entity.for_node(name)
            result.facts.append(Fact("node.reboots", node, count, self.evidence[name]))
        if self.reboots:
            total = sum(self.reboots.values())
            first = next(iter(self.evidence.values()))
            result.facts.append(Fact("cluster.reboots", Entity.cluster(), total, first))


_TYPED = ("Normal", "Warning")


def old_row(line: str) -> dict[str, str] | None:
    """A row of the older tables pasted without its header: two ages (LASTSEEN FIRSTSEEN, or
    FIRSTSEEN LASTSEEN in the oldest: the older age is the first), COUNT, NAME, KIND, SUBOBJECT
    (may be empty), TYPE (not in the oldest), REASON, SOURCE (``{kubelet node-1}``, ``kubelet,
    node-1``, ``default-scheduler``), MESSAGE. Cells are split at tabs or runs of spaces.

    >>> old_row("12m  5s  75  web-1  Pod  spec.containers{web}  Failed  {kubelet n1}  Failed")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'first': '12m', 'last': '5s', 'count': '75', 'object': 'pod/web-1',
     'subobject': 'spec.containers{web}', 'reason': 'Failed', 'source': '{kubelet n1}',
     'message': 'Failed'}
    """
    cells = split_cells(line)
    if cells is None or len(cells) < 7 or is_source(cells[3]):
        return None
    if not re.match(r"^[A-Z][A-Za-z]*$", cells[4]):
        return None
    one, two, count, name, kind, *rest = cells
    ages = sorted((one, two), key=lambda cell: age_seconds(cell) or 0.0)
    row = {"first": ages[1], "last": ages[0], "count": count, "object": f"{kind.lower()}/{name}"}
    if rest and FIELD_PATH.match(rest[0]) and rest[0] not in _TYPED:
        row["subobject"], rest = rest[0], rest[1:]
    if rest and rest[0] in _TYPED:
        row["type"], rest = rest[0], rest[1:]
    if len(rest) < 2 or not re.match(r"^[A-Za-z]\w*$", rest[0]):
        return None
    if not (is_source(rest[1]) or re.match(r"^[a-z][\w.-]*$", rest[1])):  # default-scheduler
        return None
    row["reason"], row["source"], row["message"] = rest[0], rest[1], " ".join(rest[2:])
    return row


class GetEventsFormat:
    name = "kubectl-events"
    # Its scores need the header's REASON, or rows: today's (a type between blanks) or an
    # older layout's.
    hints = ("REASON", re.compile(r"\s(?:Normal|Warning)\s"), OLD_ROW_HINT)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip() and not PASTE_MARK.match(line)]
        if not lines:
            return 0.0
        if _HEADER.match(lines[0]) and re.search(r"\bREASON\b", lines[0]):
            return 0.95
        rows = sum(1 for line in lines if _ROW.match(line) or old_row(line))
        if rows >= 2 and rows >= 0.6 * len(lines):
            return 0.6
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        counts = _Counts()
        columns: list[tuple[str, int]] | None = None
        last: Record | None = None
        # The listing whose clock the ages are on: from its header (or its first row) on.
        listing: tuple[str, int] | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or PASTE_MARK.match(line):
                continue
            if _HEADER.match(line):
                columns, listing = table_columns(line), (ctx.source, number)
                continue
            cells = self._cells(line, columns)
            if cells is None:
                if last is not None and not _ROW.match(line):
                    # A message that went on over several lines.
                    last = replace(last, text=f"{last.text} {line.strip()}")
                    result.records[-1] = last
                else:
                    result.malformed += 1
                continue
            listing = listing or (ctx.source, number)
            last = self._record(cells, number, line, listing, ctx=ctx, result=result, counts=counts)
        counts.facts(result)
        return result

    def _cells(self, line: str, columns: list[tuple[str, int]] | None) -> dict[str, str] | None:
        if columns is not None and cut_boundary_ok(line, columns):
            raw = slice_row(line, columns)
            cells = {_TITLES.get(title, title.lower()): value for title, value in raw.items()}
            # The oldest table had no TYPE column.
            typed = cells.get("type") in _TYPES or "type" not in cells
            if typed and cells.get("reason") and is_time_cell(cells.get("last", "")):
                if "kind" in cells and "object" not in cells:
                    cells["object"] = f"{cells['kind'].lower()}/{cells.get('name', '')}"
                    cells.pop("name", None)
                return cells
        wide = columns is not None and any(title == "FIRST SEEN" for title, _ in columns)
        found = (_WIDE_ROW.match(line) if wide else None) or _ROW.match(line)
        if found:
            return {k: v for k, v in found.groupdict().items() if v is not None}
        return old_row(line)

    def _record(
        self,
        cells: dict[str, str],
        number: int,
        line: str,
        listing: tuple[str, int],
        *,
        ctx: Context,
        result: ParseResult,
        counts: _Counts,
    ) -> Record:
        namespace = cells.get("namespace") or ctx.namespace
        entity = object_entity(cells.get("object", ""), namespace, cells.get("source"))
        if entity is not None:
            result.entities.append(entity)
        reason = cells.get("reason", "")
        seen = event_seen(
            cells.get("last", ""), cells.get("first"), cells.get("count"), listing=listing
        )
        text = f"{reason}: {cells.get('message', '')}".strip()
        record = Record(text, number, seen.stamp, entity, count=seen.count, since=seen.since)
        result.records.append(record)
        for stamp in (seen.stamp, seen.since):
            if stamp is not None and stamp.listed is None:
                add_anchor(result, stamp.value)
        evidence = Evidence(ctx.source, number, None, line.strip())
        counts.add(entity, reason, seen.count, evidence)
        return record


class EventExportFormat:
    name = "events-export"
    hints = (_EXPORT,)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        rows = sum(1 for line in lines if _EXPORT.match(line))
        if rows and rows >= 0.6 * len(lines):
            return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        counts = _Counts()
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            found = _EXPORT.match(line)
            if not found:
                if result.records and line[:1].isspace():
                    previous = result.records[-1]
                    result.records[-1] = Record(
                        f"{previous.text} {line.strip()}",
                        previous.line,
                        previous.stamp,
                        previous.entity,
                    )
                else:
                    result.malformed += 1
                continue
            moment = datetime.fromisoformat(found.group("time").replace(" ", "T"))
            stamp = Stamp(moment)  # naive: local to the console that exported it
            name = _EVENT_SUFFIX.sub("", found.group("event"))
            entity = event_entity(found.group("kind"), name, ctx.namespace)
            if entity is not None:
                result.entities.append(entity)
            reason = found.group("reason")
            text_ = f"{reason}: {found.group('message').strip()}"
            result.records.append(Record(text_, number, stamp, entity))
            if len(result.anchors) < MAX_ANCHORS:
                result.anchors.append(stamp)
            counts.add(entity, reason, 1, Evidence(ctx.source, number, None, line.strip()))
        counts.facts(result)
        return result


# The Kubernetes e2e framework's dump of a namespace's events when a test fails
# (test/e2e/framework, dumpEventsInNamespace): Logf("At %v - event for %v: %v %v: %v",
# e.FirstTimestamp, e.InvolvedObject.Name, e.Source, e.Reason, e.Message). The time is Go's
# time.String() (``2021-05-04 15:45:47 +0000 UTC``; the zero time for events stamped only with
# eventTime), the source Go's print of the EventSource struct (``{kubelet kind-worker}``,
# ``{default-scheduler }``). Logf puts its own stamp and level first (``May  4 15:49:12.578:
# INFO: ``), and a ginkgo step names the namespace: ``Collecting events from namespace "x".``
_E2E_EVENT = re.compile(
    r"\bAt (?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.\d+)? (?P<zone>[+-]\d{4})"
    r"(?: [A-Z][A-Za-z0-9+-]*)? "
    r"- event for (?P<object>[^\s:]+): \{(?P<component>[^\s{}]*) ?(?P<host>[^{}]*)\} "
    r"(?P<reason>[A-Za-z]\w*): (?P<message>.*)$"
)
_E2E_NAMESPACE = re.compile(r'Collecting events from namespace "(?P<namespace>[^"]+)"')
# The start of a line that Logf or ginkgo wrote (a new line, not more of a message).
_E2E_LINE = re.compile(r"^\s*(?:\w{3} +\d+ \d\d:\d\d:\d\d\.\d+: |[A-Z]+: |STEP: |\[)")


class E2eEventsFormat:
    """Events as the Kubernetes e2e framework dumps them: each names its object and, for the
    kubelet's, the node; the time is an exact first-seen time."""

    name = "e2e-events"
    hints = ("- event for ",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        # The literal first: the unanchored regex is tried at every character otherwise.
        rows = sum(1 for line in lines if "- event for " in line and _E2E_EVENT.search(line))
        if rows and (rows >= 0.5 * len(lines) or rows >= 5):
            return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        counts = _Counts()
        namespace = ctx.namespace
        last: Record | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            named = _E2E_NAMESPACE.search(line)
            if named:
                namespace, last = named.group("namespace"), None
                continue
            found = _E2E_EVENT.search(line)
            if found is None:
                if last is not None and line.strip() and not _E2E_LINE.match(line):
                    # A message with newlines goes on, unprefixed, on the next lines.
                    last = replace(last, text=f"{last.text} {line.strip()}")
                    result.records[-1] = last
                else:
                    last = None
                continue
            entity = _e2e_entity(found, namespace)
            if entity is not None:
                result.entities.append(entity)
            moment = _go_time(found.group("time"), found.group("zone"))
            reason = found.group("reason")
            text_ = f"{reason}: {found.group('message').strip()}"
            last = Record(text_, number, Stamp(moment) if moment else None, entity)
            result.records.append(last)
            add_anchor(result, moment)
            counts.add(entity, reason, 1, Evidence(ctx.source, number, None, line.strip()))
        counts.facts(result)
        return result


def _go_time(text: str, zone: str) -> datetime | None:
    """Go's time.String() (its seconds and numeric zone) as aware UTC; None for the zero time."""
    try:
        moment = datetime.strptime(f"{text} {zone}", "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.year > 1970 else None


def _e2e_entity(found: re.Match[str], namespace: str | None) -> Entity | None:
    """The object a dumped event is about: its node when it is named after the source's host,
    else a pod when the kubelet or the scheduler speaks (their events are about pods); events of
    other controllers are about objects that are no entities of ours."""
    name, component = found.group("object"), found.group("component")
    host = found.group("host").strip() or None
    if host is not None and name == host:
        return Entity.for_node(name)
    if component == "default-scheduler":
        assigned = ASSIGNED.match(found.group("message"))
        return Entity.pod(name, namespace, assigned.group("node") if assigned else None)
    if component == "kubelet":
        return Entity.pod(name, namespace, host)
    return None


FORMATS = [GetEventsFormat(), EventExportFormat(), E2eEventsFormat()]
