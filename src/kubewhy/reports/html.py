"""The HTML report: one self-contained page (inline CSS and SVG, no script, nothing fetched) with
the verdict first, then the causal chain drawn as a graph, a timeline chart, the evidence of every
link under an anchor, the fix and the prevention.

The page is rendered from the diagnosis model through a Jinja2 template with autoescaping: every
string from the evidence is text, never markup. Python only computes the drawings' geometry here;
the template writes every element, so nothing bypasses the escaping. A Content-Security-Policy
forbids scripts and every fetch, so even a page edited by hand cannot reach the network.

>>> evidence_anchor(2, 7)
'f2-e7'
>>> alert_text("alert KubewhyX: {{ $labels.instance }} is at {{ $value | humanize }}")
'alert KubewhyX: <instance> is at <value>'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

from kubewhy.model.diagnosis import Diagnosis, Finding
from kubewhy.model.redact import redact
from kubewhy.model.steps import looks_like_command
from kubewhy.reports.view import entity_name, why_silent

# The drawings use a monospace font so that a label's width is known without a browser.
CHAR_WIDTH = 7.8
BOX_HEIGHT = 46
BOX_GAP = 34
MAX_LABEL = 64

# Alert summaries are Prometheus templates: on the page they read as what they stand for.
_GO_TEMPLATE = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_LABEL = re.compile(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)")


def evidence_anchor(rank: int, evidence_id: int) -> str:
    """The id of one evidence line on the page: evidence ids are per finding."""
    return f"f{rank}-e{evidence_id}"


def alert_text(text: str) -> str:
    """A prevention item with its alert's template fields shown as ``<name>`` placeholders."""

    def one(found: re.Match[str]) -> str:
        label = _LABEL.search(found.group(1))
        if label:
            return f"<{label.group(1)}>"
        return "<value>" if "$value" in found.group(1) else "<...>"

    return _GO_TEMPLATE.sub(one, text)


def culprit_text(f: Finding) -> str:
    if f.culprit is None:
        return ""
    c = f.culprit
    namespace = f"{c.namespace}/" if c.namespace else ""
    pid = f" (pid {c.pid})" if c.pid is not None else ""
    return f"{c.kind}/{namespace}{c.name}{pid}"


def _clip(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Box:
    """One node of the chain graph: a failure mode (or the culprit) and where it links to."""

    x: float
    y: float
    width: float
    label: str
    note: str
    href: str
    role: Literal["culprit", "root", "effect"]
    tooltip: str


@dataclass(frozen=True)
class Arrow:
    x: float
    y1: float
    y2: float


@dataclass(frozen=True)
class ChainGraph:
    width: float
    height: float
    boxes: list[Box]
    arrows: list[Arrow]


def chain_graph(f: Finding) -> ChainGraph:
    """The chain from the culprit through every link, top to bottom, one box per step."""
    boxes: list[tuple[str, str, str, Literal["culprit", "root", "effect"], str]] = []
    if f.culprit is not None:
        boxes.append(
            (
                "culprit: " + culprit_text(f),
                f.culprit.why,
                f"#f{f.rank}-culprit",
                "culprit",
                f.culprit.why or culprit_text(f),
            )
        )
    for i, link in enumerate(f.chain, 1):
        cited = len(link.evidence)
        note = ("root cause" if i == 1 else "then") + (
            f", {cited} evidence line{'s' if cited != 1 else ''}" if cited else ""
        )
        boxes.append(
            (
                link.failure_mode,
                note,
                f"#f{f.rank}-l{i}",
                "root" if i == 1 else "effect",
                link.statement,
            )
        )
    # The note is set smaller than the label (11px against 13px).
    longest = max((max(len(_clip(b[0])), len(_clip(b[1])) * 0.85) for b in boxes), default=10)
    width = max(280.0, round(longest * CHAR_WIDTH + 32))
    drawn: list[Box] = []
    arrows: list[Arrow] = []
    for i, (label, note, href, role, tooltip) in enumerate(boxes):
        y = 8 + i * (BOX_HEIGHT + BOX_GAP)
        drawn.append(Box(8, y, width, _clip(label), _clip(note), href, role, tooltip))
        if i:
            arrows.append(Arrow(8 + width / 2, y - BOX_GAP + 2, y - 4))
    height = 16 + len(boxes) * BOX_HEIGHT + max(0, len(boxes) - 1) * BOX_GAP
    return ChainGraph(width + 16, height, drawn, arrows)


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time of the model (UTC when it names no zone), None when there is none."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclass(frozen=True)
class Dot:
    x: float
    href: str
    tooltip: str


@dataclass(frozen=True)
class Lane:
    y: float
    label: str
    entity: str
    role: Literal["root", "effect", "events"]
    dots: list[Dot]
    span: tuple[float, float] | None  # first to last dot, drawn as a bar


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class TimelineChart:
    width: float
    height: float
    left: float
    right: float
    lanes: list[Lane]
    ticks: list[Tick]
    start: str
    end: str


LANE_HEIGHT = 36
CHART_WIDTH = 920.0
CHART_LEFT = 260.0


def timeline_chart(d: Diagnosis) -> TimelineChart | None:
    """Each finding's evidence on one time axis, one lane per finding (its first to last line
    as a bar), and the timeline's other events in a lane of their own. None without times."""
    rows: list[
        tuple[str, str, Literal["root", "effect", "events"], list[tuple[datetime, str, str]]]
    ] = []
    for f in d.findings:
        points = []
        for ev in f.evidence:
            when = parse_time(ev.time)
            if when is not None:
                points.append((when, "#" + evidence_anchor(f.rank, ev.id), _clip(ev.text, 160)))
        if points:
            role: Literal["root", "effect"] = "root" if f.explained_by is None else "effect"
            rows.append((f"#{f.rank} {f.failure_mode}", entity_name(f.entity), role, points))
    events = []
    for i, entry in enumerate(d.timeline, 1):
        when = parse_time(entry.time)
        if when is not None:
            events.append((when, f"#t{i}", _clip(entry.text, 160)))
    if events:
        rows.append(("other events", "", "events", events))
    if not rows:
        return None
    times = [p[0] for *_, points in rows for p in points]
    first, last = min(times), max(times)
    span = (last - first).total_seconds()
    right = CHART_WIDTH - 40

    def x_of(when: datetime) -> float:
        if span == 0:
            return (CHART_LEFT + right) / 2
        return CHART_LEFT + (when - first).total_seconds() / span * (right - CHART_LEFT)

    lanes = []
    for i, (label, entity, kind, points) in enumerate(rows):
        dots = [Dot(round(x_of(w), 1), href, text) for w, href, text in sorted(points)]
        bar = (dots[0].x, dots[-1].x) if dots[-1].x > dots[0].x else None
        lane = Lane(34 + i * LANE_HEIGHT, _clip(label, 30), _clip(entity, 34), kind, dots, bar)
        lanes.append(lane)
    ticks = []
    if span > 0:
        fmt = "%H:%M:%S" if span < 3600 else "%m-%d %H:%M" if span > 86400 else "%H:%M"
        for k in range(5):
            when = datetime.fromtimestamp(first.timestamp() + span * k / 4, UTC)
            ticks.append(Tick(round(x_of(when), 1), when.strftime(fmt)))
    else:
        ticks.append(Tick(round(x_of(first), 1), first.strftime("%H:%M:%S")))
    height = 34 + len(lanes) * LANE_HEIGHT + 10
    stamp = "%Y-%m-%d %H:%M:%S UTC"
    return TimelineChart(
        CHART_WIDTH,
        height,
        CHART_LEFT,
        right,
        lanes,
        ticks,
        first.strftime(stamp),
        last.strftime(stamp),
    )


@dataclass
class Page:
    """What the template reads besides the diagnosis: the verdict and the drawings."""

    verdict: str
    verdict_kind: Literal["root", "lead", "none"]
    roots: list[Finding]
    effects: list[Finding]
    graphs: dict[int, ChainGraph] = field(default_factory=dict)
    timeline: TimelineChart | None = None
    rank_of: dict[str, int] = field(default_factory=dict)  # a root cause's id to its section


def verdict(d: Diagnosis) -> tuple[str, Literal["root", "lead", "none"]]:
    """The answer in one line: the top root cause, where, and its culprit."""
    roots = [f for f in d.findings if f.explained_by is None]
    if not roots:
        return "No root cause found: " + why_silent(d), "none"
    top = roots[0]
    line = f"{top.title} ({top.failure_mode}) on {entity_name(top.entity)}"
    if top.culprit is not None:
        line += f"; culprit {culprit_text(top)}"
    if top.state == "past":
        line += f"; past{', ' + top.age if top.age else ''}"
    if top.tier == "lead":
        return "Lead, not confirmed: " + line, "lead"
    return "Root cause: " + line, "root"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kubewhy.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,  # a name the template misspells fails, never renders empty
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["anchor"] = evidence_anchor
    env.filters["entity"] = entity_name
    env.filters["alert_text"] = alert_text
    env.tests["command"] = looks_like_command
    env.tests["web_link"] = lambda text: str(text).startswith(("https://", "http://"))
    env.globals["culprit_text"] = culprit_text
    env.globals["box_height"] = BOX_HEIGHT
    return env


def render_html_report(d: Diagnosis) -> str:
    """The page for a diagnosis that :func:`kubewhy.reports.safe.prepared` made safe."""
    roots = [f for f in d.findings if f.explained_by is None]
    effects = [f for f in d.findings if f.explained_by is not None]
    line, kind = verdict(d)
    page = Page(line, kind, roots, effects)
    page.graphs = {f.rank: chain_graph(f) for f in d.findings if f.chain or f.culprit}
    page.timeline = timeline_chart(d)
    page.rank_of = {f.failure_mode: f.rank for f in reversed(roots)}
    html = _environment().get_template("report.html.j2").render(d=d, page=page)
    return redact(html)
