"""The JSON Schema of the diagnosis (``kubewhy schema``), made from the report model itself so
it can never drift from what ``--format json`` writes.

>>> schema = diagnosis_schema()
>>> schema["properties"]["schema_version"]["default"] == SCHEMA_VERSION
True
"""

from __future__ import annotations

import json
from typing import Any

from kubewhy.model.diagnosis import SCHEMA_VERSION, Diagnosis

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def diagnosis_schema() -> dict[str, Any]:
    schema = Diagnosis.model_json_schema(mode="serialization")
    return {
        "$schema": DIALECT,
        "$id": f"urn:kubewhy:diagnosis:v{SCHEMA_VERSION}",
        "description": (
            "A kubewhy diagnosis (kubewhy diagnose --format json). Fields are only ever added; "
            "schema_version says which ones a report has."
        ),
        **schema,
    }


def render_schema() -> str:
    return json.dumps(diagnosis_schema(), indent=2, sort_keys=False) + "\n"
