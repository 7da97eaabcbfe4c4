"""journald exports turned into short-iso text lines, streaming.

Two shapes are recognised by content: the export format (``journalctl -o export``,
https://systemd.io/JOURNAL_EXPORT_FORMATS/: ``KEY=value`` lines, binary fields as
``KEY\\n<le64 size><bytes>\\n``, entries separated by an empty line) and ``journalctl -o json``
(one JSON object per line; binary values as arrays of byte values). Each entry becomes
``2023-07-23T22:09:01+0000 host unit[pid]: MESSAGE`` like ``journalctl -o short-iso`` in UTC;
the lines of a multi-line message follow, indented to the message column as journalctl does.

>>> entry = {"__REALTIME_TIMESTAMP": b"1690150141000000", "_HOSTNAME": b"node-1",
...          "SYSLOG_IDENTIFIER": b"kubelet", "_PID": b"812", "MESSAGE": b"PLEG is not healthy"}
>>> short_iso(entry)
b'2023-07-23T22:09:01+0000 node-1 kubelet[812]: PLEG is not healthy\\n'
"""

from __future__ import annotations

import io
import json
import re
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import Enum
from typing import Any, BinaryIO

_FIELD_NAME = re.compile(rb"^[A-Za-z0-9_]+$")
_EXPORT_HEAD = re.compile(rb"^[A-Za-z0-9_]+=")
_JSON_KEYS = (b'"__REALTIME_TIMESTAMP"', b'"MESSAGE"', b'"__CURSOR"')
# A field larger than this is an error, not a reason to hold gigabytes.
MAX_FIELD_BYTES = 64 << 20
_BATCH_BYTES = 1 << 20


class JournalShape(Enum):
    PLAIN = "plain"
    EXPORT = "export"
    JSON = "json"


class JournalFormatError(ValueError):
    """A journald export that breaks its own format."""


def sniff_journal(head: bytes) -> JournalShape:
    """What the first bytes of a (decompressed) stream look like.

    >>> sniff_journal(b"__CURSOR=s=1;i=2\\n__REALTIME_TIMESTAMP=1\\nMESSAGE=x\\n\\n").name
    'EXPORT'
    >>> sniff_journal(b'{"__REALTIME_TIMESTAMP":"1","MESSAGE":"x"}\\n').name
    'JSON'
    >>> sniff_journal(b"Jul 23 22:09:01 node kubelet[1]: x\\n").name
    'PLAIN'
    """
    first = head.split(b"\n", 1)[0]
    if first.lstrip().startswith(b"{") and any(key in first for key in _JSON_KEYS):
        return JournalShape.JSON
    if _EXPORT_HEAD.match(first):
        entry = head.split(b"\n\n", 1)[0]
        if b"\n__REALTIME_TIMESTAMP=" in b"\n" + entry or b"\nMESSAGE" in b"\n" + entry:
            return JournalShape.EXPORT
    return JournalShape.PLAIN


def converted(stream: BinaryIO | io.BufferedReader, shape: JournalShape) -> io.RawIOBase:
    """A raw stream of the short-iso lines of a journald export."""
    entries = export_entries(stream) if shape is JournalShape.EXPORT else json_entries(stream)
    return _LineStream((short_iso(entry) for entry in entries), stream)


def export_entries(stream: BinaryIO | io.BufferedReader) -> Iterator[dict[str, bytes]]:
    """Entries of the export format, first value of each field."""
    entry: dict[str, bytes] = {}
    while True:
        line = stream.readline(MAX_FIELD_BYTES)
        if not line or line == b"\n":
            if entry:
                yield entry
                entry = {}
            if not line:
                return
            continue
        if not line.endswith(b"\n"):
            if len(line) >= MAX_FIELD_BYTES:
                raise JournalFormatError("journal export field longer than 64 MiB")
            line += b"\n"  # last line of a truncated export
        name, equals, value = line[:-1].partition(b"=")
        if not equals:
            value = _binary_field(stream, name)
        if not _FIELD_NAME.match(name):
            raise JournalFormatError(f"bad journal export field name {name[:60]!r}")
        entry.setdefault(name.decode("ascii"), value)


def _binary_field(stream: BinaryIO | io.BufferedReader, name: bytes) -> bytes:
    size_bytes = stream.read(8)
    if len(size_bytes) != 8:
        raise JournalFormatError(f"journal export field {name[:60]!r}: truncated size")
    (size,) = struct.unpack("<Q", size_bytes)
    if size > MAX_FIELD_BYTES:
        raise JournalFormatError(f"journal export field {name[:60]!r}: {size} bytes")
    value = stream.read(size)
    if len(value) != size or stream.read(1) != b"\n":
        raise JournalFormatError(f"journal export field {name[:60]!r}: truncated data")
    return value


def json_entries(stream: BinaryIO | io.BufferedReader) -> Iterator[dict[str, bytes]]:
    """Entries of ``journalctl -o json`` (also json-seq and pretty-free one-per-line)."""
    for number, line in enumerate(stream, start=1):
        text = line.strip().lstrip(b"\x1e")
        if not text:
            continue
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise JournalFormatError(f"journal json line {number}: {err}") from err
        if not isinstance(obj, dict):
            raise JournalFormatError(f"journal json line {number}: not an object")
        entry = {key: _json_value(value) for key, value in obj.items()}
        yield {key: value for key, value in entry.items() if value is not None}


def _json_value(value: Any) -> bytes | None:
    """A field value: text, an array of byte values, or an array of values (repeated field)."""
    if value is None:  # field too large for journalctl to print
        return None
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogateescape")
    if isinstance(value, int | float):
        return str(value).encode()
    if isinstance(value, list) and value:
        if all(isinstance(byte, int) and 0 <= byte < 256 for byte in value):
            return bytes(value)
        return _json_value(value[0])
    return None


def short_iso(entry: dict[str, bytes]) -> bytes:
    """One entry as ``journalctl -o short-iso`` prints it in UTC (lines joined by newlines)."""
    stamp = entry.get("_SOURCE_REALTIME_TIMESTAMP") or entry.get("__REALTIME_TIMESTAMP")
    prefix = _format_stamp(stamp)
    host = entry.get("_HOSTNAME")
    if host:
        prefix += b" " + host
    ident = entry.get("SYSLOG_IDENTIFIER") or entry.get("_COMM") or b"unknown"
    pid = entry.get("_PID") or entry.get("SYSLOG_PID")
    prefix += b" " + ident + (b"[" + pid + b"]" if pid else b"") + b": "
    message = entry.get("MESSAGE", b"").rstrip(b"\n")
    lines = message.split(b"\n")
    indent = b"\n" + b" " * len(prefix)
    return prefix + indent.join(lines) + b"\n"


def _format_stamp(value: bytes | None) -> bytes:
    try:
        micros = int(value or b"")
        moment = datetime.fromtimestamp(micros / 1e6, UTC)
    except (ValueError, OverflowError, OSError):
        return b"-"
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000").encode()


class _LineStream(io.RawIOBase):
    """A raw stream over generated chunks of bytes; closing it closes the source."""

    def __init__(self, chunks: Iterator[bytes], source: BinaryIO | io.BufferedReader) -> None:
        super().__init__()
        self._chunks = chunks
        self._source = source
        self._pending = b""
        self._at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._at >= len(self._pending):
            self._pending = self._next_batch()
            self._at = 0
        view = memoryview(buffer).cast("B")
        size = min(len(view), len(self._pending) - self._at)
        view[:size] = self._pending[self._at : self._at + size]
        self._at += size
        return size

    def _next_batch(self) -> bytes:
        batch: list[bytes] = []
        size = 0
        for chunk in self._chunks:
            batch.append(chunk)
            size += len(chunk)
            if size >= _BATCH_BYTES:
                break
        return b"".join(batch)

    def close(self) -> None:
        if not self.closed:
            self._source.close()
        super().close()
