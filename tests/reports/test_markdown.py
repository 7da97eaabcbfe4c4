"""The postmortem draft, rendered by a real Markdown renderer (markdown-it-py, CommonMark with
tables): it has the seeds' sections, and no text of the diagnosis is lost on the way (a log
line's ``<defunct>`` is not taken for HTML, a ``|`` does not split a table cell)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from kubewhy.model.diagnosis import Diagnosis
from kubewhy.reports import render
from kubewhy.reports.markdown import md
from kubewhy.reports.safe import prepared
from kubewhy.reports.view import grouped, timeline_rows

SECTIONS = (
    "Summary",
    "Impact",
    "Timeline",
    "Detection",
    "Root cause and trigger",
    "Why-analysis",
    "Resolution",
    "Follow-up actions",
    "References",
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._in_heading = tag in ("h1", "h2", "h3", "h4")
        if self._in_heading:
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_heading = False

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._in_heading:
            self.headings[-1] += data


def rendered(markdown: str) -> _Text:
    parser = _Text()
    # Raw HTML on, as GitHub and most renderers have it: a tag-like <defunct> is markup there.
    parser.feed(MarkdownIt("commonmark").enable("table").render(markdown))
    return parser


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_renderer_would_lose_unescaped_text() -> None:
    # The control: the same renderer, fed the raw line, drops what looks like HTML.
    line = "25873 <defunct> children | *all* of them"
    assert "<defunct>" not in "".join(rendered(line).parts)
    assert "".join(rendered(md(line)).parts).strip() == line


def test_no_text_is_lost_in_any_examples_postmortem(examples: dict[str, Diagnosis]) -> None:
    checked = 0
    for name, diagnosis in examples.items():
        markdown = render(diagnosis, "markdown")
        page = rendered(markdown)
        text = squash("".join(page.parts))
        for section in SECTIONS:
            if section == "Why-analysis" and not diagnosis.findings:
                continue
            assert any(h == section or h.startswith(section) for h in page.headings), (
                name,
                section,
            )
        safe = prepared(diagnosis, escape=True)
        expected: list[str] = []
        roots = [f for f in safe.findings if f.explained_by is None]
        for f in [group[0] for group in grouped(roots)][:3]:
            expected += [f.title, *f.remediation, *f.prevention, *f.references]
            expected += [link.statement for link in f.chain]
            expected += [ev.text for ev in f.evidence]
            if f.culprit is not None:
                expected.append(f.culprit.why)
        expected += [row.message for row in timeline_rows(safe)[:60]]
        expected += safe.missing_evidence
        for item in expected:
            assert squash(item) in text, (name, item[:120])
            checked += 1
    assert checked > 500


def test_the_supercronic_zombies_keep_their_defunct(examples: dict[str, Diagnosis]) -> None:
    page = rendered(render(examples["examples/seed001-supercronic-zombies"], "markdown"))
    text = "".join(page.parts)
    assert "25873 <defunct> children it never reaps" in text
    assert "[curl] <defunct>" in text
    # Both clocks: UTC and the evidence's own zone (the node logged in +03:00).
    assert "07:12:12 UTC (10:12:12 +03:00)" in text
    assert "| to assign |" not in text and "to assign" in text  # a table cell, not raw pipes
