"""What every report does to the model before rendering it: redact secrets, escape terminal
control characters (text and Markdown), and obfuscate addresses and host names on request.

Done on the model, string by string, so that each evidence line is redacted on its own (a key's
BEGIN line in one evidence line and its END line in another cannot swallow what lies between)
and every format (text, Markdown, JSON, and any other renderer of the model) says the same.

>>> safe_text("ok \\x1b[31mred\\x1b[0m \\u202egnp.exe\\r")
'ok \\\\x1b[31mred\\\\x1b[0m \\\\u202egnp.exe\\\\r'
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel

from kubewhy.model.obfuscate import Obfuscator
from kubewhy.model.redact import redact, redact_tree

M = TypeVar("M", bound=BaseModel)

# C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidirectional overrides
# and isolates that make a terminal show text in another order than it is.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """``text`` with every terminal control character shown as an escape, never sent."""
    return _CONTROL.sub(_escape, text)


def prepared(model: M, *, escape: bool, obfuscator: Obfuscator | None = None) -> M:
    """A copy of ``model`` with every string redacted (and escaped, and obfuscated)."""
    tree = redact_tree(model.model_dump(mode="json"))
    if escape or obfuscator is not None:
        tree = _map_strings(tree, escape, obfuscator)
    return type(model).model_validate(tree)


def prepared_text(text: str, *, escape: bool) -> str:
    """The same for a report that is already text (goroutine reports, audit lines)."""
    text = redact(text)
    return safe_text(text) if escape else text


def _map_strings(value: Any, escape: bool, obfuscator: Obfuscator | None) -> Any:
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for key, item in items:
            if isinstance(item, dict | list):
                stack.append(item)
            elif isinstance(item, str):
                text = obfuscator.text(item) if obfuscator is not None else item
                node[key] = safe_text(text) if escape else text
    return value
