"""No report of any example or corpus case, in any format, shows kubewhy's internals: no
``None``, no unfilled ``{fact.name}`` or threshold, no raw Prometheus template, and no generic
placeholder (``<pod>``) that does not say it could not be filled."""

from __future__ import annotations

import re

from kubewhy.facts.catalog import FACTS
from kubewhy.kb.load import default_knowledge_base
from kubewhy.model.diagnosis import Diagnosis
from kubewhy.model.steps import unfilled_placeholders
from kubewhy.reports import render

FORMATS = ("text", "json", "yaml", "markdown", "html")

NONE = re.compile(r"\bNone\b")
TEMPLATE = re.compile(r"\{\{\s*\$")  # {{ $labels.x }}, {{ $value }}: Prometheus', not ours
# A fact name ({node.pids.used_ratio}); jsonpath's {.name} starts with a dot and is a command's.
FACT = re.compile(r"\{[a-z_]+(?:\.[a-z0-9_]+)+\}")


def _thresholds() -> re.Pattern[str]:
    names = {
        t for fm in default_knowledge_base() for a in fm.prevention.alerts for t in a.thresholds
    }
    return re.compile(r"\{(?:" + "|".join(sorted(names)) + r")\}")


def test_no_report_shows_internals(every_case: dict[str, Diagnosis]) -> None:
    threshold = _thresholds()
    assert len(every_case) >= 300
    problems: list[tuple[str, str, str]] = []
    for name, diagnosis in every_case.items():
        for fmt in FORMATS:
            report = render(diagnosis, fmt, width=80)
            for pattern in (NONE, TEMPLATE, FACT, threshold):
                found = pattern.search(report)
                if found:
                    start = max(found.start() - 60, 0)
                    problems.append((name, fmt, report[start : found.end() + 20]))
    assert not problems, problems[:5]


def test_every_placeholder_left_says_it_could_not_be_filled(
    every_case: dict[str, Diagnosis],
) -> None:
    steps = 0
    for name, diagnosis in every_case.items():
        texts = list(diagnosis.missing_evidence)
        for f in diagnosis.findings:
            texts += f.remediation + f.prevention
        for near in diagnosis.near_misses:
            texts += near.confirm
        for text in texts:
            steps += 1
            if unfilled_placeholders(text):
                assert "not in the evidence, fill in" in text, (name, text)
    assert steps > 1000


def test_the_catalog_names_facts_as_the_pattern_expects() -> None:
    # The check above finds unfilled facts by their dotted shape: every catalogued name has it.
    assert all("." in fact for fact in FACTS)
    assert FACT.search("pid_max is {sysctl.kernel.pid_max}") and not FACT.search("{.spec.x}")


def test_no_explain_page_shows_internals() -> None:
    from kubewhy.reports.explain import render_explain

    kb = default_knowledge_base()
    threshold = _thresholds()
    for fm in kb:
        page = render_explain(kb, fm)
        for pattern in (NONE, TEMPLATE, threshold):
            found = pattern.search(page)
            assert found is None, (fm.id, page[max(found.start() - 60, 0) : found.end() + 20])
