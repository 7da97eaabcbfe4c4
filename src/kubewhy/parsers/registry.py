"""Format detection by content, not by name.

Each parser module declares ``FORMATS``: a list of :class:`LogFormat` or :class:`DocumentFormat`
objects. Detection reads the first lines of an input, asks every format how sure it is, and takes
the surest one above a floor; anything else is plain text, still scanned for symptoms.

A format that declares ``hints`` (:data:`~kubewhy.parsers.base.Hint`) is asked only about heads
holding one of them: one Hyperscan pass over a head tells which hints it holds, where asking
every format costs far more (a directory of thousands of small logs). A format's hints are a
necessary condition of its score, so the result is the same as asking every format; without
Hyperscan every format is asked.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import kubewhy.parsers
from kubewhy.parsers.base import DocumentFormat, Hint, LogFormat
from kubewhy.scanning.engines import PresenceFinder, cached_prefilters, presence_finder
from kubewhy.scanning.prefilter import translate_whole

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


def hints_of(fmt: DocumentFormat | LogFormat) -> tuple[Hint, ...] | None:
    """The hints ``fmt`` declares; None if it declares none (it is always asked)."""
    hints: tuple[Hint, ...] | None = getattr(fmt, "hints", None)
    return hints


def hint_regex(hint: Hint) -> tuple[str, int]:
    """A hint as a regex and its ``re`` flags: a substring is its escaped text."""
    if isinstance(hint, str):
        return re.escape(hint), 0
    return hint.pattern, hint.flags


@dataclass(frozen=True)
class _Hinted:
    """Every format in the order detection asks them, with the ids of its hints (None: none
    declared), and what tells which hints a head holds."""

    docs: list[tuple[DocumentFormat, frozenset[int] | None]]
    logs: list[tuple[LogFormat, frozenset[int] | None]]
    finder: PresenceFinder | None
    # Hints that can match an empty string have no prefilter: every head holds them.
    always: frozenset[int]


@cache
def _hinted() -> _Hinted:
    logs, docs = all_formats()
    ids: dict[tuple[str, int], int] = {}

    def ids_of(fmt: DocumentFormat | LogFormat) -> frozenset[int] | None:
        hints = hints_of(fmt)
        if hints is None:
            return None
        return frozenset(ids.setdefault(hint_regex(h), len(ids)) for h in hints)

    hinted_docs = [(doc, ids_of(doc)) for doc in docs]
    hinted_logs = [(log, ids_of(log)) for log in logs]
    # Each hint's superset byte regex (kubewhy.scanning.prefilter): the engine reads bytes, the
    # sniffs read text; a superset may only let a format be asked in vain. Whole: a hint's
    # anchor and leading classes are what keep most heads from holding it.
    prefilters, _ = cached_prefilters(list(ids), translate_whole)
    finder = presence_finder([(i, p) for i, p in enumerate(prefilters) if p is not None])
    always = frozenset(i for i, p in enumerate(prefilters) if p is None)
    return _Hinted(hinted_docs, hinted_logs, finder, always)


def _hints_present(lines: list[str]) -> set[int] | None:
    """The ids of the hints some line of ``lines`` holds; None when it cannot be told."""
    hinted = _hinted()
    if hinted.finder is None:
        return None
    text = "\n".join(lines)
    if text.count("\n") != len(lines) - 1:
        return None  # a line holding a newline: the engine's regexes stop at line ends
    return hinted.finder.present(text.encode("utf-8", "surrogatepass")) | hinted.always


def detect(head: Sequence[str], *, prefilter: bool = True) -> Detected:
    """The format of an input whose first lines are ``head``. ``prefilter=False`` asks every
    format, hints or not (the tests compare the two).

    >>> detect(["I0907 07:04:17.611412       1 trace.go:116] Trace[1]: slow"]).name
    'klog'
    >>> detect(["hello", "world"]).name
    'text'
    """
    lines = [line for line in head[:SNIFF_LINES] if line.strip()]
    if not lines:
        return Detected("empty", None, None, 0.0)
    hinted = _hinted()
    present = _hints_present(lines) if prefilter else None
    best = Detected("text", None, None, 0.0)
    # A format whose hints are all absent would score 0, which never beats the best so far.
    for doc, ids in hinted.docs:
        if present is None or ids is None or not ids.isdisjoint(present):
            score = doc.sniff(lines)
            if score > best.score:
                best = Detected(doc.name, None, doc, score)
    for log, ids in hinted.logs:
        if present is None or ids is None or not ids.isdisjoint(present):
            score = log.sniff(lines)
            if score > best.score:
                best = Detected(log.name, log, None, score)
    if best.score < SNIFF_FLOOR:
        return Detected("text", None, None, best.score)
    return best
