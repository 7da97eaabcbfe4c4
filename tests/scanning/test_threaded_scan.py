"""A stream searched by several threads gives what one thread gives: the same matches in the
same order, the same blocks to the block observer, the same line and byte counts."""

from __future__ import annotations

import io
import random
import threading

import pytest

from kubewhy.scanning import PatternSpec, Scanner, available_engines
from kubewhy.scanning import scanner as scanner_module

pytestmark = pytest.mark.skipif(
    "hyperscan" not in available_engines(), reason="hyperscan is not installed"
)

PATTERNS = [
    PatternSpec(r"PLEG is not healthy: pleg was last seen active (?P<ago>\S+) ago"),
    PatternSpec(r"Killed process (?P<pid>\d+) \((?P<comm>[^)]+)\)"),
    PatternSpec(r"shim disconnected", ignore_case=True),
    PatternSpec(r"x{3}\s.*end\b"),
]
LINES = [
    b"Jul 23 22:09:01 node kubelet[1]: PLEG is not healthy: pleg was last seen active 3m ago",
    b"Jul 23 22:09:02 node kernel: Memory cgroup out of memory: Killed process 48213 (java)",
    b'Jul 23 22:09:02 node containerd[912]: msg="Shim Disconnected" id=4f1c2a',
    b"Jul 23 22:09:03 node kubelet[1]: nothing to see here",
    b"",
    b"x" * 3000 + b" the end of a long line",
]


def _stream(seed: int, lines: int) -> bytes:
    rng = random.Random(seed)
    body = b"\n".join(rng.choice(LINES) for _ in range(lines))
    return body + (b"\n" if seed % 2 else b"")  # with and without a last newline


def _scan(
    scanner: Scanner, data: bytes, chunk: int, threads: int
) -> tuple[list[tuple[int, int, str, tuple[int, ...]]], list[tuple[bytes, int, int]], int, int]:
    blocks: list[tuple[bytes, int, int]] = []

    def on_block(buf: bytearray, end: int, first_line: int, newlines: int) -> None:
        blocks.append((bytes(buf[:end]), first_line, newlines))

    scan = scanner.scan_stream(io.BytesIO(data), chunk, on_block, threads)
    found = [(m.line_no, m.offset, m.text, m.patterns) for m in scan]
    return found, blocks, scan.lines, scan.bytes_scanned


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("chunk", [1 << 12, 1 << 14, 1 << 20])
def test_threads_give_what_one_thread_gives(seed: int, chunk: int) -> None:
    scanner = Scanner(PATTERNS, engine="hyperscan")
    assert scanner.parallel
    data = _stream(seed, 3000)
    alone = _scan(scanner, data, chunk, 1)
    assert alone[0]  # something matched
    for threads in (2, 3):
        assert _scan(scanner, data, chunk, threads) == alone


def test_a_line_longer_than_the_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner_module, "MAX_LINE_BYTES", 1 << 13)
    scanner = Scanner(PATTERNS, engine="hyperscan")
    data = b"a\n" + b"y" * 40_000 + b" shim disconnected\n" + _stream(1, 200)
    assert _scan(scanner, data, 1 << 12, 2) == _scan(scanner, data, 1 << 12, 1)


def test_no_thread_is_left_running_even_when_the_reader_stops_early() -> None:
    scanner = Scanner(PATTERNS, engine="hyperscan")
    before = threading.active_count()
    scan = scanner.scan_stream(io.BytesIO(_stream(3, 5000)), 1 << 12, None, 2)
    next(iter(scan))
    del scan  # the generator is closed: its pool is shut down
    assert threading.active_count() == before


def test_engines_that_hold_the_gil_search_on_one_thread() -> None:
    for engine in available_engines():
        scanner = Scanner(PATTERNS, engine=engine)
        assert scanner.parallel == (engine == "hyperscan")
