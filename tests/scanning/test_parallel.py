"""Parallel per-file scans: same answers as in-process, failures per file, bad patterns raised."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kubewhy.scanning import PatternError, PatternSpec
from kubewhy.scanning.parallel import FileScan, scan_files
from kubewhy.scanning.scanner import LineMatch

KERN = b"x\nKilled process 12\nKilled process 12\nKilled process 7\n"
PATTERNS = [PatternSpec(r"PLEG is not healthy"), PatternSpec(r"Killed process (?P<pid>\d+)")]


def klog_time(line: str) -> datetime | None:
    """Time of a klog line (year assumed 2023 for the test)."""
    try:
        return datetime.strptime("2023" + line[1:21], "%Y%m%d %H:%M:%S.%f").replace(tzinfo=UTC)
    except ValueError:
        return None


def by_pid(match: LineMatch) -> list[object]:
    return [("killed", match.text.rsplit(" ", 1)[-1])] if 1 in match.patterns else []


def _write_inputs(tmp_path: Path) -> list[Path]:
    pleg = "".join(
        f"E0723 22:{m:02d}:{s:02d}.000000 1873 kubelet.go:2189] PLEG is not healthy\n"
        f"I0723 22:{m:02d}:{s:02d}.500000 1873 kubelet.go:1] fine\n"
        for m in range(60)
        for s in range(60)
    )
    first = tmp_path / "kubelet.log"
    first.write_text(pleg)
    second = tmp_path / "kern.log.1"
    second.write_bytes(
        gzip.compress(b"x\nKilled process 12\nKilled process 12\nKilled process 7\n")
    )
    corrupt = tmp_path / "broken.gz"
    noise = "".join(f"{n * 7919 % 1000003:x} " for n in range(50000)).encode()
    corrupt.write_bytes(gzip.compress(noise)[:5000])
    return [first, second, tmp_path / "missing.log", tmp_path, corrupt]


def _summary(scan: FileScan) -> tuple[object, ...]:
    return (
        scan.path,
        scan.bytes_scanned,
        scan.lines,
        [(g.key, g.count, [s.line_no for s in g.samples]) for g in scan.groups],
        scan.error is None,
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_files_scanned_with_failures_reported_per_file(tmp_path: Path, jobs: int) -> None:
    paths = _write_inputs(tmp_path)
    results = scan_files(paths, PATTERNS, jobs=jobs, line_time=klog_time)
    assert [r.path for r in results] == paths
    kubelet, kern, missing, directory, corrupt = results
    assert kubelet.error is None and kubelet.lines == 7200
    (pleg,) = kubelet.groups
    assert (pleg.key, pleg.count) == (0, 3600)
    assert pleg.first_time == datetime(2023, 7, 23, 22, 0, tzinfo=UTC)
    assert pleg.last_time == datetime(2023, 7, 23, 22, 59, 59, tzinfo=UTC)
    assert [s.line_no for s in pleg.samples] == [1, 3, 5, 7197, 7199]
    assert [(g.key, g.count) for g in kern.groups] == [(1, 3)]
    assert kern.bytes_scanned == len(KERN)
    assert "FileNotFoundError" in (missing.error or "")
    assert "IsADirectoryError" in (directory.error or "")
    assert "gzip" in (corrupt.error or "")


def test_parallel_equals_in_process_and_custom_keys(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path)[:2]
    in_process = scan_files(paths, PATTERNS, jobs=1, key=by_pid)
    parallel = scan_files(paths, PATTERNS, jobs=2, key=by_pid)
    assert [_summary(r) for r in parallel] == [_summary(r) for r in in_process]
    assert [(g.key, g.count) for g in parallel[1].groups] == [
        (("killed", "12"), 2),
        (("killed", "7"), 1),
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_bad_pattern_raises_with_its_index(tmp_path: Path, jobs: int) -> None:
    paths = _write_inputs(tmp_path)[:2]
    with pytest.raises(PatternError) as caught:
        scan_files(paths, [PatternSpec("ok"), PatternSpec("(unclosed")], jobs=jobs)
    assert caught.value.index == 1


def test_default_jobs_is_one_worker_per_cpu_with_the_same_answer(tmp_path: Path) -> None:
    paths = _write_inputs(tmp_path)[:2]
    default = scan_files(paths, PATTERNS)
    assert [_summary(r) for r in default] == [
        _summary(r) for r in scan_files(paths, PATTERNS, jobs=1)
    ]
