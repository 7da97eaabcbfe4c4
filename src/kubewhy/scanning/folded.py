"""Quoted YAML strings folded over several lines, read back as the one line they hold.

``kubectl get -o yaml`` (and any YAML writer) breaks a long quoted string, such as a
condition's message or an event's, over several lines. YAML folds them back with one space
between the pieces; a pattern written for the message matches none of the pieces:

    message: 'pods "istio-citadel-59fc7bfdbf-" is forbidden: no PriorityClass with
      name gsp-critical was found'

>>> folded_scalars(["  - message: 'pods is forbidden: no PriorityClass with",
...                 "      name gsp-critical was found'", "    reason: FailedCreate"])
[(0, 1, "  - message: 'pods is forbidden: no PriorityClass with name gsp-critical was found'")]
>>> folded_scalars(["message: 'complete on one line'", "x: 1"])
[]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A key whose value opens a quoted string: its indent (a list item's dash included).
_OPENING = re.compile(r"^(?P<indent>\s*(?:- )?)[\w./-]+: (?P<quote>['\"])")
# A scalar folded over more lines than this is a document of its own, not a message.
MAX_PIECES = 40
# Strings looked at in one input: for pasted objects, not whole big files.
MAX_SCALARS = 5_000


def folded_scalars(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(first line, last line, the key and its string on one line)`` for each quoted string
    that a YAML writer continued on more-indented lines."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(lines) and len(out) < MAX_SCALARS:
        opening = _OPENING.match(lines[i])
        if opening is None or _closes(lines[i][opening.end() :], opening["quote"]):
            i += 1
            continue
        depth = len(opening["indent"])
        pieces = [lines[i].rstrip()]
        end = None
        for j in range(i + 1, min(len(lines), i + MAX_PIECES)):
            line = lines[j]
            if not line.strip() or len(line) - len(line.lstrip()) <= depth:
                break
            pieces.append(line.strip())
            if _closes(line.strip(), opening["quote"]):
                end = j
                break
        if end is None:
            i += 1
            continue
        out.append((i, end, " ".join(pieces)))
        i = end + 1
    return out


def _closes(text: str, quote: str) -> bool:
    """Whether ``text`` (what follows the opening quote, or a continuation) ends the string:
    its last quote is not doubled ('' is an escaped quote in single-quoted YAML) or, in a
    double-quoted string, not escaped."""
    body = text.rstrip()
    if not body.endswith(quote):
        return False
    if quote == "'":
        return (len(body) - len(body.rstrip("'"))) % 2 == 1
    return not body.endswith('\\"')
