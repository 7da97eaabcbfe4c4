"""Scan a byte stream once with every pattern, in large blocks of whole lines.

The finder proposes candidate lines over a whole block, then each candidate line is decoded
and checked with Python ``re`` pattern by pattern: only matching lines are ever decoded, and
line numbers are counted between candidates, never by splitting the block.

>>> scanner = Scanner([PatternSpec("PLEG is not healthy"), PatternSpec("oom", ignore_case=True)])
>>> [(m.line_no, m.patterns) for m in scanner.scan_bytes(b"ok\\nPLEG is not healthy OOM\\r\\nok")]
[(2, (0, 1))]
"""

from __future__ import annotations

import importlib
import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from kubewhy.scanning.engines import Buffer, cached_prefilters, make_finder
from kubewhy.scanning.patterns import CompiledPattern, PatternSpec
from kubewhy.scanning.prefilter import translate

if TYPE_CHECKING:
    from concurrent.futures import Future

# Counting newlines is the only full pass Python makes: numpy's count_nonzero on 4 MiB blocks
# took 0.16 CPU s per GiB against 0.61 for bytes.count (medians of 7, the same blocks). It is
# imported at the first block big enough to need it, so runs over small files never pay its
# import (60 to 75 ms); where it is not installed, bytes.count.
_numpy: Any = None
_numpy_tried = False


def _numpy_module() -> Any:
    global _numpy, _numpy_tried  # noqa: PLW0603 - one import per process
    if not _numpy_tried:
        _numpy_tried = True
        try:
            _numpy = importlib.import_module("numpy")
        except ImportError:  # pragma: no cover - numpy is optional
            _numpy = None
    return _numpy


DEFAULT_CHUNK = 4 << 20
# A line longer than this is cut into pieces of this size, each checked as a line of its own
# (same line number), so memory stays bounded whatever the input.
MAX_LINE_BYTES = 64 << 20
_NUMPY_MIN = 1 << 16
_FIRST_BUFFER = 64 << 10


@dataclass(frozen=True, slots=True)
class LineMatch:
    """A line that matches at least one pattern."""

    line_no: int  # 1-based line number in the (decompressed) stream
    offset: int  # byte offset of the line start in the (decompressed) stream
    text: str  # the line, UTF-8 with errors="replace", without "\n" (nor a "\r" before it)
    patterns: tuple[int, ...]  # sorted indices of every pattern that matches this line


def count_newlines(buf: Buffer, start: int, stop: int) -> int:
    """Newlines in ``buf[start:stop]``.

    >>> count_newlines(b"a\\nb\\nc", 0, 5)
    2
    """
    if stop - start >= _NUMPY_MIN and (numpy := _numpy_module()) is not None:
        view = numpy.frombuffer(buf, dtype=numpy.uint8, count=stop - start, offset=start)
        return int(numpy.count_nonzero(view == 0x0A))
    return buf.count(b"\n", start, stop)


class Scanner:
    """Every pattern compiled once into one multi-pattern database."""

    def __init__(self, patterns: Sequence[PatternSpec], engine: str = "auto") -> None:
        specs = [(spec.regex, spec.flags) for spec in patterns]
        checked: list[CompiledPattern] = []

        def compile_all(prefilters: list[str | None]) -> None:
            checked.extend(
                CompiledPattern.with_prefilter(i, spec, prefilter)
                for i, (spec, prefilter) in enumerate(zip(patterns, prefilters, strict=True))
            )

        try:
            known, cached = cached_prefilters(specs, translate, compile_all)
        except (re.error, OverflowError, RecursionError):
            # An invalid pattern: building them one by one names it.
            self._patterns = [CompiledPattern.build(i, spec) for i, spec in enumerate(patterns)]
        else:
            # From the cache, every pattern compiled in the run that kept them.
            self._patterns = checked or [
                CompiledPattern.with_prefilter(i, spec, prefilter, lazy=cached)
                for i, (spec, prefilter) in enumerate(zip(patterns, known, strict=True))
            ]
        self._always = {p.index for p in self._patterns if p.prefilter is None}
        self._filtered = [p.index for p in self._patterns if p.prefilter is not None]
        prefilters = [(p.index, p.prefilter) for p in self._patterns if p.prefilter is not None]
        self.engine, self._finder = make_finder(engine, prefilters)

    def groups(self, pattern_index: int, line: str) -> dict[str, str]:
        """Named groups of that pattern on that line ({} if it does not match)."""
        return self._patterns[pattern_index].groups(line)

    def scan_bytes(
        self, data: bytes, first_line: int = 1, base_offset: int = 0
    ) -> Iterator[LineMatch]:
        """Matches in ``data``, a run of whole lines (the last may lack its newline)."""
        matches, _ = self._scan_block(data, len(data), first_line, base_offset)
        return iter(matches)

    def any_match(self, buf: Buffer, end: int) -> bool:
        """Whether any line of ``buf[:end]`` matches a pattern (no line numbers counted)."""
        candidates = self._finder.find(buf, end)
        if self._always:
            candidates = self._every_line(buf, end, candidates)
        for line_start, wanted in candidates.items():
            newline = buf.find(b"\n", line_start, end)
            text = bytes(buf[line_start : end if newline < 0 else newline])
            line = text.decode("utf-8", errors="replace")
            indices = list(self._filtered if wanted is None else wanted) + list(self._always)
            if any(self._patterns[i].python.search(line) for i in indices):
                return True
        return False

    def scan_stream(
        self,
        stream: BinaryIO,
        chunk_size: int = DEFAULT_CHUNK,
        on_block: BlockObserver | None = None,
        threads: int = 1,
    ) -> StreamScan:
        """Matches in a stream read in blocks of about ``chunk_size`` bytes; the returned
        iterator also counts ``lines`` and ``bytes_scanned`` as it goes. ``on_block`` sees every
        block after it is scanned, so a second reader of the stream needs no second pass.
        ``threads`` above 1: blocks are searched by that many threads at once (Hyperscan only;
        the same matches, in the same order)."""
        if threads > 1 and not self.parallel:
            threads = 1
        return StreamScan(self, stream, chunk_size, on_block, threads)

    @property
    def parallel(self) -> bool:
        """Whether searching blocks on several threads saves time: the engine searches without
        holding the GIL (Hyperscan), and candidate lines are not every line."""
        return self.engine == "hyperscan" and not self._always

    def _scan_block(
        self, buf: Buffer, end: int, first_line: int, base_offset: int
    ) -> tuple[list[LineMatch], int]:
        """Matches in ``buf[:end]`` and the number of newlines there."""
        return self._block_matches(buf, end, first_line, base_offset, self._candidates(buf, end))

    def _candidates(self, buf: Buffer, end: int) -> dict[int, Any]:
        """Lines of ``buf[:end]`` that may match, and which patterns to check on each. Safe on
        several threads at once (Hyperscan scans without the GIL: see :class:`StreamScan`)."""
        candidates = self._finder.find(buf, end)
        if self._always:
            candidates = self._every_line(buf, end, candidates)
        return candidates

    def _block_matches(
        self, buf: Buffer, end: int, first_line: int, base_offset: int, candidates: dict[int, Any]
    ) -> tuple[list[LineMatch], int]:
        """The matches among ``candidates`` of ``buf[:end]`` and the newlines there."""
        matches: list[LineMatch] = []
        line_no = first_line
        counted_to = 0
        for line_start in sorted(candidates):
            line_no += count_newlines(buf, counted_to, line_start)
            counted_to = line_start
            newline = buf.find(b"\n", line_start, end)
            raw = bytes(buf[line_start : end if newline < 0 else newline])
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            text = raw.decode("utf-8", errors="replace")
            wanted = candidates[line_start]
            indices = self._filtered if wanted is None else wanted
            found = [i for i in indices if self._patterns[i].python.search(text) is not None]
            found += [i for i in self._always if self._patterns[i].python.search(text)]
            if found:
                matches.append(LineMatch(line_no, base_offset + line_start, text, _sorted(found)))
        newlines = line_no - first_line + count_newlines(buf, counted_to, end)
        return matches, newlines

    def _every_line(self, buf: Buffer, end: int, candidates: dict[int, Any]) -> dict[int, Any]:
        """Patterns that may match an empty string make every line a candidate."""
        every: dict[int, Any] = {}
        start = 0
        while start < end:
            every[start] = candidates.get(start, set())
            newline = buf.find(b"\n", start, end)
            start = end if newline < 0 else newline + 1
        return every


def _sorted(indices: list[int]) -> tuple[int, ...]:
    return tuple(sorted(set(indices)))


class BlockObserver(Protocol):
    """Told of each block of whole lines a stream scan read: ``buf[:end]``, the number of its
    first line and how many newlines it holds. ``buf`` is reused once the call returns."""

    def __call__(self, buf: bytearray, end: int, first_line: int, newlines: int) -> None: ...


class StreamScan:
    """Iterator of the matches in a stream; ``lines`` and ``bytes_scanned`` so far."""

    def __init__(
        self,
        scanner: Scanner,
        stream: BinaryIO,
        chunk_size: int,
        on_block: BlockObserver | None = None,
        threads: int = 1,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        # The generator holds the counts, not this object: dropping this object ends the
        # generator at once (its threads with it), with no cycle left for the collector.
        self._counts = counts = _Counts(on_block)
        if threads > 1:
            self._inner = _Counts.run_threaded(counts, scanner, stream, chunk_size, threads)
        else:
            self._inner = _Counts.run(counts, scanner, stream, chunk_size)

    @property
    def lines(self) -> int:
        return self._counts.lines

    @property
    def bytes_scanned(self) -> int:
        return self._counts.bytes_scanned

    def __iter__(self) -> StreamScan:
        return self

    def __next__(self) -> LineMatch:
        return next(self._inner)


class _Counts:
    """What a stream scan has read so far, and who is told of each block."""

    def __init__(self, on_block: BlockObserver | None) -> None:
        self.lines = 0
        self.bytes_scanned = 0
        self._on_block = on_block

    def run(self, scanner: Scanner, stream: BinaryIO, chunk_size: int) -> Iterator[LineMatch]:
        # The buffer starts small and doubles up to ``chunk_size`` while reads fill it: a
        # zeroed 4 MiB buffer per input cost a small file more than its scan.
        buf = bytearray(min(chunk_size, _FIRST_BUFFER))
        kept = 0  # bytes at the front of buf carried over from the last block
        line_no = 1
        while True:
            kept, at_eof = _fill(stream, buf, kept)
            if at_eof:
                break
            buf, block_end = _next_block(buf, kept, chunk_size)
            if block_end is None:
                continue
            matches, newlines = scanner._scan_block(buf, block_end, line_no, self.bytes_scanned)
            yield from matches
            if self._on_block is not None:
                self._on_block(buf, block_end, line_no, newlines)
            line_no += newlines
            self.lines += newlines
            self.bytes_scanned += block_end
            buf[: kept - block_end] = buf[block_end:kept]
            kept -= block_end
        if kept:
            matches, newlines = scanner._scan_block(buf, kept, line_no, self.bytes_scanned)
            yield from matches
            if self._on_block is not None:
                self._on_block(buf, kept, line_no, newlines)
            self.lines += newlines + (buf[kept - 1] != 0x0A)
            self.bytes_scanned += kept

    def run_threaded(
        self, scanner: Scanner, stream: BinaryIO, chunk_size: int, threads: int
    ) -> Iterator[LineMatch]:
        """:meth:`run` with the search of each block (most of a big log's CPU time) on
        ``threads`` threads, overlapped with reading (a ``.gz`` inflates on a thread of its
        own) and with the rest of the work on this one. The blocks are cut exactly as
        :meth:`run` cuts them and finished in order: the same matches, lines and blocks.
        Each block in flight keeps a buffer of its own."""
        try:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(threads, thread_name_prefix="kubewhy-scan")
        except (ImportError, RuntimeError):  # no thread to be had: one block at a time
            yield from self.run(scanner, stream, chunk_size)
            return
        in_flight: deque[tuple[bytearray, int, Future[dict[int, Any]]]] = deque()
        spare: list[bytearray] = []  # buffers of finished blocks, to be filled again
        line_no = 1
        submitted = 0  # bytes handed to the pool: where the next block starts in the stream
        finished = 0

        def finish() -> Iterator[LineMatch]:
            nonlocal line_no, finished
            block, end, candidates = in_flight.popleft()
            found, newlines = scanner._block_matches(
                block, end, line_no, finished, candidates.result()
            )
            yield from found
            if self._on_block is not None:
                self._on_block(block, end, line_no, newlines)
            line_no += newlines
            self.lines += newlines
            self.bytes_scanned += end
            finished += end
            spare.append(block)

        try:
            buf = bytearray(min(chunk_size, _FIRST_BUFFER))
            kept = 0
            while True:
                kept, at_eof = _fill(stream, buf, kept)
                if at_eof:
                    break
                buf, block_end = _next_block(buf, kept, chunk_size)
                if block_end is None:
                    continue
                # The block goes to the pool with this buffer; the rest of the line after it
                # starts the next buffer.
                following = _reused(spare, len(buf))
                following[: kept - block_end] = memoryview(buf)[block_end:kept]
                task = pool.submit(scanner._candidates, buf, block_end)
                in_flight.append((buf, block_end, task))
                submitted += block_end
                buf, kept = following, kept - block_end
                while len(in_flight) > threads:
                    yield from finish()
            while in_flight:
                yield from finish()
            if kept:
                matches, newlines = scanner._scan_block(buf, kept, line_no, submitted)
                yield from matches
                if self._on_block is not None:
                    self._on_block(buf, kept, line_no, newlines)
                self.lines += newlines + (buf[kept - 1] != 0x0A)
                self.bytes_scanned += kept
        finally:
            for _, _, task in in_flight:
                task.cancel()
            pool.shutdown(wait=True)


def _reused(spare: list[bytearray], size: int) -> bytearray:
    """A finished block's buffer of ``size`` bytes if there is one, else a new one."""
    while spare:
        buf = spare.pop()
        if len(buf) == size:
            return buf
    return bytearray(size)


def _fill(stream: BinaryIO, buf: bytearray, kept: int) -> tuple[int, bool]:
    """Read until ``buf`` is full; the new fill and whether the stream ended first."""
    view = memoryview(buf)
    try:
        while kept < len(buf):
            got = stream.readinto(view[kept:])  # type: ignore[attr-defined]
            if not got:
                return kept, True
            kept += got
    finally:
        view.release()
    return kept, False


def _next_block(buf: bytearray, kept: int, chunk_size: int) -> tuple[bytearray, int | None]:
    """Where the next block ends in ``buf`` (after its last whole line), or None with the
    buffer grown when more must be read first: a buffer still growing to ``chunk_size``, or a
    line longer than the buffer (cut at MAX_LINE_BYTES)."""
    if len(buf) < chunk_size:
        return _grown(buf, kept, chunk_size), None
    last_newline = buf.rfind(b"\n", 0, kept)
    if last_newline < 0:
        if kept < MAX_LINE_BYTES:  # a line longer than the buffer: make room
            return _grown(buf, kept, MAX_LINE_BYTES), None
        last_newline = kept - 1  # cut a giant line; see MAX_LINE_BYTES
    return buf, last_newline + 1


def _grown(buf: bytearray, kept: int, limit: int) -> bytearray:
    bigger = bytearray(min(len(buf) * 2, limit))
    bigger[:kept] = buf[:kept]
    return bigger
