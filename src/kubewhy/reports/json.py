"""The JSON report: the stable contract (see ``kubewhy.model.diagnosis``)."""

from __future__ import annotations

from kubewhy.model.diagnosis import Diagnosis
from kubewhy.model.redact import redact


def render_json(diagnosis: Diagnosis) -> str:
    return redact(diagnosis.model_dump_json(indent=2)) + "\n"
