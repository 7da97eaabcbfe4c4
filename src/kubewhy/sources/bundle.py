"""Bundles in the making: a collector's artefacts, kept in memory, written only by ``collect``.

The contract (manifest, artefacts, gaps) is :mod:`kubewhy.model.bundle`.
"""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path
from typing import Literal

from kubewhy.model.bundle import MANIFEST_NAME, Artefact, Gap, GapReason, Manifest


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
        self.files[path] = data
        self.manifest.artefacts.append(artefact)

    def gap(self, origin: str, reason: GapReason, detail: str = "") -> None:
        self.manifest.gaps.append(Gap(origin=origin, reason=reason, detail=detail))

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
        target.mkdir(parents=True, exist_ok=True)
        (target / MANIFEST_NAME).write_bytes(self.manifest_bytes())
        for path, data in self.files.items():
            dest = target / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
