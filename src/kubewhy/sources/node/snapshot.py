"""How the node collector writes its JSON snapshots: one header line, then one item per line.

An item per line keeps the file greppable and lets a parser cite an item by its line number,
the same way a log line is cited. The header names the snapshot kind and version, so the file
is recognised by content as well as by the manifest's format hint.

>>> print(dumps_snapshot("node-example", {"node": "n1"}, "rows", [{"a": 1}, {"a": 2}]).decode())
{"kubewhy_snapshot": "node-example", "version": 1, "node": "n1", "rows": [
{"a": 1},
{"a": 2}
]}
<BLANKLINE>
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

SNAPSHOT_VERSION = 1


def dumps_snapshot(
    kind: str, header: Mapping[str, object], list_key: str, items: Sequence[object]
) -> bytes:
    head = json.dumps({"kubewhy_snapshot": kind, "version": SNAPSHOT_VERSION, **header})
    lines = [head[:-1] + f', "{list_key}": [']
    body = [json.dumps(item, separators=(", ", ": ")) for item in items]
    lines.extend(line + "," for line in body[:-1])
    if body:
        lines.append(body[-1])
    lines.append("]}")
    return ("\n".join(lines) + "\n").encode()
