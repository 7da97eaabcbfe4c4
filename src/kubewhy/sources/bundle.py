"""Bundles in the making: a collector's artefacts, kept in memory, written only by ``collect``.

The contract (manifest, artefacts, gaps) is :mod:`kubewhy.model.bundle`. Everything a bundle
holds is redacted as it is added (file contents, origins, gap details), so a bundle, its
manifest and a diagnosis made from it in memory carry no secret. Paths are checked: a bundle path
is relative and stays inside the bundle (names from outside are encoded by
:mod:`kubewhy.model.names` before they become paths), and writing a bundle out never follows a
link.
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from pathlib import Path
from typing import Literal

from kubewhy.model.bundle import MANIFEST_NAME, Artefact, Gap, GapReason, Manifest
from kubewhy.model.names import is_safe_relative
from kubewhy.model.obfuscate import Obfuscator
from kubewhy.model.redact import redact, redact_bytes


class UnsafePathError(ValueError):
    """A bundle path that could leave the bundle: a bug in the collector that made it."""


class BundleWriter:
    """Collects artefacts in memory (bounded by the collectors' caps) and writes them out.

    Kept in memory so that ``diagnose --node`` can use the same bundle without touching disk.
    """

    def __init__(
        self, kind: Literal["node", "cluster", "prometheus", "mixed"], node: str | None = None
    ):
        self.manifest = Manifest(kind=kind, node=node)
        self.files: dict[str, bytes] = {}

    def add(self, path: str, data: bytes, artefact: Artefact) -> None:
        if not is_safe_relative(path) or path == MANIFEST_NAME or artefact.path != path:
            raise UnsafePathError(f"unsafe bundle path {path!r}")
        self.files[path] = redact_bytes(data)
        self.manifest.artefacts.append(
            artefact.model_copy(update={"origin": redact(artefact.origin)})
        )

    def gap(self, origin: str, reason: GapReason, detail: str = "") -> None:
        self.manifest.gaps.append(Gap(origin=redact(origin), reason=reason, detail=redact(detail)))

    def obfuscate(self, obfuscator: Obfuscator) -> None:
        """Addresses and host names replaced everywhere (``collect --obfuscate``), the same
        stand-in for the same value in every file and in the manifest."""
        if self.manifest.node:
            obfuscator.add_hosts([self.manifest.node])
        self.files = {
            path: obfuscator.text(data.decode("utf-8", "surrogateescape")).encode(
                "utf-8", "surrogateescape"
            )
            for path, data in self.files.items()
        }
        text = obfuscator.text(self.manifest.model_dump_json())
        self.manifest = Manifest.model_validate_json(text)

    def manifest_bytes(self) -> bytes:
        return self.manifest.model_dump_json(indent=2).encode()

    def write_tar_gz(self, target: Path) -> None:
        now = time.time()
        with tarfile.open(target, "w:gz") as tar:
            for path, data in [(MANIFEST_NAME, self.manifest_bytes()), *self.files.items()]:
                info = tarfile.TarInfo(path)
                info.size = len(data)
                info.mtime = int(now)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))

    def write_dir(self, target: Path) -> None:
        """The bundle as a folder: created new, every file created new, no link followed."""
        target.mkdir(parents=True, exist_ok=True)
        root = target.resolve()
        for path, data in [(MANIFEST_NAME, self.manifest_bytes()), *self.files.items()]:
            if not is_safe_relative(path):
                raise UnsafePathError(f"unsafe bundle path {path!r}")
            dest = root / path
            folder = dest.parent
            folder.mkdir(parents=True, exist_ok=True)
            if not folder.resolve().is_relative_to(root):
                raise UnsafePathError(f"{path!r} leaves {target}")
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(dest, flags, 0o644)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
