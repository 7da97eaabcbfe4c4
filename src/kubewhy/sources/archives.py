"""Archives among the evidence, extracted safely and within bounds.

An archive is recognised by its content (a zip's ``PK`` signature, a tar's ``ustar`` magic under
any compression the stream layer reads: gzip, zstd, xz, bzip2), wherever it is: given on the
command line, inside an evidence folder, or inside another archive (up to ``depth`` levels).
Members are data, never paths: each name is encoded into a safe relative path
(:func:`kubewhy.model.names.safe_relative`); links, devices and FIFOs are not extracted; files
are created new (``O_EXCL | O_NOFOLLOW``) in a private folder. What is written is counted as it
is written (never trusted from a header): the run's ``extract-bytes``, the free space less
``extract-reserve``, the ``members`` of one archive and the expansion ``ratio`` of a zip member
are capped. Whatever is skipped or cut is a gap; a corrupt member costs that member.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import struct
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from kubewhy.model.bundle import Gap, GapReason
from kubewhy.model.caps import Caps
from kubewhy.model.names import safe_relative
from kubewhy.sources.streams import (
    compression_of,
    notes_of,
    open_decompressed,
    open_regular,
    read_head,
)

_COPY = 1 << 20
# What a corrupt archive makes the readers raise: zlib's and struct's errors come out of zipfile
# for a damaged member, NotImplementedError for an unknown compression method.
ARCHIVE_ERRORS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class NoScratchError(OSError):
    """No folder could be created to extract into (read-only or full temporary folders)."""


@dataclass
class Extractor:
    """Extracts every archive of a run under one scratch folder, with one shared budget."""

    caps: Caps
    gaps: list[Gap] = field(default_factory=list)
    written: int = 0
    _scratch: Path | None = None
    _count: int = 0

    def folder(self) -> Path:
        """A new folder under the run's scratch folder (made on first use)."""
        if self._scratch is None:
            try:
                self._scratch = Path(tempfile.mkdtemp(prefix="kubewhy-"))
            except OSError as exc:
                raise NoScratchError(f"no writable temporary folder ({exc.strerror})") from None
        self._count += 1
        into = self._scratch / str(self._count)
        into.mkdir()
        return into

    def cleanup(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def gap(self, origin: str, reason: GapReason, detail: str) -> None:
        self.gaps.append(Gap(origin=origin, reason=reason, detail=detail))

    def room(self) -> int:
        """Bytes that may still be written: the run's cap and the free space."""
        left = self.caps.extract_bytes - self.written
        if self._scratch is not None:
            with contextlib.suppress(OSError):
                vfs = os.statvfs(self._scratch)
                left = min(left, vfs.f_bavail * vfs.f_frsize - self.caps.extract_reserve)
        return max(0, left)

    def extract(self, archive: Path, display: str) -> Path | None:
        """``archive`` extracted into a new folder; None (and a gap) when nothing could be."""
        kind = archive_kind(archive, self.caps)
        try:
            into = self.folder()
        except NoScratchError as exc:
            self.gap(display, "unreadable", f"archive not extracted: {exc}")
            return None
        run = _Run(self, into, display)
        try:
            if kind == "zip":
                run.zip(archive)
            else:
                run.tar(archive)
        except ARCHIVE_ERRORS as exc:
            what = "not a readable archive" if run.members == 0 else "archive cut short"
            self.gap(display, "unreadable", f"{what}: {exc}")
        run.report()
        return into


def archive_kind(path: Path, caps: Caps) -> str | None:
    """``"zip"``, ``"tar"`` (under any compression) or None, by content.

    >>> archive_kind(Path("/dev/null"), Caps()) is None
    True
    """
    try:
        head = read_head(path, _TAR_HEADER)
        if head[:4] in _ZIP_MAGIC:
            return "zip"
        if compression_of(head) is None and not _is_tar_header(head):
            # Plain bytes that are no tar header: reading them again through the
            # decompressing stream could only find the same (or, cut by a cap, less), and
            # thousands of small logs would each be opened twice.
            return None
        with open_decompressed(path, caps) as stream:
            block = stream.read(512)
    except (OSError, EOFError, ValueError):
        return None
    return "tar" if _is_tar_header(block) else None


# A tar header's size; its "ustar" magic is at 257.
_TAR_HEADER = 512


def _is_tar_header(block: bytes) -> bool:
    return len(block) >= 262 and block[257:262] == b"ustar"


@dataclass
class _Run:
    """One archive's extraction."""

    extractor: Extractor
    into: Path
    display: str
    members: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    renamed: int = 0
    # Compressed bytes of the zip members read so far, and bytes written from them: a zip of many
    # small members is cut by its overall ratio (a tar is cut by its stream's).
    packed: int = 0
    written: int = 0

    def place(self, name: str) -> Path | None:
        """The new file a member goes to; None when it must not be extracted."""
        self.members += 1
        if self.members > self.extractor.caps.members:
            raise _Stop("members", f"more than {self.extractor.caps.members} members")
        rel = safe_relative(name)
        if rel != name.strip("/"):
            self.renamed += 1
        dest = self.into / rel
        for folder in reversed(dest.parents):
            if folder == self.into or not folder.is_relative_to(self.into):
                continue
            with contextlib.suppress(FileExistsError):
                folder.mkdir()
        for n in range(1, 1000):
            if not os.path.lexists(dest):
                return dest
            dest = dest.with_name(f"{dest.name}~{n}")
        return None

    def copy(self, source: IO[bytes], dest: Path, packed: int | None) -> None:
        """Copy one member, counted against the caps; a cut member keeps what was written."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(dest, flags, 0o600)
        written = 0
        caps = self.extractor.caps
        with os.fdopen(fd, "wb") as out:
            while True:
                room = self.extractor.room()
                if room <= 0:
                    raise _Stop("extract-bytes", "the run's extraction cap or the free space")
                chunk = source.read(min(_COPY, room))
                if not chunk:
                    break
                out.write(chunk)
                written += len(chunk)
                self.written += len(chunk)
                self.extractor.written += len(chunk)
                over = self.packed and self.written > caps.ratio * self.packed
                if over and self.written > caps.ratio_floor:
                    raise _Stop("ratio", f"the archive expands more than {caps.ratio} times")
                expands = packed is not None and written > caps.ratio * max(1, packed)
                if expands and written > caps.ratio_floor:
                    origin = f"{self.display}{dest.relative_to(self.into)}"
                    self.extractor.gap(
                        origin,
                        "cap",
                        f"member expands more than {caps.ratio} times; " + caps.raise_hint("ratio"),
                    )
                    break

    def tar(self, archive: Path) -> None:
        with open_decompressed(archive, self.extractor.caps) as stream:
            try:
                self._tar_members(stream)
            except _Stop as stop:
                self.stopped(stop)
            finally:  # a cap that cut the stream explains why the tar ended early
                for reason, detail in notes_of(stream):
                    self.extractor.gap(self.display.rstrip("!"), reason, detail)

    def _tar_members(self, stream: BinaryIO) -> None:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if member.isdir():
                    continue
                if not member.isfile():
                    kind = "links" if member.issym() or member.islnk() else "special files"
                    self.skipped[kind] = self.skipped.get(kind, 0) + 1
                    continue
                dest = self.place(member.name)
                source = tar.extractfile(member)
                if dest is None or source is None:
                    continue
                self.copy(source, dest, None)

    def zip(self, archive: Path) -> None:
        with open_regular(archive) as raw, zipfile.ZipFile(raw) as zf:
            try:
                for info in zf.infolist():
                    self._zip_member(zf, info)
            except _Stop as stop:
                self.stopped(stop)

    def stopped(self, stop: _Stop) -> None:
        hint = self.extractor.caps.raise_hint(stop.cap)
        self.extractor.gap(self.display, "cap", f"extraction stopped: {stop.why}; {hint}")

    def _zip_member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        if info.is_dir():
            return
        mode = info.external_attr >> 16
        if mode and (mode & 0o170000) not in (0, 0o100000):
            kind = "links and special files"
            self.skipped[kind] = self.skipped.get(kind, 0) + 1
            return
        dest = self.place(info.filename)
        if dest is None:
            return
        self.packed += info.compress_size + 30 + len(info.filename)  # local header included
        try:
            with zf.open(info) as source:
                self.copy(source, dest, info.compress_size)
        except _Stop:
            raise
        except ARCHIVE_ERRORS as exc:
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise _Stop("extract-bytes", "the temporary folder is full") from None
            self.extractor.gap(f"{self.display}{info.filename}", "unreadable", str(exc))

    def report(self) -> None:
        for kind, count in sorted(self.skipped.items()):
            self.extractor.gap(self.display, "unreadable", f"{count} {kind} not extracted")
        if self.renamed:
            detail = f"{self.renamed} member name(s) unsafe as paths, extracted under encoded names"
            self.extractor.gap(self.display, "unreadable", detail)


class _Stop(Exception):  # noqa: N818 - a control-flow signal, not an error to report as such
    def __init__(self, cap: str, why: str) -> None:
        super().__init__(why)
        self.cap = cap
        self.why = why
