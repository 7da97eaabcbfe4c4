"""No knowledge-base pattern may fire on logs of healthy components.

The corpus in ``tests/data/healthy`` holds real logs of etcd, containerd, Prometheus,
node-exporter and kernel boot, plus healthy kubelet/API server lines quoted in public threads
(see its PROVENANCE.md). A pattern that matches any of these lines would raise findings on every
healthy node, so it fails here with the file and line.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from kubewhy.kb.load import KnowledgeBase

from .helpers import HEALTHY_DIR, load_with_stubs, shipped_files

MIN_HEALTHY_LINES = 2000


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return load_with_stubs(tmp_path_factory.mktemp("kb"))


def _healthy_files() -> list[Path]:
    return sorted(HEALTHY_DIR.glob("*.log"))


def test_corpus_is_large_and_documented() -> None:
    files = _healthy_files()
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files)
    assert lines >= MIN_HEALTHY_LINES, f"only {lines} healthy lines"
    provenance = (HEALTHY_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    stems = {re.sub(r"-\d-", "-{1,2,3}-", p.name) for p in files}
    undocumented = [name for name in stems if name not in provenance]
    assert not undocumented, f"files missing from PROVENANCE.md: {undocumented}"


@cache
def _healthy_lines() -> list[tuple[str, int, str]]:
    return [
        (path.name, number, line)
        for path in _healthy_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
    ]


@pytest.mark.parametrize("failure_mode", [path.stem for path in shipped_files()])
def test_no_pattern_matches_a_healthy_line(kb: KnowledgeBase, failure_mode: str) -> None:
    # Refuting symptoms are made to match healthy lines (a planned restart): they only lower.
    # Symptoms that count only when they last (min_seconds) do match a healthy start's lines:
    # the whole diagnosis of the healthy corpus (test_explain_and_diagnose) judges them.
    compiled = [
        (s.id, re.compile(s.pattern, re.IGNORECASE if s.ignore_case else 0))
        for s in kb.get(failure_mode).logs
        if not s.refutes and s.min_seconds is None
    ]
    hits = [
        f"{failure_mode}/{symptom_id} matches {name}:{number}: {line[:160]}"
        for name, number, line in _healthy_lines()
        for symptom_id, pattern in compiled
        if pattern.search(line)
    ]
    assert not hits, "\n".join(hits)
