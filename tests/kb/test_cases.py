"""Every failure mode of this part of the knowledge base has an evidence folder it explains.

The end-to-end harness diagnoses each ``tests/kb/cases/<id>/`` and checks the ranking; here the
folder's shape is checked, and that the failure mode's own non-supporting patterns find the
symptom in it, so a folder never passes only through another failure mode's patterns.
"""

from __future__ import annotations

import re

import pytest
import yaml

from kubewhy.kb.load import KnowledgeBase

from .helpers import CASES_DIR, load_with_stubs
from .test_failure_modes import REQUIRED_IDS


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return load_with_stubs(tmp_path_factory.mktemp("kb"))


@pytest.mark.parametrize("failure_mode", REQUIRED_IDS)
def test_case_folder_expects_its_failure_mode(failure_mode: str) -> None:
    folder = CASES_DIR / failure_mode
    expect = yaml.safe_load((folder / "expect.yaml").read_text(encoding="utf-8"))
    assert expect["top"] == failure_mode
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "RECONSTRUCTED" in readme or "Real output" in readme


@pytest.mark.parametrize("failure_mode", REQUIRED_IDS)
def test_case_folder_shows_a_primary_symptom(kb: KnowledgeBase, failure_mode: str) -> None:
    primary = [
        re.compile(s.pattern, re.IGNORECASE if s.ignore_case else 0)
        for s in kb.get(failure_mode).logs
        if not s.supporting
    ]
    evidence = [
        line
        for path in sorted((CASES_DIR / failure_mode).iterdir())
        if path.name not in {"README.md", "expect.yaml"}
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert any(p.search(line) for p in primary for line in evidence)
