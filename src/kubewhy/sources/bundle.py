"""Evidence bundles: what a collector read, written as files plus a manifest.

``kubewhy collect node|cluster -o FILE.tar.gz`` writes a bundle; ``kubewhy diagnose FILE.tar.gz``
reads it back on any machine. The manifest (``kubewhy-manifest.json`` at the root) records for
every artefact where it came from, when, whether it was cut, and what could not be read (a gap,
with its reason), so the diagnosis can say what evidence is missing and why.
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kubewhy import __version__

MANIFEST_NAME = "kubewhy-manifest.json"
GapReason = Literal["permission", "timeout", "absent", "too-large", "error", "cannot-fork"]


class Artefact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str  # inside the bundle
    origin: str  # the file read or the command run ("/proc/meminfo", "journalctl -u kubelet")
    node: str | None = None
    component: str | None = None
    namespace: str | None = None
    pod: str | None = None
    format: str | None = None  # a format name that overrides detection by content
    started: datetime
    seconds: float = 0.0
    returncode: int | None = None
    truncated: bool = False


class Gap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    origin: str
    reason: GapReason
    detail: str = ""


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kubewhy_version: str = __version__
    kind: Literal["node", "cluster", "prometheus", "mixed"]
    created: datetime = Field(default_factory=lambda: datetime.now(UTC))
    node: str | None = None
    artefacts: list[Artefact] = []
    gaps: list[Gap] = []

    def artefact(self, path: str) -> Artefact | None:
        for item in self.artefacts:
            if item.path == path:
                return item
        return None


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


def read_manifest(data: bytes) -> Manifest | None:
    try:
        return Manifest.model_validate(json.loads(data))
    except (ValueError, TypeError):
        return None
