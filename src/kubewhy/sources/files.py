"""Evidence from paths: files, folders and archives, with what their location tells.

Archives (.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, .zip) are extracted into a private temporary
folder, safely: no absolute paths, no ``..``, no links or device files, a cap on
members and on total size. Single compressed files (.gz, .zst, .xz, .bz2) are not extracted: the
scanning engine reads them as streams.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from kubewhy.errors import InputError
from kubewhy.model.bundle import MANIFEST_NAME, Gap, Manifest, read_manifest
from kubewhy.model.components import of_file_name, of_pod_name
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.streams import open_bytes, open_stream

MAX_MEMBERS = 200_000
MAX_EXTRACTED_BYTES = 64 << 30
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

    def open(self) -> BinaryIO:
        """The content, decompressed and journald-converted; close it when done."""
        return open_stream(self.path) if self.data is None else open_bytes(self.data)

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


def _is_archive(path: Path) -> bool:
    return path.name.lower().endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip"))


def _safe_member(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts


def _extract(archive: Path, into: Path) -> None:
    total = 0
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                infos = zf.infolist()
                if len(infos) > MAX_MEMBERS:
                    raise InputError(f"{archive}: more than {MAX_MEMBERS} members")
                for info in infos:
                    mode = info.external_attr >> 16
                    if info.is_dir() or not _safe_member(info.filename) or stat.S_ISLNK(mode):
                        continue
                    total += info.file_size
                    if total > MAX_EXTRACTED_BYTES:
                        raise InputError(f"{archive}: expands beyond {MAX_EXTRACTED_BYTES} bytes")
                    dest = into / info.filename
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(dest, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
            return
        with tarfile.open(archive) as tar:
            members = []
            for count, member in enumerate(tar, 1):
                if count > MAX_MEMBERS:
                    raise InputError(f"{archive}: more than {MAX_MEMBERS} members")
                if not member.isfile() or not _safe_member(member.name):
                    continue
                total += member.size
                if total > MAX_EXTRACTED_BYTES:
                    raise InputError(f"{archive}: expands beyond {MAX_EXTRACTED_BYTES} bytes")
                members.append(member)
            tar.extractall(into, members=members, filter="data")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InputError(f"{archive}: not a readable archive ({exc})") from None


_NAME_ADDRESS = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")


def _context_from_path(rel: PurePosixPath) -> dict[str, str | None]:
    """cluster-info dump layout: <namespace>/<pod>/logs.txt."""
    parts = rel.parts
    if len(parts) >= 3 and parts[-1] in ("logs.txt", "logs-previous.txt"):
        pod = parts[-2]
        return {"namespace": parts[-3], "pod": pod, "component": of_pod_name(pod)}
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
    )


def _walk(root: Path, display_root: str, manifest: Manifest | None) -> Iterator[InputFile]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name in SKIP_NAMES or name.startswith("."):
                continue
            path = Path(dirpath) / name
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if not stat.S_ISREG(mode):
                continue
            rel = PurePosixPath(path.relative_to(root).as_posix())
            display = f"{display_root}/{rel}" if display_root else str(rel)
            yield _input(path, rel, display, manifest)


def _walk_order(name: str) -> tuple[tuple[int, str], ...]:
    """The order :func:`_walk` meets a bundle's files in: a folder's files, then its folders."""
    *folders, file = PurePosixPath(name).parts
    return (*((1, folder) for folder in folders), (0, file))


def bundle_inputs(bundle: BundleWriter, label: str) -> Inputs:
    """What a live collector read, handed on in memory (nothing is written to disk)."""
    inputs = Inputs(manifests=[bundle.manifest], gaps=list(bundle.manifest.gaps))
    for name in sorted(bundle.files, key=_walk_order):
        rel = PurePosixPath(name)
        inputs.files.append(
            _input(Path(label) / rel, rel, f"{label}/{rel}", bundle.manifest, bundle.files[name])
        )
    return inputs


@contextlib.contextmanager
def open_inputs(paths: list[Path]) -> Iterator[Inputs]:
    """All input files under ``paths``; extracted archives live until the context ends."""
    inputs = Inputs()
    scratch: list[Path] = []
    try:
        for given in paths:
            if not given.exists():
                raise InputError(f"{given}: no such file or directory")
            if given.is_dir():
                _add_tree(inputs, given, str(given).rstrip("/"))
            elif _is_archive(given):
                into = Path(tempfile.mkdtemp(prefix="kubewhy-"))
                scratch.append(into)
                _extract(given, into)
                _add_tree(inputs, into, f"{given.name}!")
            elif given.is_file():
                hints = _context_from_path(PurePosixPath(given.name))
                inputs.files.append(
                    InputFile(
                        given, str(given), node=hints.get("node"), component=hints.get("component")
                    )
                )
            else:
                raise InputError(f"{given}: not a regular file or folder")
        yield inputs
    finally:
        for folder in scratch:
            shutil.rmtree(folder, ignore_errors=True)


def _add_tree(inputs: Inputs, root: Path, display_root: str) -> None:
    manifest = None
    for candidate in (root / MANIFEST_NAME, *root.glob(f"*/{MANIFEST_NAME}")):
        if candidate.is_file():
            manifest = read_manifest(candidate.read_bytes())
            if manifest is not None:
                inputs.manifests.append(manifest)
                inputs.gaps.extend(manifest.gaps)
                root = candidate.parent
            break
    inputs.files.extend(_walk(root, display_root, manifest))
