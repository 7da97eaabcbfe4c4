"""What query a saved answer answers, when another file says: people export Prometheus answers
with a list of the commands that made them (``curl ... 'query=...' > name.json`` in
``queries.txt``) or a query file beside each answer (``name.query.txt`` next to ``name.json``).

>>> listing = "curl -sG $API/query --data-urlencode 'query=sum(x)' -d time=1 > a.json"
>>> saved_queries("export/queries.txt", listing)
{'a.json': "curl -sG $API/query --data-urlencode 'query=sum(x)' -d time=1 > a.json"}
>>> saved_queries("prom-cpu.query.txt", "# made by hand\\nrate(x[5m])\\n")
{'prom-cpu.json': "'query=rate(x[5m])'"}
>>> saved_queries("kubelet.log", "> a.json")
{}
"""

from __future__ import annotations

import posixpath
import re

# Files that list the commands of an export, or hold the query of one answer.
_LISTING_NAME = re.compile(r"(?:^|[-_.])(?:quer(?:y|ies)|commands?)[-_.\w]*\.(?:txt|sh)$", re.I)
_QUERY_FILE = re.compile(r"^(?P<stem>.+)\.(?:query|promql)(?:\.txt)?$", re.I)
# Where a command's output went: "> file", "-o file", "--output file".
_TARGET = re.compile(r"(?:>\s*|(?:^|\s)(?:-o|--output)\s+)(?P<file>[\w./-]+\.json)\s*$")


def is_query_source(name: str) -> bool:
    """Whether a file of this name may say which query an answer beside it answers."""
    base = posixpath.basename(name)
    return bool(_QUERY_FILE.match(base) or _LISTING_NAME.search(base))


def saved_queries(name: str, text: str) -> dict[str, str]:
    """Answer file names (no folder) -> the command or query that made them."""
    base = posixpath.basename(name)
    single = _QUERY_FILE.match(base)
    if single:
        lines = [line.strip() for line in text.splitlines()]
        query = next((line for line in lines if line and not line.startswith("#")), "")
        quote = '"' if "'" in query else "'"
        return {f"{single.group('stem')}.json": f"{quote}query={query}{quote}"} if query else {}
    if not _LISTING_NAME.search(base):
        return {}
    found: dict[str, str] = {}
    for line in text.splitlines():
        target = _TARGET.search(line.strip())
        if target and "query" in line:
            found[posixpath.basename(target.group("file"))] = line.strip()
    return found
