"""Open evidence as one plain byte stream, whatever its compression and journald export shape.

Compression is recognised by magic bytes, never by name (a rotated ``kubelet.log.1`` may well be
gzip). The journald export format and ``journalctl -o json`` are turned into the short-iso text
lines that the rest of kubewhy reads, on the fly.
"""

from __future__ import annotations

import bz2
import gzip
import importlib
import io
import lzma
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO

from kubewhy.sources.journal_export import JournalShape, converted, sniff_journal

_READ_BUFFER = 1 << 20
_MAGIC: list[tuple[bytes, str]] = [
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"),
]


class StreamError(OSError):
    """An input that cannot be opened or decompressed."""


def compression_of(head: bytes) -> str | None:
    """The compression named by the first bytes of a file, or None for plain data.

    >>> compression_of(b"\\x1f\\x8b\\x08\\x00"), compression_of(b"I0723 22:09:01")
    ('gzip', None)
    """
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def open_stream(path: Path) -> BinaryIO:
    """The decompressed, journald-converted content of ``path`` as a readable binary stream.

    Close it when done (it is a context manager).
    """
    return _decoded(open(path, "rb"))


def open_text(path: Path) -> io.TextIOWrapper:
    """``path`` decoded like :func:`open_stream`, as text; bad bytes become U+FFFD."""
    return io.TextIOWrapper(open_stream(path), encoding="utf-8", errors="replace", newline="")


def open_bytes(data: bytes) -> BinaryIO:
    """The same for evidence already in memory (what a live collector read)."""
    return _decoded(io.BytesIO(data))


def _decoded(raw: IO[bytes]) -> BinaryIO:
    try:
        stream = _decompressed(raw)
        shape = sniff_journal(stream.peek(64 << 10))
        if shape is JournalShape.PLAIN:
            return _as_binary(stream)
        return _as_binary(io.BufferedReader(converted(stream, shape), _READ_BUFFER))
    except Exception:
        raw.close()
        raise


def counted(inner: BinaryIO, advance: Callable[[int], None]) -> BinaryIO:
    """``inner``, reporting the bytes read through it to ``advance`` (a progress bar's feed)."""
    return _as_binary(io.BufferedReader(_Counted(inner, advance), _READ_BUFFER))


class _Counted(io.RawIOBase):
    """A stream that reports the bytes read through it (a progress bar's feed)."""

    def __init__(self, inner: BinaryIO, advance: Callable[[int], None]) -> None:
        super().__init__()
        self._inner = inner
        self._advance = advance

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._inner.read(len(view))
        got = len(data)
        view[:got] = data
        if got:
            self._advance(got)
        return got

    def close(self) -> None:
        self._inner.close()
        super().close()


def _decompressed(raw: IO[bytes]) -> io.BufferedReader:
    head = raw.read(8)
    raw.seek(0)
    kind = compression_of(head)
    opener = _OPENERS.get(kind) if kind else None
    inner: Any = raw if opener is None else opener(raw)
    return io.BufferedReader(_Checked(inner, kind or "plain", raw), _READ_BUFFER)


def _zstd(raw: IO[bytes]) -> Any:
    try:
        zstandard = importlib.import_module("zstandard")
    except ImportError as err:
        raise StreamError("zstd input needs the zstandard module") from err
    return _ZstdFrames(zstandard.ZstdDecompressor(), raw)


class _ZstdFrames(io.RawIOBase):
    """All the frames of a zstd stream, with an error for a truncated last frame (the
    zstandard stream reader ends quietly there)."""

    # Compressed bytes fed at a time: bounds the output held at once.
    _FEED = 64 << 10

    def __init__(self, context: Any, raw: IO[bytes]) -> None:
        super().__init__()
        self._context = context
        self._frame = context.decompressobj()
        self._raw = raw
        self._pending = b""
        self._at = 0
        self._in_frame = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._at >= len(self._pending):
            compressed = self._raw.read(self._FEED)
            if not compressed:
                if self._in_frame:
                    raise StreamError("corrupt zstd data: truncated frame")
                return 0
            self._pending = self._decompress(compressed)
            self._at = 0
        view = memoryview(buffer).cast("B")
        size = min(len(view), len(self._pending) - self._at)
        view[:size] = self._pending[self._at : self._at + size]
        self._at += size
        return size

    def _decompress(self, compressed: bytes) -> bytes:
        out = []
        while compressed:
            if self._frame.eof:
                self._frame = self._context.decompressobj()
            out.append(self._frame.decompress(compressed))
            self._in_frame = not self._frame.eof
            compressed = self._frame.unused_data if self._frame.eof else b""
        return b"".join(out)


_OPENERS: dict[str, Callable[[IO[bytes]], Any]] = {
    "gzip": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    "zstd": _zstd,
    "xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),  # noqa: SIM115 - closed by _Checked
    "bzip2": lambda raw: bz2.BZ2File(raw, mode="rb"),
}


class _Checked(io.RawIOBase):
    """Reads from a decompressor and turns its many error types into :class:`StreamError`;
    closing it closes the file underneath."""

    def __init__(self, inner: Any, kind: str, raw: IO[bytes]) -> None:
        super().__init__()
        self._inner = inner
        self._kind = kind
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return int(self._inner.readinto(buffer) or 0)
        except (OSError, EOFError, lzma.LZMAError, ValueError) as err:
            raise StreamError(f"corrupt {self._kind} data: {err}") from err
        except Exception as err:  # zstandard.ZstdError has no common base with the others
            raise StreamError(f"corrupt {self._kind} data: {err}") from err

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                self._raw.close()
        super().close()


def _as_binary(stream: io.BufferedReader) -> BinaryIO:
    """BufferedReader implements BinaryIO but is not declared as one."""
    return stream
