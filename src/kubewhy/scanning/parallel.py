"""Scan many files at once, one file per worker process, each summarised by its floods.

Each worker compiles the pattern database once, streams its files through
:func:`~kubewhy.scanning.streams.open_stream` and sends back only the bounded
:class:`~kubewhy.scanning.floods.HitGroup` summaries, never the matches themselves.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, TaskID

from kubewhy.scanning.floods import HitAggregator, HitGroup
from kubewhy.scanning.patterns import PatternSpec
from kubewhy.scanning.scanner import LineMatch, Scanner
from kubewhy.scanning.streams import open_stream

LineTime = Callable[[str], datetime | None]
MatchKey = Callable[[LineMatch], list[Hashable]]
# Show a progress bar only for work that lasts longer than this.
_PROGRESS_AFTER_SECONDS = 1.0


@dataclass
class FileScan:
    """What one file held: its size once decompressed, its lines, and its floods."""

    path: Path
    bytes_scanned: int
    lines: int
    groups: list[HitGroup]
    engine: str
    error: str | None = None


@dataclass(frozen=True)
class _Job:
    patterns: tuple[PatternSpec, ...]
    line_time: LineTime | None
    key: MatchKey | None


_worker: tuple[Scanner, _Job] | None = None


def _init_worker(job: _Job) -> None:
    global _worker  # noqa: PLW0603 - one compiled database per worker process
    _worker = (Scanner(job.patterns), job)


def _scan_in_worker(path: Path) -> FileScan:
    if _worker is None:
        raise RuntimeError("worker not initialised")
    scanner, job = _worker
    return scan_one(scanner, path, job.line_time, job.key)


def scan_one(
    scanner: Scanner, path: Path, line_time: LineTime | None = None, key: MatchKey | None = None
) -> FileScan:
    """Scan one file with a ready scanner; failures become ``FileScan.error``."""
    aggregator = HitAggregator()
    try:
        with open_stream(path) as stream:
            scan = scanner.scan_stream(stream)
            for match in scan:
                moment = line_time(match.text) if line_time else None
                for group_key in key(match) if key else match.patterns:
                    aggregator.add(group_key, match, moment)
    except Exception as err:  # any failure of one file must not stop the others
        return FileScan(path, 0, 0, [], scanner.engine, f"{type(err).__name__}: {err}")
    return FileScan(path, scan.bytes_scanned, scan.lines, aggregator.groups(), scanner.engine)


def scan_files(
    paths: Sequence[Path],
    patterns: Sequence[PatternSpec],
    jobs: int | None = None,
    line_time: LineTime | None = None,
    key: MatchKey | None = None,
) -> list[FileScan]:
    """Scan each file with every pattern; results in the order of ``paths``.

    ``jobs`` worker processes (default: one per CPU; 1 scans in this process). ``line_time``
    and ``key`` must be module-level functions so they can be sent to the workers.
    """
    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    job = _Job(tuple(patterns), line_time, key)
    progress = _Progress(len(paths))
    try:
        if jobs == 1 or len(paths) <= 1:
            scanner = Scanner(job.patterns)  # compile errors surface here, as PatternError
            results = []
            for path in paths:
                results.append(scan_one(scanner, path, line_time, key))
                progress.advance()
            return results
        return _scan_pool(paths, job, min(jobs, len(paths)), progress)
    finally:
        progress.stop()


def _scan_pool(paths: Sequence[Path], job: _Job, jobs: int, progress: _Progress) -> list[FileScan]:
    with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(job,)) as pool:
        futures: dict[Future[FileScan], int] = {
            pool.submit(_scan_in_worker, path): index for index, path in enumerate(paths)
        }
        results: list[FileScan | None] = [None] * len(paths)
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                index = futures[future]
                try:
                    results[index] = future.result()
                except BrokenProcessPool as err:
                    if not any(results):
                        Scanner(job.patterns)  # a pattern that failed every worker: raise it here
                    results[index] = FileScan(paths[index], 0, 0, [], "", f"worker died: {err}")
                progress.advance()
            progress.tick()
    return [result for result in results if result is not None]


class _Progress:
    """A rich progress bar on stderr, shown only on a terminal and after the first second."""

    def __init__(self, total: int) -> None:
        self._total = total
        self._done = 0
        self._started = time.monotonic()
        self._bar: Progress | None = None
        self._task = TaskID(0)

    def advance(self) -> None:
        self._done += 1
        self.tick()

    def tick(self) -> None:
        late = time.monotonic() - self._started > _PROGRESS_AFTER_SECONDS
        if self._bar is None and late and sys.stderr.isatty() and self._done < self._total:
            bar = Progress(console=Console(stderr=True), transient=True)
            self._task = bar.add_task("scanning", total=self._total, completed=self._done)
            bar.start()
            self._bar = bar
        if self._bar is not None:
            self._bar.update(self._task, completed=self._done)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
