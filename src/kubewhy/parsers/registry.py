"""Format detection by content, not by name.

Each parser module declares ``FORMATS``: a list of :class:`LogFormat` or :class:`DocumentFormat`
objects. Detection reads the first lines of an input, asks every format how sure it is, and takes
the surest one above a floor; anything else is plain text, still scanned for symptoms.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import kubewhy.parsers
from kubewhy.parsers.base import DocumentFormat, LogFormat

SNIFF_LINES = 60
SNIFF_FLOOR = 0.3


@dataclass(frozen=True)
class Detected:
    name: str
    log: LogFormat | None
    document: DocumentFormat | None
    score: float


@cache
def all_formats() -> tuple[list[LogFormat], list[DocumentFormat]]:
    logs: list[LogFormat] = []
    docs: list[DocumentFormat] = []
    for info in sorted(pkgutil.iter_modules(kubewhy.parsers.__path__), key=lambda i: i.name):
        if info.name in ("base", "registry"):
            continue
        module = importlib.import_module(f"kubewhy.parsers.{info.name}")
        for fmt in getattr(module, "FORMATS", []):
            if hasattr(fmt, "parse_line"):
                logs.append(fmt)
            else:
                docs.append(fmt)
    return logs, docs


def detect(head: Sequence[str]) -> Detected:
    """The format of an input whose first lines are ``head``.

    >>> detect(["I0907 07:04:17.611412       1 trace.go:116] Trace[1]: slow"]).name
    'klog'
    >>> detect(["hello", "world"]).name
    'text'
    """
    lines = [line for line in head[:SNIFF_LINES] if line.strip()]
    if not lines:
        return Detected("empty", None, None, 0.0)
    logs, docs = all_formats()
    best = Detected("text", None, None, 0.0)
    for doc in docs:
        score = doc.sniff(lines)
        if score > best.score:
            best = Detected(doc.name, None, doc, score)
    for log in logs:
        score = log.sniff(lines)
        if score > best.score:
            best = Detected(log.name, log, None, score)
    if best.score < SNIFF_FLOOR:
        return Detected("text", None, None, best.score)
    return best
