"""The HTML report: one self-contained page per diagnosis, checked as text here and in a real
browser (headless Chromium) for every example incident, with a screenshot of each kept under
``build/screenshots/`` for people to look at, and for every failure mode's test case (checked,
not photographed: they are many and small)."""

from __future__ import annotations

import importlib.resources
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from kubewhy.model.bundle import Gap
from kubewhy.model.diagnosis import (
    ChainLink,
    CulpritRef,
    Diagnosis,
    EntityRef,
    EvidenceRef,
    Finding,
    InputRef,
    NearMiss,
    Risk,
    SuppressedBy,
    TimelineEntry,
    Unread,
)
from kubewhy.pipeline import Request, diagnose
from kubewhy.reports import render
from kubewhy.reports.html import alert_text, chain_graph, evidence_anchor, timeline_chart
from kubewhy.reports.safe import prepared

from .chromium import Chromium, find_chromium

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent for p in ROOT.glob("examples/*/expect.yaml"))
CASES = sorted(p.parent for p in ROOT.glob("tests/kb/cases/*/expect.yaml"))
SCREENSHOTS = ROOT / "build" / "screenshots"

HOSTILE = "<script>alert(1)</script> </pre><img src=x onerror=alert(2)> {{ 7*7 }} {% raw %} &amp;"


def _hostile_diagnosis() -> Diagnosis:
    """Evidence as an attacker would write it: markup, template syntax, quotes, controls."""
    evidence = [
        EvidenceRef(
            id=1, source="<b>kubelet.log</b>", line=3, time="2024-05-01T10:00:00Z", text=HOSTILE
        ),
        EvidenceRef(
            id=2,
            source='x" onmouseover="alert(3)',
            time="2024-05-01T10:05:00Z",
            text="\x1b[31mred\x1b[0m and a quote: \" ' `",
            count=40,
        ),
    ]
    root = Finding(
        rank=1,
        failure_mode="zombie-processes",
        title="Zombies <em>pile</em> up",
        confidence=0.9,
        tier="confirmed",
        entity=EntityRef(kind="node", name="<node>"),
        culprit=CulpritRef(
            kind="process", name="<script>x</script>", pid=1, why="it <b>never</b> reaps"
        ),
        chain=[
            ChainLink(failure_mode="zombie-processes", statement="<i>first</i>", evidence=[1]),
            ChainLink(failure_mode="node-pid-exhaustion", statement="then", evidence=[2]),
        ],
        evidence=evidence,
        remediation=["kubectl delete pod '<pod>'", "restart <it>"],
        prevention=["alert KubewhyX: {{ $labels.instance }} has {{ $value }} zombies"],
        references=["javascript:alert(4)", "https://example.org/?a=<b>"],
    )
    return Diagnosis(
        kubewhy_version="0.0.0",
        findings=[root],
        timeline=[TimelineEntry(time="2024-05-01T10:03:00Z", source="<s>", text=HOSTILE)],
        missing_evidence=["<script>alert(5)</script>"],
    )


def test_evidence_is_escaped_never_markup() -> None:
    page = render(_hostile_diagnosis(), "html")
    assert "<script" not in page and "<img" not in page and "<em>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert 'onmouseover="' not in page
    # Template syntax in the evidence stays text: the template engine never evaluates data.
    assert "{{ 7*7 }} {% raw %}" in page
    assert "&amp;amp;" in page
    # Terminal escapes are shown, not sent; a javascript: reference is no link.
    assert "\x1b" not in page and "\\x1b[31mred" in page
    assert 'href="javascript:' not in page
    assert 'href="https://example.org/?a=&lt;b&gt;"' in page


def test_the_verdict_comes_first_and_names_root_culprit_and_entity() -> None:
    page = render(_hostile_diagnosis(), "html")
    verdict = re.search(r'<p class="verdict root" id="verdict">(.*?)</p>', page)
    assert verdict is not None
    assert verdict.group(1) == (
        "Root cause: Zombies &lt;em&gt;pile&lt;/em&gt; up (zombie-processes) on node/&lt;node&gt;;"
        " culprit process/&lt;script&gt;x&lt;/script&gt; (pid 1)"
    )
    assert page.index('id="verdict"') < page.index('id="root-causes"') < page.index('id="timeline"')


def test_no_finding_says_so() -> None:
    page = render(Diagnosis(kubewhy_version="0.0.0"), "html")
    assert "No root cause found: nothing in the evidence matches a known failure mode." in page
    assert "No timestamped evidence." in page and '<svg class="timeline"' not in page


def test_every_section_renders_and_absent_values_never_show_as_none() -> None:
    """A diagnosis with every optional part: leads, past findings, gaps, risks, near misses,
    unread inputs, suppressed findings, and evidence without line, time or culprit pid."""
    lead = Finding(
        rank=1,
        failure_mode="dns-timeout",
        title="DNS lookups time out",
        confidence=0.3,
        tier="lead",
        state="past",
        age="3h",
        entity=EntityRef(kind="pod", name="web-1", namespace="shop"),
        culprit=CulpritRef(kind="pod", name="coredns-1"),
        chain=[ChainLink(failure_mode="dns-timeout", statement="lookups time out", evidence=[1])],
        evidence=[EvidenceRef(id=1, source="describe.txt", text="lookup timed out")],
        version_notes=["fixed in 1.2.3, you run 1.2.0"],
    )
    suppressed = lead.model_copy(
        update={
            "suppressed": SuppressedBy(
                rule="dns-timeout", entity="pod/web-*", expires="2027-01-31", reason="known"
            )
        }
    )
    d = Diagnosis(
        kubewhy_version="0.0.0",
        inputs=[
            InputRef(path="describe.txt", format="describe"),
            InputRef(path="x", format="text"),
        ],
        findings=[lead],
        gaps=[Gap(origin="/proc/1/stack", reason="permission", detail="EACCES")],
        risks=[
            Risk(
                failure_mode="node-pid-exhaustion",
                risk="pid-max-low",
                severity="high",
                entity=EntityRef(kind="node", name="n1"),
                message="pid_max is 32768",
                fix="sysctl -w kernel.pid_max=4194304",
            )
        ],
        near_misses=[
            NearMiss(
                failure_mode="oom",
                title="OOM",
                confidence=0.1,
                entity=EntityRef(kind="node", name="n1"),
            )
        ],
        unread=[Unread(path="x", format="text", reason="nothing matched")],
        parse_errors={"describe.txt": 2},
        lines_outside_window=5,
        suppressed=[suppressed],
        missing_evidence=["cat /proc/sys/kernel/pid_max"],
    )
    page = render(d, "html")
    assert not re.search(r"\bNone\b", page)
    assert 'class="verdict lead"' in page
    assert "Lead, not confirmed: DNS lookups time out (dns-timeout) on pod/shop/web-1; " in page
    assert "culprit pod/coredns-1; past, 3h" in page
    for shown in (
        "could not read /proc/1/stack: permission (EACCES)",
        "pid_max is 32768",
        "<code>oom</code> (0.10)",
        "not understood, nothing matched",
        "2 malformed line(s) skipped in 1 input(s)",
        "5 matching line(s) outside --since/--until left out",
        "until 2027-01-31: known",
        "Version: fixed in 1.2.3, you run 1.2.0",
        "No timestamped evidence.",
    ):
        assert shown in page, shown


def test_alert_templates_read_as_placeholders() -> None:
    assert alert_text("{{ $labels.namespace }}/{{ $labels.pod }} at {{ $value }}") == (
        "<namespace>/<pod> at <value>"
    )
    assert alert_text("no template {here}") == "no template {here}"


def test_chain_graph_has_a_box_per_link_and_an_arrow_between() -> None:
    graph = chain_graph(_hostile_diagnosis().findings[0])
    assert [b.role for b in graph.boxes] == ["culprit", "root", "effect"]
    assert [b.href for b in graph.boxes] == ["#f1-culprit", "#f1-l1", "#f1-l2"]
    assert len(graph.arrows) == 2
    # Boxes stack without overlap, and each label fits its box.
    for above, below in zip(graph.boxes, graph.boxes[1:], strict=False):
        assert above.y + 46 < below.y
    assert all(len(b.label) * 7.8 + 24 <= b.width for b in graph.boxes)


def test_timeline_chart_places_evidence_in_time_order() -> None:
    chart = timeline_chart(_hostile_diagnosis())
    assert chart is not None
    root, events = chart.lanes
    assert [d.href for d in root.dots] == ["#f1-e1", "#f1-e2"]
    assert root.dots[0].x == chart.left and root.dots[1].x == chart.right
    # 10:03 in 10:00 to 10:05
    assert events.dots[0].x == pytest.approx(chart.left + 0.6 * (chart.right - chart.left), abs=0.1)
    assert chart.start == "2024-05-01 10:00:00 UTC" and chart.end == "2024-05-01 10:05:00 UTC"


def test_the_template_is_package_data() -> None:
    template = importlib.resources.files("kubewhy.reports") / "templates" / "report.html.j2"
    assert template.is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"reports/templates/*.j2"' in pyproject


@dataclass
class Example:
    name: str
    diagnosis: Diagnosis  # as the renderer sees it: redacted and escaped
    html: Path
    screenshot: bool = True


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> list[Example]:
    out = tmp_path_factory.mktemp("html")
    made = []
    for folder in EXAMPLES + CASES:
        # Paths as a user in the repository gives them, so the pages read as the README's.
        here = os.getcwd()
        os.chdir(ROOT)
        try:
            diagnosis = diagnose(Request(paths=(folder.relative_to(ROOT),)))
        finally:
            os.chdir(here)
        name = folder.name if folder in EXAMPLES else f"case-{folder.name}"
        page = out / f"{name}.html"
        page.write_text(render(diagnosis, "html"), encoding="utf-8")
        made.append(Example(name, prepared(diagnosis, escape=True), page, folder in EXAMPLES))
    page = out / "hostile.html"
    page.write_text(render(_hostile_diagnosis(), "html"), encoding="utf-8")
    made.append(Example("hostile", prepared(_hostile_diagnosis(), escape=True), page))
    return made


def _outside_evidence(example: Example) -> str:
    """The page without the evidence's own text, which may say anything."""
    page = example.html.read_text(encoding="utf-8")
    texts = [ev.text for f in example.diagnosis.findings for ev in f.evidence]
    texts += [t.text for t in example.diagnosis.timeline]
    for text in sorted(set(texts), key=len, reverse=True):
        page = page.replace(str(escape(text)), "")
    return page


def test_no_example_page_shows_none_or_unfilled_placeholders(examples: list[Example]) -> None:
    assert sum(e.screenshot for e in examples) >= 12 and len(examples) > 50
    for example in examples:
        page = _outside_evidence(example)
        if example.name == "hostile":
            continue
        assert not re.search(r"\bNone\b", page), example.name
        # Commands may hold Go templates ({{.CgroupDriver}} for docker --format) and kubectl
        # jsonpath ({end}); anything else in braces is a template or placeholder left unfilled.
        assert not re.search(r"\{\{(?!\.[A-Za-z])|\{%", page), example.name
        unfilled = set(re.findall(r"\{[a-z_][a-z0-9_]*\}", page)) - {"{end}"}
        assert not unfilled, f"{example.name}: {unfilled}"


# Everything the browser checks, as one JSON value per page.
CHECKS = """(() => {
  const all = s => Array.from(document.querySelectorAll(s));
  const verdict = document.getElementById('verdict');
  const hrefs = s => all(s).map(a => a.getAttribute('href'));
  return {
    verdict: verdict ? verdict.textContent : null,
    verdictTop: verdict ? verdict.getBoundingClientRect().top : null,
    scripts: all('script').length,
    images: all('img').length,
    handlers: all('*').filter(
      e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
    evidence: Object.fromEntries(
      all('li.ev').map(li => [li.id, li.querySelector('pre.line').textContent])),
    links: all('ol.links li').map(li => [li.id, hrefs('#' + li.id + ' a.ref')]),
    graphLabels: all('svg.chain text.label').map(t => t.textContent),
    graphs: all('svg.chain').length,
    timelineDots: all('svg.timeline circle').length,
    danglingAnchors: hrefs('a[href^="#"]').filter(h => !document.getElementById(h.slice(1))),
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    // Labels are sized in Python from a monospace advance; here the real font measures them.
    unfitBoxes: all('svg.chain a.node').filter(a => {
      const box = a.querySelector('rect').getBBox();
      return Array.from(a.querySelectorAll('text')).some(
        t => t.getBBox().x + t.getBBox().width > box.x + box.width);
    }).map(a => a.textContent.trim()),
    unfitLanes: all('svg.timeline').flatMap(svg => {
      const axis = Number(svg.querySelector('line.axis').getAttribute('x1'));
      return Array.from(svg.querySelectorAll('text.lane-label, text.lane-entity')).filter(
        t => t.getBBox().x + t.getBBox().width > axis - 4).map(t => t.textContent);
    }),
  };
})()"""


def _check_page(example: Example, result: Any) -> None:
    v = result.value
    d = example.diagnosis
    assert result.requests == [result.url], f"{example.name} fetched {result.requests}"
    assert result.errors == [], f"{example.name}: {result.errors}"
    assert v["scripts"] == 0 and v["images"] == 0 and v["handlers"] == 0, example.name
    assert v["danglingAnchors"] == [], example.name
    assert v["unfitBoxes"] == [] and v["unfitLanes"] == [], example.name
    assert v["overflow"] <= 0, f"{example.name} is wider than the window by {v['overflow']}px"
    assert v["verdictTop"] < 200, "the verdict is the first thing on the page"
    roots = [f for f in d.findings if f.explained_by is None]
    if not roots:
        assert v["verdict"].startswith("No root cause found"), example.name
        return
    top = roots[0]
    assert v["verdict"].startswith(f"Root cause: {top.title} ({top.failure_mode}) on ")
    if top.culprit is not None:
        assert f"culprit {top.culprit.kind}/" in v["verdict"]
    links = dict(v["links"])
    for f in d.findings:
        for i, link in enumerate(f.chain, 1):
            # Every link is drawn and listed, and each evidence line it cites is on the page.
            assert link.failure_mode in " ".join(v["graphLabels"]), (example.name, link)
            assert links[f"f{f.rank}-l{i}"] == [
                f"#{evidence_anchor(f.rank, e)}" for e in link.evidence
            ]
            by_id = {ev.id: ev for ev in f.evidence}
            for e in link.evidence:
                assert v["evidence"][evidence_anchor(f.rank, e)] == by_id[e].text, (example.name, e)
        for ev in f.evidence:
            assert v["evidence"][evidence_anchor(f.rank, ev.id)] == ev.text
    assert v["graphs"] == sum(1 for f in d.findings if f.chain or f.culprit)
    timed = sum(1 for f in d.findings for ev in f.evidence if ev.time)
    timed += sum(1 for t in d.timeline if t.time)
    assert v["timelineDots"] == timed, example.name


@pytest.mark.peer
@pytest.mark.timeout(240)
def test_every_example_in_headless_chromium(examples: list[Example], tmp_path: Path) -> None:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("KUBEWHY_REQUIRE_PEERS"):
            pytest.fail("chromium is required (KUBEWHY_REQUIRE_PEERS=1)")
        pytest.skip("chromium is not installed")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    browser = Chromium(binary, tmp_path / "profile")
    try:
        for example in examples:
            shot = SCREENSHOTS / f"{example.name}.png" if example.screenshot else None
            result = browser.load(example.html.as_uri(), CHECKS, screenshot=shot)
            _check_page(example, result)
            assert shot is None or shot.read_bytes().startswith(b"\x89PNG"), shot
    finally:
        browser.close()
    shots = sum(e.screenshot for e in examples)
    took = time.monotonic() - started
    print(f"{len(examples)} pages checked, {shots} screenshots, in {took:.1f} s")
