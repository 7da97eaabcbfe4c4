"""Candidate-line finders: one multi-pattern pass over a block of whole lines.

A finder returns, for each line that may match, the start offset of the line and the indices of
the patterns worth checking on it (None: check them all). It may propose too many lines, never
too few: :mod:`kubewhy.scanning.prefilter` makes every pattern a superset of its lines.

>>> finder = make_finder("re", [(0, "PLEG"), (1, "OOM")])[1]
>>> finder.find(b"a\\nPLEG x\\nb\\nOOM\\n", 15)
{2: None, 11: None}
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.util
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from kubewhy import __version__
from kubewhy.scanning.patterns import PatternError

Buffer = bytes | bytearray
# Line start -> indices of the patterns to check on that line (None: every pattern).
Candidates = dict[int, set[int] | None]
ENGINES = ("hyperscan", "re2", "re")


class Finder(Protocol):
    def find(self, buf: Buffer, end: int) -> Candidates:
        """Candidate lines of ``buf[:end]``, which holds whole lines."""
        ...


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


_hyperscan: Any = _optional("hyperscan")


def _package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def _hs_version() -> str:
    """The installed Hyperscan's version: a cached database is valid only for the build that
    serialized it. The module's own ``__version__`` (the package's) where it has one, which
    spares reading the installed packages' metadata."""
    if _hyperscan is None:
        return ""
    version = getattr(_hyperscan, "__version__", None)
    return version if isinstance(version, str) else _package_version("hyperscan")


_re2: Any = _optional("re2")


def available_engines() -> list[str]:
    """Engines importable here, fastest first; ``re`` is always there.

    >>> available_engines()[-1]
    're'
    """
    found = []
    if _hyperscan is not None:
        found.append("hyperscan")
    if _re2 is not None:
        found.append("re2")
    return [*found, "re"]


def make_finder(engine: str, prefilters: Sequence[tuple[int, str]]) -> tuple[str, Finder]:
    """The engine name actually used and its finder over ``(pattern index, byte regex)``."""
    if engine == "auto":
        engine = available_engines()[0]
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose auto, {', '.join(ENGINES)}")
    if engine not in available_engines():
        raise ValueError(f"engine {engine!r} is not installed")
    if not prefilters:
        return engine, _NoFinder()
    if engine == "hyperscan":
        return engine, HyperscanFinder(prefilters)
    if engine == "re2":
        return engine, Re2Finder(prefilters)
    return engine, ReFinder(prefilters)


class _NoFinder:
    def find(self, buf: Buffer, end: int) -> Candidates:
        return {}


class HyperscanFinder:
    """Hyperscan block mode over the whole block, every match reported (no SINGLEMATCH),
    folded to one entry per line and pattern inside the callback."""

    def __init__(self, prefilters: Sequence[tuple[int, str]]) -> None:
        hs = _hyperscan
        self._count = max(index for index, _ in prefilters) + 1
        expressions = [regex.encode("ascii") for _, regex in prefilters]
        ids = [index for index, _ in prefilters]
        flags = [hs.HS_FLAG_MULTILINE] * len(expressions)
        self._local = threading.local()
        cached = cache_path(prefilters)
        self._db = _load_cached(cached)
        if self._db is not None:
            return
        self._db = hs.Database(mode=hs.HS_MODE_BLOCK)
        try:
            self._db.compile(expressions=expressions, ids=ids, elements=len(ids), flags=flags)
        except hs.error as err:
            raise _culprit(prefilters, err) from err
        _store_cached(cached, self._db)

    def find(self, buf: Buffer, end: int) -> Candidates:
        lows = [-1] * self._count
        highs = [-1] * self._count
        hits: Candidates = {}
        rfind = buf.rfind
        find = buf.find

        def on_match(index: int, _start: int, stop: int, _flags: int, _ctx: object) -> None:
            # Most matches repeat a line already seen for this pattern (every end offset of
            # ``.*`` is a match): skip those without searching for the line bounds.
            if lows[index] < stop <= highs[index]:
                return
            line_start = rfind(b"\n", 0, stop - 1) + 1
            newline = find(b"\n", stop - 1, end)
            lows[index] = line_start
            highs[index] = end if newline < 0 else newline + 1
            found = hits.get(line_start)
            if found is None:
                hits[line_start] = {index}
            else:
                found.add(index)

        scratch = self._scratch()
        if scratch is None:
            self._db.scan(memoryview(buf)[:end], match_event_handler=on_match)
        else:
            self._db.scan(memoryview(buf)[:end], match_event_handler=on_match, scratch=scratch)
        return hits

    def _scratch(self) -> Any:
        """The scratch space of this thread's scans: a scan needs one of its own while others
        run (the database's own serves the main thread)."""
        if threading.current_thread() is threading.main_thread():
            return None
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = _hyperscan.Scratch(self._db)
        return scratch


class PresenceFinder:
    """Which of some patterns occur anywhere in a text: Hyperscan block mode, each pattern
    reported once (``HS_FLAG_SINGLEMATCH``), so a text costs one pass and one call per pattern
    found, however often it occurs. Only Hyperscan has such a pass; see :func:`presence_finder`.
    """

    def __init__(self, prefilters: Sequence[tuple[int, str]]) -> None:
        hs = _hyperscan
        self._local = threading.local()
        cached = cache_path(prefilters, kind="presence")
        self._db = _load_cached(cached)
        if self._db is not None:
            return
        self._db = hs.Database(mode=hs.HS_MODE_BLOCK)
        self._db.compile(
            expressions=[regex.encode("ascii") for _, regex in prefilters],
            ids=[index for index, _ in prefilters],
            elements=len(prefilters),
            flags=[hs.HS_FLAG_MULTILINE | hs.HS_FLAG_SINGLEMATCH] * len(prefilters),
        )
        _store_cached(cached, self._db)

    def present(self, text: bytes) -> set[int]:
        found: set[int] = set()

        def on_match(index: int, _start: int, _stop: int, _flags: int, _ctx: object) -> None:
            found.add(index)

        if threading.current_thread() is threading.main_thread():
            self._db.scan(text, match_event_handler=on_match)
        else:  # a scan needs a scratch space of its own while others run
            scratch = getattr(self._local, "scratch", None)
            if scratch is None:
                scratch = self._local.scratch = _hyperscan.Scratch(self._db)
            self._db.scan(text, match_event_handler=on_match, scratch=scratch)
        return found


def presence_finder(prefilters: Sequence[tuple[int, str]]) -> PresenceFinder | None:
    """A :class:`PresenceFinder` of ``(pattern index, byte regex)``; None without Hyperscan or
    when it refuses the patterns (the caller then does without)."""
    if _hyperscan is None or not prefilters:
        return None
    try:
        return PresenceFinder(prefilters)
    except _hyperscan.error:
        return None


def cache_dir() -> Path | None:
    """Where work is kept between runs; None when ``KUBEWHY_CACHE_DIR`` is empty (off)."""
    base = os.environ.get("KUBEWHY_CACHE_DIR")
    if base == "":
        return None
    if base is None:
        home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(home, "kubewhy")
    return Path(base)


def cached_prefilters(
    specs: Sequence[tuple[str, int]],
    translate: Callable[[str, int], str | None],
    check: Callable[[list[str | None]], None] | None = None,
) -> tuple[list[str | None], bool]:
    """The prefilter of each ``(regex, re flags)``, translated once and kept between runs
    (translating 300 patterns takes about a second), and whether they came from the cache. The
    key covers the translator's own source, so a changed translator never serves stale
    prefilters. ``check`` sees freshly translated ones before they are kept: what it refuses
    is never kept, so a cache hit vouches for the patterns."""
    base = cache_dir()
    path = None
    if base is not None:
        # The flags as numbers: an enum's repr is Python code, a tenth of a millisecond each.
        listed = json.dumps([[regex, int(flags)] for regex, flags in specs])
        key = hashlib.sha256(listed.encode() + _source_of(translate)).hexdigest()[:32]
        path = base / f"prefilters-{key}.json"
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(found, list) and len(found) == len(specs):
                return [p if isinstance(p, str) else None for p in found], True
        except (OSError, ValueError):
            pass
    result = [translate(regex, flags) for regex, flags in specs]
    if check is not None:
        check(result)
    if path is not None:
        write_atomically(path, json.dumps(result).encode())
    return result, False


def kept_for_package(package: str, read: Callable[[], Any]) -> Any:
    """What ``read`` returns (JSON data read from the installed ``package``), kept between
    runs: the key covers the package's installed files (names, sizes, times) and ``read``'s
    own source, so an upgraded package or a changed reader is a miss. What JSON cannot give
    back exactly is not kept. Best effort, like every cache here."""
    base = cache_dir()
    stamp = _installed_stamp(package)
    if base is None or stamp is None:
        return read()
    key = hashlib.sha256(stamp + _source_of(read)).hexdigest()[:32]
    path = base / f"package-{package}-{key}.json"
    data = read_cached_file(path)
    if data is not None:
        try:
            return json.loads(data)
        except ValueError:
            pass
    found = read()
    try:
        text = json.dumps(found)
    except (TypeError, ValueError):
        return found
    if json.loads(text) == found:
        write_atomically(path, text.encode())
    return found


def code_stamp() -> bytes | None:
    """kubewhy's own code as installed (each source file's name, size and modification time;
    a frozen build: its version): what a cache of work that code did is keyed by. None when
    it cannot be told (the cache is then not used)."""
    return _installed_stamp("kubewhy")


def _installed_stamp(package: str) -> bytes | None:
    """Names, sizes and modification times of a package's installed files, without importing
    it; None when it is not found as files (a frozen build)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    where = list(spec.submodule_search_locations or []) if spec is not None else []
    if len(where) != 1 or not os.path.isdir(where[0]):
        return None
    try:
        parts = [f"{package} {__version__}", *_source_files(where[0])]
        if len(parts) == 1 or getattr(sys, "frozen", False):
            # A frozen build ships no sources: the executable itself stands for its code.
            st = os.stat(sys.executable)
            parts.append(f"{sys.executable} {st.st_size} {st.st_mtime_ns}")
    except OSError:
        return None
    return "\n".join(parts).encode("utf-8", "surrogateescape")


@functools.cache
def _source_files(folder: str) -> tuple[str, ...]:
    """Each ``.py`` file under ``folder``: its path, size and modification time. Read once per
    process (several caches are keyed by it): the code a process runs is the code it loaded."""
    parts = []
    for where, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(where, name))
                parts.append(f"{where}/{name} {st.st_size} {st.st_mtime_ns}")
    return tuple(parts)


def _source_of(function: Callable[..., object]) -> bytes:
    """The source file of the module defining ``function``, as bytes (read directly: what
    ``inspect.getsource`` would give costs importing the tokenizer); in a frozen single-file
    build, where no source ships, the build's version stands in (a build never changes its
    translator)."""
    module = sys.modules.get(getattr(function, "__module__", None) or "")
    path = getattr(module, "__file__", None)
    if isinstance(path, str) and path.endswith(".py"):
        try:
            with open(path, "rb") as source:
                return source.read()
        except OSError:
            pass
    return f"frozen {__version__}".encode()


def cache_path(prefilters: Sequence[tuple[int, str]], kind: str = "hyperscan") -> Path | None:
    """Where a compiled database of these patterns is kept between runs (compiling ~150
    patterns takes half a second; loading the serialized database takes microseconds). Each
    ``kind`` of database (its compile flags) has files of its own.

    ``KUBEWHY_CACHE_DIR`` overrides the place; an empty value turns the cache off."""
    base = cache_dir()
    if base is None:
        return None
    digest = hashlib.sha256(repr((_hs_version(), list(prefilters))).encode()).hexdigest()[:32]
    return base / f"{kind}-{digest}.db"


def _load_cached(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        data = path.read_bytes()
        db = _hyperscan.loadb(data, _hyperscan.HS_MODE_BLOCK)
        db.scratch = _hyperscan.Scratch(db)
        return db
    except (OSError, _hyperscan.error, TypeError, ValueError):
        return None  # absent, unreadable or from another Hyperscan: compile instead


def _store_cached(path: Path | None, db: Any) -> None:
    """Best effort: a read-only or full filesystem only means compiling next time."""
    if path is None:
        return
    try:
        data = _hyperscan.dumpb(db)
    except (_hyperscan.error, TypeError):
        return
    write_atomically(path, data)


def read_cached_file(path: Path) -> bytes | None:
    """Best effort: the bytes of a file kept in the cache, None if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError:
        return None


# Files of one kind kept in the cache (a knowledge base's parse, its prefilters, its compiled
# database): each edit of the knowledge base writes new ones, so only the latest few are kept.
CACHE_KEEP_PER_KIND = 4


def write_atomically(path: Path, data: bytes) -> None:
    """Best effort, never a half-written file: a read-only or full filesystem only means
    redoing the work next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        return
    _prune(path)


def _prune(written: Path) -> None:
    """Remove the oldest cache files of ``written``'s kind (its name up to the first dash)
    beyond the latest few; best effort."""
    kind = written.name.split("-", 1)[0] + "-"
    try:
        same = [p for p in written.parent.iterdir() if p.name.startswith(kind) and p.is_file()]
        same.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in same[CACHE_KEEP_PER_KIND:]:
        if old != written:
            with contextlib.suppress(OSError):
                old.unlink()


def _culprit(prefilters: Sequence[tuple[int, str]], err: Exception) -> PatternError:
    """Compile the patterns one by one to name the one Hyperscan refuses."""
    hs = _hyperscan
    for index, regex in prefilters:
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        try:
            db.compile(expressions=[regex.encode("ascii")], flags=[hs.HS_FLAG_MULTILINE])
        except hs.error as single:
            return PatternError(index, f"hyperscan cannot compile it: {single}")
    return PatternError(prefilters[0][0], f"hyperscan cannot compile the database: {err}")


class _AlternationFinder:
    """Leftmost search of one alternation of all patterns; resumes at the next line, so each
    candidate line costs one search."""

    def _search(self, text: memoryview, pos: int) -> tuple[int, int] | None:
        raise NotImplementedError

    def _patterns_on(self, line: bytes) -> set[int] | None:
        return None

    def find(self, buf: Buffer, end: int) -> Candidates:
        hits: Candidates = {}
        pos = 0
        # The text ends at ``end`` so that ``$`` matches there (RE2 would look past endpos).
        text = memoryview(buf)[:end]
        while pos < end:
            span = self._search(text, pos)
            if span is None:
                break
            start, stop = span
            line_start = buf.rfind(b"\n", 0, start) + 1
            # A candidate could span lines only through a literal newline: check each line.
            last = buf.find(b"\n", max(start, stop - 1), end)
            pos = end if last < 0 else last + 1
            while line_start < pos:
                newline = buf.find(b"\n", line_start, end)
                line_end = end if newline < 0 else newline
                hits[line_start] = self._patterns_on(bytes(buf[line_start:line_end]))
                line_start = line_end + 1
        return hits


class Re2Finder(_AlternationFinder):
    """RE2 (Latin-1, so ``\\xHH`` is a byte): an alternation finds lines, an ``re2.Set``
    says which patterns to check on each."""

    def __init__(self, prefilters: Sequence[tuple[int, str]]) -> None:
        re2 = _re2
        options = re2.Options()
        options.encoding = re2.Options.Encoding.LATIN1
        options.max_mem = 64 << 20  # room for one DFA over the whole knowledge base
        options.log_errors = False
        for index, regex in prefilters:
            try:
                re2.compile(b"(?m)" + regex.encode("ascii"), options)
            except re2.error as err:
                raise PatternError(index, f"re2 cannot compile it: {err}") from err
        joined = b"|".join(b"(?:" + regex.encode("ascii") + b")" for _, regex in prefilters)
        self._combined = re2.compile(b"(?m)" + joined, options)
        self._set = re2.Set.SearchSet(options)
        self._indices: list[int] = []
        for index, regex in prefilters:
            self._set.Add(b"(?m)" + regex.encode("ascii"))
            self._indices.append(index)
        self._set.Compile()

    def _search(self, text: memoryview, pos: int) -> tuple[int, int] | None:
        found = self._combined.search(text, pos)
        return None if found is None else (found.start(), found.end())

    def _patterns_on(self, line: bytes) -> set[int] | None:
        return {self._indices[i] for i in self._set.Match(line)}


class ReFinder(_AlternationFinder):
    """Python ``re`` on bytes: always available, slow; for checking the others."""

    def __init__(self, prefilters: Sequence[tuple[int, str]]) -> None:
        joined = "|".join(f"(?:{regex})" for _, regex in prefilters)
        self._combined = re.compile(joined.encode("ascii"), re.MULTILINE)

    def _search(self, text: memoryview, pos: int) -> tuple[int, int] | None:
        found = self._combined.search(text, pos)
        return None if found is None else found.span()
