"""Log records pretty-printed over many lines (``jq .`` output, an editor's view of a zap line).

Patterns are written for what the program wrote: one compact JSON object per line
(``{"level":"warn","msg":"apply request took too long",...}``). A record a person pasted
indented, one field per line, matches none of them. Each such block is read back into the one
line the program wrote: parsed, then printed compactly with its fields in their order.

>>> pretty_records(['{', '  "level": "warn",', '  "took": "130ms"', '}', 'next'])
[(0, 3, '{"level":"warn","took":"130ms"}')]
>>> pretty_records(['{"level":"warn"}', '{', '  "not json', '}'])
[]
"""

from __future__ import annotations

import json
from collections.abc import Sequence

# A record is a few dozen lines; a block past these is a document, not a log line.
MAX_RECORD_LINES = 200
MAX_RECORD_CHARS = 64 << 10
# Records read back in one input: for pasted excerpts, not whole big logs.
MAX_RECORDS = 5_000


def pretty_records(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(index of the opening line, of the closing line, the record on one line)`` for each
    object printed over several lines: a line that is only ``{`` up to the ``}`` at the same
    indent."""
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(lines) and len(out) < MAX_RECORDS:
        opening = lines[i]
        if opening.strip() != "{":
            i += 1
            continue
        indent = opening[: len(opening) - len(opening.lstrip())]
        end = _closing(lines, i, indent)
        if end is None:
            i += 1
            continue
        compact = _compact("\n".join(lines[i : end + 1]).rstrip().rstrip(","))
        if compact is not None:
            out.append((i, end, compact))
        i = end + 1
    return out


def _closing(lines: Sequence[str], start: int, indent: str) -> int | None:
    size = 0
    for j in range(start + 1, min(len(lines), start + MAX_RECORD_LINES)):
        size += len(lines[j])
        if size > MAX_RECORD_CHARS:
            return None
        if lines[j].rstrip() in (indent + "}", indent + "},"):
            return j
    return None


def _compact(text: str) -> str | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
