"""One diagnosis per case, shared by every report test: the examples as a user runs them
(``kubewhy diagnose examples/<x>``) and every corpus case's evidence files, diagnosed once per
session and rendered in each format from there."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus.score import evidence_files, load_cases

from kubewhy.model.diagnosis import Diagnosis
from kubewhy.pipeline import Request, diagnose

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent for p in ROOT.glob("examples/*/expect.yaml"))


@pytest.fixture(scope="session")
def examples() -> dict[str, Diagnosis]:
    return {f"examples/{p.name}": diagnose(Request(paths=(p,), jobs=1)) for p in EXAMPLES}


@pytest.fixture(scope="session")
def every_case(examples: dict[str, Diagnosis]) -> dict[str, Diagnosis]:
    """The examples, the knowledge base's own cases and every corpus case (seeds included)."""
    cases = dict(examples)
    for case in load_cases(["dev", "holdout", "examples"]):
        name = str(case.folder.relative_to(ROOT))
        if name not in cases:
            cases[name] = diagnose(Request(paths=evidence_files(case.folder), jobs=1))
    return cases
