"""The bundle contract: what a collector writes and what the readers of a bundle rely on.

``kubewhy collect node|cluster|prometheus -o FILE.tar.gz`` writes a bundle; ``kubewhy diagnose
FILE.tar.gz`` reads it back on any machine. The manifest (``kubewhy-manifest.json`` at the root)
records for every artefact where it came from, when, whether it was cut, and what could not be
read (a gap, with its reason), so the diagnosis can say what evidence is missing and why.

A Prometheus answer in a bundle starts with one header line naming the query and the
knowledge-base evidence it serves (:class:`MetricQuery`), then the API's JSON.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kubewhy import __version__

MANIFEST_NAME = "kubewhy-manifest.json"
PROMETHEUS_EVIDENCE_FORMAT = "prometheus-evidence"
PROMETHEUS_HEADER_PREFIX = "# kubewhy-prometheus "
# Why evidence could not be read (or not all of it). Live sources tell apart: refused (nothing
# listens), timeout (the deadline passed), tls (no trusted TLS session), unauthenticated (401),
# permission (403), rate-limited (429), server-error (5xx). Inputs: too-large, cap (a bound of
# kubewhy.model.caps.Caps reached: the detail names it and how to raise it), unreadable (not a
# regular file, binary, a link where none was expected), encoding (read as another encoding than
# UTF-8: a note more than a loss), interrupted (the run was stopped).
GapReason = Literal[
    "permission",
    "unauthenticated",
    "timeout",
    "refused",
    "tls",
    "rate-limited",
    "server-error",
    "absent",
    "too-large",
    "cap",
    "unreadable",
    "encoding",
    "error",
    "cannot-fork",
    "interrupted",
]
MetricEntityKind = Literal["node", "pod", "container", "component", "cluster"]


class Artefact(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

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
    """Evidence that could not be read, and why: never taken for an all-clear."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    origin: str
    reason: GapReason
    detail: str = ""

    def describe(self) -> str:
        """One line for people: ``could not read /proc/1/stack: permission (EACCES)``."""
        return f"could not read {self.origin}: {self.reason}" + (
            f" ({self.detail})" if self.detail else ""
        )


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

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


def read_manifest(data: bytes) -> Manifest | None:
    try:
        return Manifest.model_validate(json.loads(data))
    except (ValueError, TypeError, RecursionError):
        return None


class MetricEvidence(BaseModel):
    """One ``metrics:`` entry of a failure mode that a query serves."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    failure_mode: str
    id: str
    fact: str
    entity: MetricEntityKind
    absent_means: str | None = None

    @property
    def stem(self) -> str:
        """The fact prefix of this entry's derived facts: ``metrics.<id>``."""
        return "metrics." + re.sub(r"[^a-z0-9_]", "_", self.id.lower())


class MetricQuery(BaseModel):
    """The first line of a collected answer: which query, which evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    query: str
    kind: Literal["instant", "range"]
    evidence: list[MetricEvidence]

    def to_line(self) -> str:
        return PROMETHEUS_HEADER_PREFIX + self.model_dump_json(exclude_none=True)
