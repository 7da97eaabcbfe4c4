"""Open evidence as one plain byte stream of UTF-8 text, whatever its compression, encoding and
journald export shape.

Compression is recognised by magic bytes, never by name (a rotated ``kubelet.log.1`` may well be
gzip), and bounded: output bytes and expansion ratio are capped (:class:`kubewhy.model.caps.Caps`),
so a bomb costs megabytes, and the cap is a note that becomes a gap. The run of NUL bytes that
``logrotate copytruncate`` leaves at a log's start is skipped; UTF-16 and UTF-32 (with a byte
order mark or recognised by their zero bytes), GBK, Latin-1 and other encodings are turned into
UTF-8 (charset detection on the first 4 KiB when the text is not UTF-8); binary content is an
error with reason ``unreadable``. The journald export format and ``journalctl -o json`` are
turned into the short-iso text lines that the rest of kubewhy reads, on the fly.
"""

from __future__ import annotations

import bz2
import codecs
import errno
import gzip
import importlib
import io
import lzma
import os
import re
import stat
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import IO, Any, BinaryIO

from kubewhy.model.bundle import GapReason
from kubewhy.model.caps import Caps
from kubewhy.sources.journal_export import JournalShape, converted, sniff_journal

DEFAULT_CAPS = Caps()
# The whole run's end (time.monotonic()), set by the pipeline: every read stops there (a note
# names the cap), in this process and in the scan's forked workers.
_run_deadline: float | None = None


def set_run_deadline(at: float | None) -> None:
    global _run_deadline  # noqa: PLW0603 - one run per process, read by every stream
    _run_deadline = at


_READ_BUFFER = 1 << 20
# The buffer of a small plain file: big enough for every peek at a head (64 KiB), and for the
# whole file, so what a peek sees is what the full-sized buffer would hold. Thousands of small
# logs each took three 1 MiB buffers (about half the cost of opening one).
_SMALL_BUFFER = 64 << 10
_MAGIC: list[tuple[bytes, str]] = [
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"),
]


class StreamError(OSError):
    """An input that cannot be opened, decompressed or decoded; ``reason`` is the gap's."""

    def __init__(self, detail: str, reason: GapReason = "error") -> None:
        super().__init__(detail)
        self.reason: GapReason = reason


class EvidenceStream(io.BufferedReader):
    """The stream :func:`open_stream` returns, with what happened while it was read: each
    ``(reason, detail)`` note is a gap to record (a cap reached, the bytes decoded as GBK)."""

    notes: list[tuple[GapReason, str]]


def notes_of(stream: object) -> list[tuple[GapReason, str]]:
    """The notes of a stream from :func:`open_stream` (none for any other stream)."""
    return list(getattr(stream, "notes", ()))


def compression_of(head: bytes) -> str | None:
    """The compression named by the first bytes of a file, or None for plain data.

    >>> compression_of(b"\\x1f\\x8b\\x08\\x00"), compression_of(b"I0723 22:09:01")
    ('gzip', None)
    """
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def open_regular(path: Path, *, follow: bool = True) -> BinaryIO:
    """``path`` opened for reading if it is a regular file, read no further than its size at
    open time (a log that grows, or a file swapped for ``/dev/zero``, cannot make a read
    endless). ``follow=False`` refuses a link (a file met in a folder walk that became one)."""
    fd, size = _open_regular_fd(path, follow)
    try:
        return _as_binary(io.BufferedReader(_Bounded(fd, size), _buffer_for(size)))
    except BaseException:
        os.close(fd)
        raise


def read_head(path: Path, count: int) -> bytes:
    """The first ``count`` bytes of ``path``, as ``open_regular(path).read(count)`` reads them
    (a regular file, no further than its size at open), without a stream's layers: a folder of
    thousands of small logs has each one's head read to be told it is no archive."""
    fd, size = _open_regular_fd(path, True)
    try:
        left, chunks = min(count, size), []
        while left > 0:
            got = os.read(fd, left)
            if not got:
                break
            chunks.append(got)
            left -= len(got)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _open_regular_fd(path: Path, follow: bool) -> tuple[int, int]:
    """A blocking descriptor of ``path`` if it is a regular file, and its size at open time."""
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise StreamError(f"{path}: became a link after it was listed", "unreadable") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StreamError(f"{path}: not a regular file", "unreadable")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def _buffer_for(size: int) -> int:
    """The read buffer for ``size`` bytes of plain data (see _SMALL_BUFFER)."""
    return min(_READ_BUFFER, max(_SMALL_BUFFER, size + 1))


def open_stream(path: Path, caps: Caps = DEFAULT_CAPS, *, follow: bool = True) -> BinaryIO:
    """The decompressed, decoded, journald-converted content of ``path`` as a readable binary
    stream of UTF-8 text lines (an :class:`EvidenceStream`). Close it when done."""
    raw = open_regular(path, follow=follow)
    if _size_of(raw) < _SMALL_BUFFER:
        try:
            small = _small_plain(raw, caps)
        except BaseException:
            raw.close()
            raise
        if small is not None:
            return small
    return _decoded(raw, caps)


def _small_plain(raw: BinaryIO, caps: Caps) -> BinaryIO | None:
    """A small file of plain UTF-8 text, read at once and served from memory: what
    :func:`_decoded` would give (nothing to inflate, convert, decode or skip, within the caps),
    without its layers (thousands of small pod logs each paid them twice). None, with ``raw``
    back at its start, for any other file: the layers handle it."""
    data = raw.read()
    if (
        compression_of(data[:8]) is None
        and data[:1] != b"\x00"
        and len(data) <= caps.input_bytes
        and (_run_deadline is None or time.monotonic() <= _run_deadline)
        and sniff_journal(data) is JournalShape.PLAIN
        and sniff_encoding(data) is None
    ):
        raw.close()
        out = EvidenceStream(io.BytesIO(data), _SMALL_BUFFER)
        out.notes = []
        return _as_binary(out)
    raw.seek(0)
    return None


def open_decompressed(path: Path, caps: Caps = DEFAULT_CAPS) -> BinaryIO:
    """``path`` decompressed within the caps, not decoded (an archive's bytes); its notes say
    what was cut."""
    raw = open_regular(path)
    notes: list[tuple[GapReason, str]] = []
    try:
        out = EvidenceStream(_Passing(_decompressed(raw, caps, notes)), _READ_BUFFER)
    except Exception:
        raw.close()
        raise
    out.notes = notes
    return _as_binary(out)


def open_text(path: Path, caps: Caps = DEFAULT_CAPS) -> io.TextIOWrapper:
    """``path`` decoded like :func:`open_stream`, as text; bad bytes become U+FFFD."""
    return io.TextIOWrapper(open_stream(path, caps), encoding="utf-8", errors="replace", newline="")


def open_bytes(data: bytes, caps: Caps = DEFAULT_CAPS) -> BinaryIO:
    """The same for evidence already in memory (what a live collector read)."""
    return _decoded(io.BytesIO(data), caps)


def _decoded(raw: IO[bytes], caps: Caps) -> BinaryIO:
    notes: list[tuple[GapReason, str]] = []
    try:
        stream = _decompressed(raw, caps, notes)
        _skip_nul_run(stream)
        shape = sniff_journal(stream.peek(64 << 10))
        inner: io.RawIOBase | io.BufferedReader = stream
        if shape is not JournalShape.PLAIN:
            inner = converted(stream, shape)  # journald's own fields are UTF-8 or binary
        else:
            encoding = sniff_encoding(stream.peek(_SNIFF_BYTES)[:_SNIFF_BYTES])
            if encoding == _BINARY:
                raise StreamError(_binary_detail(stream.peek(16)), "unreadable")
            if encoding is not None:
                notes.append(("encoding", f"read as {encoding}, not UTF-8"))
                inner = _Transcoded(stream, encoding)
        plain = inner is stream and isinstance(stream.raw, _Checked) and stream.raw.plain
        size = _buffer_for(_size_of(raw) or _READ_BUFFER) if plain else _READ_BUFFER
        out = EvidenceStream(_Passing(inner), size)
        out.notes = notes
        return _as_binary(out)
    except Exception:
        raw.close()
        raise


# --- text encodings ------------------------------------------------------------------------

_SNIFF_BYTES = 64 << 10
_BINARY = "binary"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Bytes that text does not hold (tab, newlines, form feed and ESC of colour codes excepted).
_CONTROL_BYTES = bytes(set(range(32)) - {9, 10, 11, 12, 13, 27})


def sniff_encoding(head: bytes) -> str | None:
    """The encoding of text that starts with ``head``: None for UTF-8 (read as it is), a codec
    name otherwise, ``"binary"`` for content that is not text at all.

    >>> sniff_encoding(b"I0101 ok\\n"), sniff_encoding("kubelet\\n".encode("utf-16-le"))
    (None, 'utf-16-le')
    >>> sniff_encoding("\\ufeffnode".encode("utf-16-be")), sniff_encoding(bytes(range(256)))
    ('utf-16-be', 'binary')
    >>> sniff_encoding("Grüße\\n".encode("latin-1")), sniff_encoding("节点内存不足".encode("gbk"))
    ('latin_1', 'gb18030')
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096]
    if not sample:
        return None
    # Most logs: ASCII without a NUL is UTF-8 and no UTF-16 or UTF-32 (each has NULs), told
    # by two C-level passes instead of the counts below.
    if b"\x00" not in sample and head.isascii():
        return None
    by_position = [sample[i::4].count(0) / max(1, len(sample[i::4])) for i in range(4)]
    if min(by_position[1:]) > 0.8 and by_position[0] < 0.2:
        return "utf-32-le"
    if min(by_position[:3]) > 0.8 and by_position[3] < 0.2:
        return "utf-32-be"
    odd, even = (by_position[1] + by_position[3]) / 2, (by_position[0] + by_position[2]) / 2
    if odd > 0.4 and even < 0.1:
        return "utf-16-le"
    if even > 0.4 and odd < 0.1:
        return "utf-16-be"
    if _is_utf8(head):
        return None
    if len(sample.translate(None, _CONTROL_BYTES)) < 0.9 * len(sample):
        return _BINARY
    return _legacy_encoding(sample)


# Encodings a log that is not UTF-8 is met in: Chinese (GBK is a subset of GB 18030), Japanese,
# Korean, Cyrillic, Western and Central European.
_LEGACY = ["gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "cp1251", "cp1252", "iso8859_2"]


@cache
def _cjk() -> re.Pattern[str]:
    """Chinese, Japanese and Korean characters: compiled when a legacy encoding is first
    weighed (its wide ranges cost every run about 3 ms at import)."""
    return re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")


def _legacy_encoding(sample: bytes) -> str:
    """GB 18030 when the bytes decode as Chinese text; else charset detection when there is
    enough to tell (a few hundred non-ASCII bytes); else Latin-1, which reads any byte."""
    wide = sum(byte >= 0x80 for byte in sample)
    for cut in (0, 1):  # the sample may end inside a character
        try:
            text = sample[: len(sample) - cut].decode("gb18030")
        except UnicodeDecodeError:
            continue
        if len(_cjk().findall(text)) * 2 >= wide / 2:
            return "gb18030"
        break
    if wide >= 256:
        # Imported for the rare input that needs it (about 10 ms, with logging).
        import charset_normalizer

        best = charset_normalizer.from_bytes(sample, cp_isolation=_LEGACY).best()
        if best is not None and best.encoding not in ("utf_8", "ascii"):
            return str(best.encoding)
    return "latin_1"


def _is_utf8(head: bytes) -> bool:
    for cut in range(4):  # the head may end inside a character
        try:
            head[: len(head) - cut].decode("utf-8")
            return True
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:
                return False
    return False


def _binary_detail(head: bytes) -> str:
    if head.startswith(b"LPKSHHRH"):
        return "a binary journald file: export it with journalctl --file FILE -o export"
    return "binary content, not text"


def _skip_nul_run(stream: io.BufferedReader) -> None:
    """Drop the NUL bytes at the start of a log: the hole ``logrotate copytruncate`` leaves
    when the writer goes on at its old offset."""
    while True:
        head = stream.peek(_READ_BUFFER)
        if not head or head[0] != 0:
            return
        stream.read(len(head) - len(head.lstrip(b"\x00")))


class _Transcoded(io.RawIOBase):
    """Text in another encoding, as UTF-8 (bytes that do not decode become U+FFFD)."""

    def __init__(self, inner: io.BufferedReader, encoding: str) -> None:
        super().__init__()
        self._inner = inner
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._inner.read1(_READ_BUFFER)
            self._pending = self._decoder.decode(chunk, final=not chunk).encode("utf-8")
            if not chunk:
                break
        view = memoryview(buffer).cast("B")
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        self._inner.close()
        super().close()


class _Passing(io.RawIOBase):
    """A raw view of a buffered stream (the last layer is buffered again, with notes)."""

    def __init__(self, inner: io.RawIOBase | io.BufferedReader) -> None:
        super().__init__()
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return int(self._inner.readinto(buffer) or 0)

    def close(self) -> None:
        self._inner.close()
        super().close()


class _Bounded(io.RawIOBase):
    """A file descriptor read up to ``limit`` bytes."""

    def __init__(self, fd: int, limit: int) -> None:
        super().__init__()
        self._file = io.FileIO(fd, "rb", closefd=True)
        self._left = limit
        self._read = 0
        self.size = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        view = memoryview(buffer).cast("B")
        got = self._file.readinto(view[: min(len(view), self._left)]) or 0
        self._left -= got
        self._read += got
        return got

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._file.seek(offset, whence)
        self._left += self._read - position
        self._read = position
        return position

    def tell(self) -> int:
        return self._read

    def close(self) -> None:
        self._file.close()
        super().close()


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


def _decompressed(
    raw: IO[bytes], caps: Caps, notes: list[tuple[GapReason, str]]
) -> io.BufferedReader:
    head = raw.read(8)
    raw.seek(0)
    kind = compression_of(head)
    opener = _OPENERS.get(kind) if kind else None
    inner: Any = raw if opener is None else opener(raw)
    # Plain data is as long as the file; decompressed data may be any length.
    size = _READ_BUFFER if kind else _buffer_for(_size_of(raw) or _READ_BUFFER)
    return io.BufferedReader(_Checked(inner, kind or "plain", raw, caps, notes), size)


def _zstd(raw: IO[bytes]) -> Any:
    try:
        zstandard = importlib.import_module("zstandard")
    except ImportError as err:
        raise StreamError("zstd input needs the zstandard module") from err
    return _ZstdFrames(zstandard.ZstdDecompressor(), raw)


class _ZstdFrames(io.RawIOBase):
    """All the frames of a zstd stream, with an error for a truncated last frame (the
    zstandard stream reader ends quietly there)."""

    # Compressed bytes fed at a time, and the output wanted per feed: the feed shrinks when the
    # data expands a lot, so a frame that expands 30,000 times is not held whole in memory.
    _FEED = 64 << 10
    _OUT = 4 << 20

    def __init__(self, context: Any, raw: IO[bytes]) -> None:
        super().__init__()
        self._context = context
        self._frame = context.decompressobj()
        self._raw = raw
        self._pending = b""
        self._at = 0
        self._in_frame = False
        self._feed = 1 << 10  # grows once the ratio is known

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._at >= len(self._pending):
            compressed = self._raw.read(self._feed)
            if not compressed:
                if self._in_frame:
                    raise StreamError("corrupt zstd data: truncated frame")
                return 0
            self._pending = self._decompress(compressed)
            self._at = 0
            ratio = len(self._pending) // len(compressed)
            self._feed = max(16, min(self._FEED, self._OUT // max(1, ratio)))
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


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


# ISA-L's inflate (the isal package) takes well under half the CPU time of zlib's; a big file is
# inflated on a thread of its own (ISA-L releases the GIL), overlapped with the scan on a second
# core. Without isal, the standard library's gzip.
_igzip: Any = _optional("isal.igzip")
_igzip_threaded: Any = _optional("isal.igzip_threaded")
_THREADED_GZIP_BYTES = 8 << 20


def _gzip(raw: IO[bytes]) -> Any:
    if _igzip is None:
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if _igzip_threaded is not None and _size_of(raw) >= _THREADED_GZIP_BYTES:
        return _igzip_threaded.open(raw, "rb")
    return _igzip.GzipFile(fileobj=raw, mode="rb")


def _size_of(raw: IO[bytes]) -> int:
    # A file from open_regular: its size at open (it has no descriptor to hand out, so that
    # nothing reads past its bound).
    bounded = getattr(raw, "raw", raw)
    if isinstance(bounded, _Bounded):
        return bounded.size
    try:
        return os.fstat(raw.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return 0  # not a file of its own (an archive member, bytes in memory)


_OPENERS: dict[str, Callable[[IO[bytes]], Any]] = {
    "gzip": _gzip,
    "zstd": _zstd,
    "xz": lambda raw: lzma.LZMAFile(raw, mode="rb"),  # noqa: SIM115 - closed by _Checked
    "bzip2": lambda raw: bz2.BZ2File(raw, mode="rb"),
}


class _Checked(io.RawIOBase):
    """Reads from a decompressor, turns its many error types into :class:`StreamError`, and
    stops (with a note) at the caps: ``input-bytes`` out, and for compressed data ``ratio`` out
    per byte in (a bomb is cut in its first megabytes, not after gigabytes). Closing it
    closes the file underneath."""

    def __init__(
        self,
        inner: Any,
        kind: str,
        raw: IO[bytes],
        caps: Caps,
        notes: list[tuple[GapReason, str]],
    ) -> None:
        super().__init__()
        self._inner = inner
        self._kind = kind
        self._raw = raw
        self._caps = caps
        self._notes = notes
        self._out = 0
        self._stopped = False

    @property
    def plain(self) -> bool:
        return self._kind == "plain"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._stopped:
            return 0
        view = memoryview(buffer).cast("B")
        room = self._caps.input_bytes - self._out
        if room <= 0:
            return self._stop("input-bytes")
        if _run_deadline is not None and time.monotonic() > _run_deadline:
            return self._stop("run-seconds", "the run's time was up")
        try:
            got = int(self._inner.readinto(view[: min(len(view), room)]) or 0)
        except (OSError, EOFError, lzma.LZMAError, ValueError) as err:
            raise StreamError(f"corrupt {self._kind} data: {err}") from err
        except Exception as err:  # zstandard.ZstdError has no common base with the others
            raise StreamError(f"corrupt {self._kind} data: {err}") from err
        self._out += got
        if self._kind != "plain" and self._out > self._caps.ratio_floor:
            consumed = max(1, self._raw.tell())
            if self._out > self._caps.ratio * consumed:
                self._stop("ratio", f"{self._kind} expands more than {self._caps.ratio} times")
        return got

    def _stop(self, cap: str, why: str = "") -> int:
        self._stopped = True
        hint = self._caps.raise_hint(cap)
        detail = f"read the first {self._out >> 20} MiB; " + (f"{why}: " if why else "") + hint
        self._notes.append(("cap", detail))
        return 0

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
