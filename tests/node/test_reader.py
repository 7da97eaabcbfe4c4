"""Bounded reads: caps, timeouts and gaps, on real files, pipes and FIFOs."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kubewhy.sources.node.reader import (
    Content,
    NodeReader,
    ReadTimeoutError,
    Unreadable,
    time_limit,
)


def test_a_file_over_the_cap_is_cut_and_marked(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 5000)
    result = NodeReader(tmp_path).read("/big", cap=1000)
    assert isinstance(result, Content)
    assert len(result.data) == 1000
    assert result.truncated


def test_a_fifo_with_a_silent_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # a writer that never writes
    try:
        started = time.monotonic()
        result = NodeReader(tmp_path, timeout=1.0).read("/fifo")
        assert time.monotonic() - started < 1.0
        assert isinstance(result, Content) and result.data == b""
    finally:
        os.close(writer)


def test_a_blocking_read_is_ended_by_the_timer() -> None:
    read_end, write_end = os.pipe()
    try:
        started = time.monotonic()
        with pytest.raises(ReadTimeoutError), time_limit(0.2):
            os.read(read_end, 10)  # blocks: nobody writes
        assert time.monotonic() - started < 2
    finally:
        os.close(read_end)
        os.close(write_end)


def test_absent_and_unlistable_paths_become_gaps(tmp_path: Path) -> None:
    reader = NodeReader(tmp_path)
    missing = reader.read("/proc/meminfo")
    assert isinstance(missing, Unreadable) and missing.reason == "absent"
    listing = reader.listdir("/proc")
    assert isinstance(listing, Unreadable) and listing.reason == "absent"
