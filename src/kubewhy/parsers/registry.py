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

import hashlib
import importlib
import json
import pkgutil
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import cast

import kubewhy.parsers
from kubewhy.parsers.base import DocumentFormat, Hint, LogFormat
from kubewhy.scanning.engines import (
    PresenceFinder,
    cache_dir,
    cached_prefilters,
    code_stamp,
    presence_finder,
    read_cached_file,
    write_atomically,
)
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
    for name in _parser_modules():
        module = importlib.import_module(f"kubewhy.parsers.{name}")
        for fmt in getattr(module, "FORMATS", []):
            if hasattr(fmt, "parse_line"):
                logs.append(fmt)
            else:
                docs.append(fmt)
    return logs, docs


def _parser_modules() -> list[str]:
    infos = sorted(pkgutil.iter_modules(kubewhy.parsers.__path__), key=lambda i: i.name)
    return [info.name for info in infos if info.name not in ("base", "registry")]


def hints_of(fmt: DocumentFormat | LogFormat) -> tuple[Hint, ...] | None:
    """The hints ``fmt`` declares; None if it declares none (it is always asked)."""
    hints: tuple[Hint, ...] | None = getattr(fmt, "hints", None)
    return hints


def hint_regex(hint: Hint) -> tuple[str, int]:
    """A hint as a regex and its ``re`` flags: a substring is its escaped text."""
    if isinstance(hint, str):
        return re.escape(hint), 0
    return hint.pattern, hint.flags


class _Entry:
    """A format as detection knows it before its module is imported: where it is declared
    (``FORMATS[index]`` of ``kubewhy.parsers.<module>``), its name, and the ids of its hints
    (None: none declared). A plain class: a dataclass costs a run more to define than this
    one is used."""

    __slots__ = ("hints", "index", "log", "module", "name")

    def __init__(
        self, module: str, index: int, name: str, log: bool, hints: frozenset[int] | None
    ) -> None:
        self.module = module
        self.index = index
        self.name = name
        self.log = log
        self.hints = hints

    def format(self) -> DocumentFormat | LogFormat:
        found: DocumentFormat | LogFormat = _module_formats(self.module)[self.index]
        return found


@cache
def _module_formats(module: str) -> list[DocumentFormat | LogFormat]:
    formats: list[DocumentFormat | LogFormat] = importlib.import_module(
        f"kubewhy.parsers.{module}"
    ).FORMATS
    return formats


class _Manifest:
    """Every format in the order detection asks them (documents, then logs, each in the order
    of their modules' names and their ``FORMATS``), and each hint as a regex and its flags, in
    the order of their ids."""

    __slots__ = ("entries", "hints")

    def __init__(self, entries: list[_Entry], hints: list[tuple[str, int]]) -> None:
        self.entries = entries
        self.hints = hints


def _declared() -> _Manifest:
    """The manifest read from the parser modules themselves (each one imported)."""
    ids: dict[tuple[str, int], int] = {}
    entries: list[_Entry] = []
    for log in (False, True):
        for name in _parser_modules():
            formats = getattr(importlib.import_module(f"kubewhy.parsers.{name}"), "FORMATS", [])
            for index, fmt in enumerate(formats):
                if hasattr(fmt, "parse_line") != log:
                    continue
                hints = hints_of(fmt)
                hint_ids = (
                    None
                    if hints is None
                    else frozenset(ids.setdefault(hint_regex(h), len(ids)) for h in hints)
                )
                entries.append(_Entry(name, index, fmt.name, log, hint_ids))
    return _Manifest(entries, list(ids))


def _manifest_to_json(manifest: _Manifest) -> str:
    return json.dumps(
        {
            "entries": [
                [e.module, e.index, e.name, e.log, None if e.hints is None else sorted(e.hints)]
                for e in manifest.entries
            ],
            "hints": [list(h) for h in manifest.hints],
        }
    )


def _manifest_from_json(text: str) -> _Manifest | None:
    try:
        data = json.loads(text)
        hints = [(str(regex), int(flags)) for regex, flags in data["hints"]]
        entries = [
            _Entry(
                str(module),
                int(index),
                str(name),
                bool(log),
                None if ids is None else frozenset(int(i) for i in ids),
            )
            for module, index, name, log, ids in data["entries"]
        ]
    except (ValueError, TypeError, KeyError):
        return None
    well_formed = all(
        e.module.isidentifier()
        and e.index >= 0
        and (e.hints is None or all(0 <= i < len(hints) for i in e.hints))
        for e in entries
    )
    return _Manifest(entries, hints) if well_formed else None


@cache
def _manifest() -> _Manifest:
    """The formats' manifest, kept between runs so that a run imports only the parser modules
    of the formats it asks: its key is kubewhy's code as installed (every source file's name,
    size and time), so it is never stale; without a cache every module is imported, as the
    manifest is read from them."""
    base = cache_dir()
    stamp = code_stamp()
    if base is None or stamp is None:
        return _declared()
    key = hashlib.sha256(b"formats 1\n" + stamp).hexdigest()[:32]
    path = base / f"formats-{key}.json"
    data = read_cached_file(path)
    if data is not None:
        kept = _manifest_from_json(data.decode("utf-8", errors="replace"))
        if kept is not None:
            return kept
    manifest = _declared()
    write_atomically(path, _manifest_to_json(manifest).encode())
    return manifest


@dataclass(frozen=True)
class _Hinted:
    """Every format in the order detection asks them, with the ids of its hints (None: none
    declared), and what tells which hints a head holds."""

    entries: list[_Entry]
    finder: PresenceFinder | None
    # Hints that can match an empty string have no prefilter: every head holds them.
    always: frozenset[int]


@cache
def _hinted() -> _Hinted:
    manifest = _manifest()
    # Each hint's superset byte regex (kubewhy.scanning.prefilter): the engine reads bytes, the
    # sniffs read text; a superset may only let a format be asked in vain. Whole: a hint's
    # anchor and leading classes are what keep most heads from holding it.
    prefilters, _ = cached_prefilters(manifest.hints, translate_whole)
    finder = presence_finder([(i, p) for i, p in enumerate(prefilters) if p is not None])
    always = frozenset(i for i, p in enumerate(prefilters) if p is None)
    return _Hinted(manifest.entries, finder, always)


def _hints_present(lines: list[str]) -> set[int] | None:
    """The ids of the hints some line of ``lines`` holds; None when it cannot be told."""
    hinted = _hinted()
    if hinted.finder is None:
        return None
    text = "\n".join(lines)
    if text.count("\n") != len(lines) - 1:
        return None  # a line holding a newline: the engine's regexes stop at line ends
    return hinted.finder.present(text.encode("utf-8", "surrogatepass")) | hinted.always


def format_by_name(name: str) -> Detected | None:
    """The format called ``name`` (logs first), as detection would give it for sure."""
    entries = _hinted().entries
    for entry in [e for e in entries if e.log] + [e for e in entries if not e.log]:
        if entry.name == name:
            fmt = entry.format()
            if entry.log:
                return Detected(name, cast(LogFormat, fmt), None, 1.0)
            return Detected(name, None, cast(DocumentFormat, fmt), 1.0)
    return None


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
    for entry in hinted.entries:
        if present is None or entry.hints is None or not entry.hints.isdisjoint(present):
            fmt = entry.format()
            score = fmt.sniff(lines)
            if score > best.score:
                if entry.log:
                    best = Detected(entry.name, cast(LogFormat, fmt), None, score)
                else:
                    best = Detected(entry.name, None, cast(DocumentFormat, fmt), score)
    if best.score < SNIFF_FLOOR:
        return Detected("text", None, None, best.score)
    return best
