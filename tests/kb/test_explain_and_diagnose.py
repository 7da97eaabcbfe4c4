"""Each failure mode renders with ``kubewhy explain``, and healthy logs diagnose to nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubewhy.cli.main import app
from kubewhy.kb.load import KnowledgeBase, load_knowledge_base
from kubewhy.pipeline import Request, diagnose
from kubewhy.reports.explain import render_explain

from .helpers import HEALTHY_DIR, load_with_stubs, missing_link_targets, shipped_files
from .test_failure_modes import REQUIRED_IDS


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return load_with_stubs(tmp_path_factory.mktemp("kb"))


@pytest.mark.parametrize("failure_mode", REQUIRED_IDS)
def test_explain_renders_every_part(kb: KnowledgeBase, failure_mode: str) -> None:
    fm = kb.get(failure_mode)
    text = render_explain(kb, fm)
    assert fm.title in text
    for step in fm.remediation:
        assert step[:40] in text, f"remediation missing: {step[:40]}"
    for ref in fm.references:
        assert ref.url in text
    for link in fm.causes:
        assert link.failure_mode in text


def test_explain_command_prints_a_failure_mode() -> None:
    if missing_link_targets(shipped_files()):
        pytest.skip("the built-in knowledge base still links to failure modes not shipped")
    result = CliRunner().invoke(app, ["explain", "conntrack-table-full"])
    assert result.exit_code == 0, result.output
    assert "nf_conntrack_max" in result.output


def test_builtin_knowledge_base_loads_as_shipped() -> None:
    missing = missing_link_targets(shipped_files())
    assert not missing, f"failure modes linked but not shipped: {sorted(missing)}"
    kb = load_knowledge_base()
    assert set(REQUIRED_IDS) <= set(kb.failure_modes)


def test_healthy_corpus_diagnoses_to_no_finding() -> None:
    diagnosis = diagnose(Request(paths=(Path(HEALTHY_DIR),)))
    found = [(f.failure_mode, f.confidence) for f in diagnosis.findings]
    assert found == [], f"healthy logs raised findings: {found}"
    assert len(diagnosis.inputs) >= 10
