"""The published JSON Schema of the diagnosis: made from the model, kept in docs/, and every
JSON report of every example and corpus case valid against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, ValidationError

from kubewhy.model.diagnosis import SCHEMA_VERSION, Diagnosis
from kubewhy.reports import render
from kubewhy.reports.schema import diagnosis_schema, render_schema

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "docs" / "schema" / "diagnosis.schema.json"


def test_the_published_schema_is_the_models() -> None:
    # Regenerate with: kubewhy schema -o docs/schema/diagnosis.schema.json
    assert PUBLISHED.read_text(encoding="utf-8") == render_schema()
    run = subprocess.run(
        [sys.executable, "-m", "kubewhy", "schema"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0 and json.loads(run.stdout) == diagnosis_schema()
    Draft202012Validator.check_schema(diagnosis_schema())


def test_every_json_report_validates(every_case: dict[str, Diagnosis]) -> None:
    validator = Draft202012Validator(diagnosis_schema())
    for name, diagnosis in every_case.items():
        report = json.loads(render(diagnosis, "json"))
        assert report["schema_version"] == SCHEMA_VERSION, name
        errors = [e.message for e in validator.iter_errors(report)]
        assert not errors, (name, errors[:3])


def test_the_schema_refuses_what_the_contract_does_not_say() -> None:
    validator = Draft202012Validator(diagnosis_schema())
    good = json.loads(render(Diagnosis(kubewhy_version="0"), "json"))
    validator.validate(good)
    with pytest.raises(ValidationError):
        validator.validate({**good, "findings": [{"rank": "first"}]})
    with pytest.raises(ValidationError):
        validator.validate({**good, "undeclared": 1})
