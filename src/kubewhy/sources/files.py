"""Evidence from paths: files, folders and archives, with what their location tells.

Archives (tar under any compression, zip), recognised by content wherever they are (given,
inside a folder, inside another archive), are extracted into a private temporary folder within
the run's caps (:mod:`kubewhy.sources.archives`). Single compressed files (.gz, .zst, .xz, .bz2)
are not extracted: the scanning engine reads them as bounded streams. Files met in a folder walk
are opened without following links and read no further than their size (a file swapped for a
link to ``/dev/zero`` after the walk is a gap, not an endless read).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

from kubewhy.errors import InputError
from kubewhy.model.bundle import MANIFEST_NAME, Gap, Manifest, read_manifest
from kubewhy.model.caps import Caps
from kubewhy.model.components import of_file_name, of_pod_name
from kubewhy.model.names import decode_segment
from kubewhy.sources.archives import Extractor, NoScratchError, archive_kind
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.streams import DEFAULT_CAPS, open_bytes, open_regular, open_stream

MAX_MANIFEST_BYTES = 64 << 20
SKIP_NAMES = {".DS_Store", "README.md", "PROVENANCE.md", "expect.yaml", MANIFEST_NAME}


@dataclass(frozen=True)
class InputFile:
    """One input: a file on disk, or bytes a live collector read (``data``), with what its place
    (a path, a bundle manifest) says about it."""

    path: Path
    display: str
    node: str | None = None
    component: str | None = None
    namespace: str | None = None
    pod: str | None = None
    format_hint: str | None = None
    data: bytes | None = field(default=None, repr=False)
    caps: Caps = field(default=DEFAULT_CAPS, repr=False, compare=False)
    # False for files met in a folder walk: a link there was not expected.
    follow: bool = True

    def open(self) -> BinaryIO:
        """The content, decompressed, decoded and journald-converted, within the caps (see
        :func:`kubewhy.sources.streams.notes_of` for what was cut); close it when done."""
        if self.data is not None:
            return open_bytes(self.data, self.caps)
        return open_stream(self.path, self.caps, follow=self.follow)

    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        try:
            return self.path.stat().st_size
        except OSError:
            return 0


@dataclass
class Inputs:
    files: list[InputFile] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)


_NAME_ADDRESS = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")


def _context_from_path(rel: PurePosixPath) -> dict[str, str | None]:
    """cluster-info dump layout: <namespace>/<pod>/logs.txt (names decoded: see
    :mod:`kubewhy.model.names`)."""
    parts = rel.parts
    if len(parts) >= 3 and parts[-1] in ("logs.txt", "logs-previous.txt"):
        pod = decode_segment(parts[-2])
        return {"namespace": decode_segment(parts[-3]), "pod": pod, "component": of_pod_name(pod)}
    if not parts:
        return {}
    # An address in the name says which machine the file is from (top-10.0.0.42.txt).
    address = _NAME_ADDRESS.search(parts[-1])
    return {"component": of_file_name(parts[-1]), "node": address.group(0) if address else None}


def _input(
    path: Path,
    rel: PurePosixPath,
    display: str,
    manifest: Manifest | None,
    data: bytes | None = None,
    caps: Caps = DEFAULT_CAPS,
) -> InputFile:
    """An input with what its place says: the manifest's entry for it, else the layout of a
    cluster-info dump."""
    hints = _context_from_path(rel)
    art = manifest.artefact(str(rel)) if manifest else None
    if art is None:
        return InputFile(
            path,
            display,
            node=(manifest.node if manifest else None) or hints.get("node"),
            component=hints.get("component"),
            namespace=hints.get("namespace"),
            pod=hints.get("pod"),
            data=data,
            caps=caps,
            follow=data is not None,
        )
    return InputFile(
        path,
        display,
        node=art.node or (manifest.node if manifest else None),
        component=art.component or hints.get("component"),
        namespace=art.namespace or hints.get("namespace"),
        pod=art.pod or hints.get("pod"),
        format_hint=art.format,
        data=data,
        caps=caps,
        follow=data is not None,
    )


def _walk(root: Path, rel: str = "") -> Iterator[tuple[Path, str]]:
    """Regular files under ``root`` (not hidden, not the bundle's own files), no link followed,
    each with its path below ``root`` (``/``-separated): a folder's files by name, then its
    folders by name, as ``os.walk`` meets them; each entry's type as the listing gives it
    (a file is not asked again with ``lstat``)."""
    try:
        with os.scandir(root) as listing:
            entries = list(listing)
    except OSError:
        return
    folders: dict[str, os.DirEntry[str]] = {}
    files: dict[str, os.DirEntry[str]] = {}
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        (folders if is_dir else files)[entry.name] = entry
    for name in sorted(files):
        if name in SKIP_NAMES or name.startswith("."):
            continue
        try:
            regular = files[name].is_file(follow_symlinks=False)
        except OSError:
            continue
        if regular:
            yield root / name, rel + name
    for name in sorted(folders):
        if name.startswith("."):
            continue
        try:
            link = folders[name].is_symlink()
        except OSError:
            link = False  # as os.walk's islink: the listing below it then fails or holds
        if not link:
            yield from _walk(root / name, f"{rel}{name}/")


def _walk_order(name: str) -> tuple[tuple[int, str], ...]:
    """The order :func:`_walk` meets a bundle's files in: a folder's files, then its folders."""
    *folders, file = PurePosixPath(name).parts
    return (*((1, folder) for folder in folders), (0, file))


def bundle_inputs(bundle: BundleWriter, label: str, caps: Caps = DEFAULT_CAPS) -> Inputs:
    """What a live collector read, handed on in memory (nothing is written to disk)."""
    inputs = Inputs(manifests=[bundle.manifest], gaps=list(bundle.manifest.gaps))
    for name in sorted(bundle.files, key=_walk_order):
        rel = PurePosixPath(name)
        data = bundle.files[name]
        inputs.files.append(
            _input(Path(label) / rel, rel, f"{label}/{rel}", bundle.manifest, data, caps)
        )
    return inputs


@contextlib.contextmanager
def open_inputs(paths: list[Path], caps: Caps = DEFAULT_CAPS) -> Iterator[Inputs]:
    """All input files under ``paths``; extracted archives live until the context ends (and are
    removed however it ends: an error, Ctrl-C, SIGTERM)."""
    inputs = Inputs()
    extractor = Extractor(caps)
    try:
        if sum(1 for given in paths if str(given) == STDIN) > 1:
            raise InputError("-: standard input can be read once only")
        for given in paths:
            if str(given) == STDIN:
                _add_stdin(inputs, extractor)
                continue
            if not os.path.lexists(given):
                raise InputError(f"{given}: no such file or directory")
            if given.is_dir():
                _add_tree(inputs, given, str(given).rstrip("/"), extractor, 0)
            elif given.is_file():
                display = str(given)
                if archive_kind(given, caps):
                    _add_archive(inputs, given, f"{given.name}!", extractor, 0)
                else:
                    hints = _context_from_path(PurePosixPath(given.name))
                    node, component = hints.get("node"), hints.get("component")
                    inputs.files.append(
                        InputFile(given, display, node=node, component=component, caps=caps)
                    )
            else:
                raise InputError(f"{given}: not a regular file or folder")
        inputs.gaps.extend(extractor.gaps)
        yield inputs
    finally:
        extractor.cleanup()


STDIN = "-"
_CHUNK = 1 << 20


def _add_stdin(inputs: Inputs, extractor: Extractor, stream: BinaryIO | None = None) -> None:
    """Evidence piped in (``journalctl -u kubelet | kubewhy diagnose -``), named ``stdin``.

    A pipe can be read once, and a reader may read an input more than once (to find its
    format, then to parse it), so it is kept: in the run's scratch folder, which goes with the
    run, or in memory when no folder can be made (a full disk). An archive piped in is opened
    like one given by name."""
    source = stream or cast(BinaryIO, sys.stdin.buffer)
    if stream is None and sys.stdin.isatty():
        raise InputError("-: standard input is a terminal; pipe the evidence in")
    caps = extractor.caps
    limit = caps.input_bytes
    try:
        kept = extractor.folder() / "stdin"
    except NoScratchError:
        data = source.read(limit + 1)
        if len(data) > limit:
            hint = caps.raise_hint("input-bytes")
            extractor.gap("stdin", "cap", f"read up to {limit} bytes; {hint}")
        inputs.files.append(InputFile(Path("stdin"), "stdin", data=data[:limit], caps=caps))
        return
    written = 0
    room = min(limit, extractor.room())
    with kept.open("wb") as out:
        while chunk := source.read(min(_CHUNK, room - written + 1)):
            if written + len(chunk) > room:
                out.write(chunk[: room - written])
                written = room
                hint = caps.raise_hint("input-bytes")
                extractor.gap("stdin", "cap", f"read up to {room} bytes; {hint}")
                break
            out.write(chunk)
            written += len(chunk)
    extractor.written += written
    if archive_kind(kept, caps):
        _add_archive(inputs, kept, "stdin!", extractor, 0)
    else:
        inputs.files.append(InputFile(kept, "stdin", caps=caps))


def _add_archive(
    inputs: Inputs, archive: Path, display: str, extractor: Extractor, depth: int
) -> None:
    """An archive's members as inputs (``name.tgz!member``); archives in it, in turn."""
    if depth >= extractor.caps.depth:
        hint = extractor.caps.raise_hint("depth")
        extractor.gap(display.rstrip("!"), "cap", f"archive inside archives not opened; {hint}")
        return
    into = extractor.extract(archive, display)
    if into is not None:
        _add_tree(inputs, into, display.rstrip("!") + "!", extractor, depth + 1)


def _add_tree(
    inputs: Inputs,
    root: Path,
    display_root: str,
    extractor: Extractor,
    depth: int,
) -> None:
    manifest = None
    for candidate in (root / MANIFEST_NAME, *sorted(root.glob(f"*/{MANIFEST_NAME}"))):
        if candidate.is_file() and not candidate.is_symlink():
            manifest = _read_manifest(candidate)
            if manifest is not None:
                inputs.manifests.append(manifest)
                inputs.gaps.extend(manifest.gaps)
                root = candidate.parent
            break
    caps = extractor.caps
    for path, rel_name in _walk(root):
        rel = PurePosixPath(rel_name)
        display = f"{display_root}/{rel}" if display_root else str(rel)
        if archive_kind(path, caps):
            _add_archive(inputs, path, f"{display}!", extractor, depth)
            continue
        inputs.files.append(_input(path, rel, display, manifest, caps=caps))


def _read_manifest(path: Path) -> Manifest | None:
    try:
        with open_regular(path, follow=False) as raw:
            data = raw.read(MAX_MANIFEST_BYTES + 1)
    except OSError:
        return None
    return read_manifest(data) if len(data) <= MAX_MANIFEST_BYTES else None
