"""Decompression by magic bytes, with files made by the real compressors."""

from __future__ import annotations

import bz2
import gzip
import lzma
import random
import shutil
import subprocess
from pathlib import Path

import pytest
import zstandard

from kubewhy.scanning import PatternSpec, Scanner
from kubewhy.sources.streams import StreamError, open_stream

LOG = (
    b"".join(
        b"Jul 23 22:09:%02d node kubelet[1873]: I0723 22:09:%02d.000000 1873 kubelet.go:1] l%d\n"
        % (i % 60, i % 60, i)
        for i in range(20000)
    )
    + b"Jul 23 22:10:00 node kernel: Memory cgroup out of memory: Killed process 7 (java)"
)

TOOLS = {
    "gzip": ["gzip", "-c"],
    "zstd": ["zstd", "-q", "-c"],
    "xz": ["xz", "-c"],
    "bzip2": ["bzip2", "-c"],
}


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_files_from_the_real_tools_decompress_whatever_their_name(
    tmp_path: Path, tool: str
) -> None:
    if shutil.which(TOOLS[tool][0]) is None:
        pytest.skip(f"{tool} not installed")
    plain = tmp_path / "kubelet.log"
    plain.write_bytes(LOG)
    packed = subprocess.run(
        [*TOOLS[tool], str(plain)], capture_output=True, timeout=60, check=True
    ).stdout
    target = tmp_path / "kubelet.log.1"  # the name says nothing about the compression
    target.write_bytes(packed)
    with open_stream(target) as stream:
        assert stream.read() == LOG
    with open_stream(target) as stream:
        (match,) = Scanner([PatternSpec(r"Killed process (?P<pid>\d+)")]).scan_stream(stream)
    assert match.line_no == 20001


def test_python_modules_multi_member_gzip_and_multi_frame_zstd(tmp_path: Path) -> None:
    half = len(LOG) // 2
    cases = {
        "gz": gzip.compress(LOG[:half]) + gzip.compress(LOG[half:]),
        "zst": zstandard.ZstdCompressor().compress(LOG[:half])
        + zstandard.ZstdCompressor().compress(LOG[half:]),
        "xz": lzma.compress(LOG),
        "bz2": bz2.compress(LOG),
    }
    for name, packed in cases.items():
        path = tmp_path / f"evidence.{name}"
        path.write_bytes(packed)
        with open_stream(path) as stream:
            assert stream.read() == LOG, name


def test_plain_file_named_gz_is_read_plain(tmp_path: Path) -> None:
    path = tmp_path / "not-really.gz"
    path.write_bytes(b"plain text\n")
    with open_stream(path) as stream:
        assert stream.read() == b"plain text\n"


def test_corrupt_gzip_is_a_stream_error(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(LOG))
    packed[len(packed) // 2 : len(packed) // 2 + 64] = b"\x00" * 64
    path = tmp_path / "corrupt.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(StreamError, match="gzip"), open_stream(path) as stream:
        while stream.read(1 << 16):
            pass


def test_truncated_zstd_is_a_stream_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(LOG)[:-100])
    with pytest.raises(StreamError), open_stream(path) as stream:
        while stream.read(1 << 16):
            pass


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_stream(tmp_path / "absent.log")


def test_big_gzip_inflated_on_a_thread_reads_whole_and_reports_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 8 MiB of gzip, ISA-L inflates on a thread of its own: same bytes, and a cut or a
    corrupt stream is still a StreamError (the thread's error reaches the reader)."""
    threaded = pytest.importorskip("isal.igzip_threaded")
    opened: list[object] = []
    real_open = threaded.open
    monkeypatch.setattr(threaded, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    rng = random.Random(3)
    lines = b"".join(b"%d %032x\n" % (i, rng.getrandbits(128)) for i in range(400_000))
    packed = gzip.compress(lines, compresslevel=1)
    assert len(packed) > 8 << 20
    whole = tmp_path / "big.gz"
    whole.write_bytes(packed)
    with open_stream(whole) as stream:
        assert stream.read() == lines
    assert opened  # the file's size is known through its bound: the thread is used
    cut = tmp_path / "cut.gz"
    cut.write_bytes(packed[: len(packed) - 1000])
    with pytest.raises(StreamError, match="gzip"), open_stream(cut) as stream:
        while stream.read(1 << 20):
            pass


def test_a_small_file_is_seen_whole_through_its_small_buffers(tmp_path: Path) -> None:
    """A small plain file gets small buffers, still big enough for every peek at its head."""
    from kubewhy.sources.streams import _size_of, open_regular

    small = tmp_path / "small.log"
    small.write_bytes(LOG[:3000])
    with open_regular(small) as raw:
        assert _size_of(raw) == 3000
        assert raw.peek(64 << 10) == LOG[:3000]
    with open_stream(small) as stream:
        assert stream.peek(64 << 10) == LOG[:3000]
        assert stream.read() == LOG[:3000]
