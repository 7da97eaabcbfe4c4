"""Scrub API objects before they are written: nothing secret leaves the cluster in a bundle.

Secrets are never requested at all. What remains to scrub are secrets that people put where they
should not: tokens in container arguments, passwords in environment values, keys in annotations.
Every string goes through :func:`kubewhy.model.redact.redact`; environment values whose name
says they are secret are replaced whole; ``managedFields`` and the last-applied annotation (a
copy of the whole object, environment included) are dropped, which also halves the size.

>>> pod = {"metadata": {"managedFields": [{}]}, "spec": {"containers": [{"name": "app",
...        "args": ["--token=abc123def"], "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}]}}
>>> clean = scrub(pod)
>>> clean["spec"]["containers"][0]["args"], clean["spec"]["containers"][0]["env"][0]["value"]
(['--token=[REDACTED]'], '[REDACTED]')
>>> "managedFields" in clean["metadata"]
False
"""

from __future__ import annotations

import re
from typing import Any

from kubewhy.model.redact import redact

_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Strings that might hold something redact() would change: only those are passed to it.
_SUSPECT = re.compile(
    r"(?i)bearer|eyJ|token|passw|secret|client-key|client-secret|api[-_]?key|PRIVATE KEY"
)
_SECRET_NAME = re.compile(r"(?i)token|passw|secret|api[-_]?key|credential|private[-_]?key")


def scrub(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy-free scrub: ``obj`` is changed in place and returned."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(_LAST_APPLIED, None)
    _scrub_env(obj.get("spec"))
    scrubbed = _walk(obj)
    return scrubbed if isinstance(scrubbed, dict) else obj


def scrub_text(text: str) -> str:
    return redact(text) if _SUSPECT.search(text) else text


def _scrub_env(spec: Any) -> None:
    if not isinstance(spec, dict):
        return
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in spec.get(key) or ():
            if not isinstance(container, dict):
                continue
            for variable in container.get("env") or ():
                if (
                    isinstance(variable, dict)
                    and "value" in variable
                    and _SECRET_NAME.search(str(variable.get("name") or ""))
                ):
                    variable["value"] = "[REDACTED]"


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str | dict | list):
                value[key] = _walk(item)
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str | dict | list):
                value[index] = _walk(item)
        return value
    return value
