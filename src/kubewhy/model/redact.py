"""Scrub secrets from anything kubewhy writes: bearer tokens, passwords, keys, JWTs.

>>> redact('Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')
'Authorization: Bearer [REDACTED]'
>>> redact("--token=abc123def --password=hunter2 ok")
'--token=[REDACTED] --password=[REDACTED] ok'
"""

from __future__ import annotations

import re

_RULES = [
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1[REDACTED]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[REDACTED]"),
    (
        re.compile(
            r"(?i)((?:--)?(?:token|password|passwd|secret|client-key-data|client-secret|api[-_]?key)"
            r"[\"']?\s*[=:]\s*[\"']?)[^\s\"',}]+"
        ),
        r"\1[REDACTED]",
    ),
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
        "[REDACTED KEY]",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
