"""The diagnosis: what every report renders, and the stable JSON contract.

::

    {"kubewhy_version": str,
     "inputs": [{"path": str, "format": str}],
     "findings": [{"rank": int, "failure_mode": str, "title": str, "confidence": float,
                   "entity": {"kind", "name", "namespace"},
                   "culprit": {"kind", "name", "namespace", "pid"} | null,
                   "chain": [{"failure_mode", "statement", "evidence": [int]}],
                   "evidence": [{"id", "source", "line", "time", "text"}],
                   "remediation": [str], "prevention": [str], "references": [str]}],
     "timeline": [{"time", "source", "text"}],
     "missing_evidence": [str]}

Findings and risks that a site suppressed (``kubewhy.model.suppression``) are not in ``findings``:
they are listed in ``suppressed``, each with ``"suppressed": {"rule", "entity", "namespace",
"expires", "reason"}``; in the audit's list of risks a suppressed risk carries the same field.

Fields beyond the contract (``explained_by``, ``why_ranked``, ``risks``, ``gaps``...) are additions
that consumers may ignore; the contract's fields never change meaning. ``schema_version`` says
which additions a report has; ``kubewhy schema`` prints the JSON Schema of this model. Version
2 added ``schema_version``, each evidence line's ``span`` (what its pattern matched), the
culprit's ``evidence`` (ids), each timeline entry's ``findings`` (failure-mode ids) and the
``evidence_zone``.

Each finding also says its ``tier`` (confirmed, probable, lead), its ``state`` (active, or past
with its ``age`` on a live read) and when it was ``first_seen`` and ``last_seen`` (ISO 8601, when
the evidence has times).
``near_misses`` lists hypotheses too weak even for a lead, with what was seen and what would
settle them; ``unread`` the inputs read but not understood (``{"path", "format", "reason"}``).
``gaps`` lists what could not be read: ``[{"origin", "reason", "detail"}]`` with ``reason`` one
of :data:`kubewhy.model.bundle.GapReason` (permission, unauthenticated, timeout, refused, tls,
rate-limited, server-error, absent, too-large, cap, unreadable, encoding, error, cannot-fork,
interrupted).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kubewhy.model.bundle import Gap


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputRef(_Model):
    path: str
    format: str


class EntityRef(_Model):
    kind: str
    name: str
    namespace: str | None = None


class CulpritRef(_Model):
    kind: str
    name: str
    namespace: str | None = None
    pid: int | None = None
    why: str = ""
    # The evidence (ids in the finding's evidence) that names the culprit: what to show uncut.
    evidence: list[int] = []


class ChainLink(_Model):
    failure_mode: str
    statement: str
    evidence: list[int] = []


class EvidenceRef(_Model):
    id: int
    source: str
    line: int | None = None
    time: str | None = None
    text: str
    count: int = 1  # how many lines this sample stands for (floods are sampled)
    # [start, end) of the part of text that the symptom's pattern matched, when one did: what
    # a narrow report keeps in view when it cannot show the whole line.
    span: list[int] | None = None


Tier = Literal["confirmed", "probable", "lead"]
State = Literal["active", "past"]


class SuppressedBy(_Model):
    """The suppression that silenced a finding or a risk (see ``kubewhy.model.suppression``)."""

    rule: str
    entity: str
    namespace: str | None = None
    expires: str
    reason: str


class Finding(_Model):
    rank: int
    failure_mode: str
    title: str
    confidence: float = Field(ge=0, le=1)
    # confirmed (>= 0.8), probable (>= the failure mode's threshold) or lead: a weaker sign,
    # shown with the evidence that would confirm or rule it out, never counted as a finding.
    tier: Tier = "probable"
    # past: on a live read, all of its evidence is old log lines (age says how old).
    state: State = "active"
    age: str = ""
    first_seen: str | None = None
    last_seen: str | None = None
    entity: EntityRef
    culprit: CulpritRef | None = None
    chain: list[ChainLink] = []
    evidence: list[EvidenceRef] = []
    remediation: list[str] = []
    prevention: list[str] = []
    references: list[str] = []
    explained_by: str | None = None
    why_ranked: str = ""
    version_notes: list[str] = []
    suppressed: SuppressedBy | None = None


class TimelineEntry(_Model):
    time: str
    source: str
    text: str
    # The failure modes (ids) of the findings this line is evidence for.
    findings: list[str] = []


class Risk(_Model):
    failure_mode: str
    risk: str
    severity: str
    entity: EntityRef
    message: str
    fix: str
    evidence: list[EvidenceRef] = []
    suppressed: SuppressedBy | None = None


def counts(finding: Finding) -> bool:
    """A finding that says something is wrong now: not a lead, not past (the exit code and the
    agent's metrics count these)."""
    return finding.tier != "lead" and finding.state == "active"


class NearMiss(_Model):
    """A hypothesis too weak to report even as a lead: what was seen, and what would settle it."""

    failure_mode: str
    title: str
    confidence: float
    entity: EntityRef
    seen: list[str] = []
    confirm: list[str] = []


class Unread(_Model):
    """An input that was read but not understood: no format of it is known and none of its
    lines matched anything (or it was empty)."""

    path: str
    format: str
    reason: str


# The version of this contract, in every report: 1 is the original contract, 2 adds fields
# only (schema_version, span, the culprit's evidence, the timeline's findings).
SCHEMA_VERSION = 2


class Diagnosis(_Model):
    schema_version: int = SCHEMA_VERSION
    kubewhy_version: str
    inputs: list[InputRef] = []
    findings: list[Finding] = []
    timeline: list[TimelineEntry] = []
    missing_evidence: list[str] = []
    gaps: list[Gap] = []
    risks: list[Risk] = []
    parse_errors: dict[str, int] = {}
    near_misses: list[NearMiss] = []
    unread: list[Unread] = []
    # Matching log lines left out because their time is outside --since/--until.
    lines_outside_window: int = 0
    suppressed: list[Finding] = []
    # The UTC offset the evidence's local stamps were written in (given, or inferred from the
    # stamps that carry one), as +08:00: the zone a postmortem's timeline is also told in.
    evidence_zone: str = "+00:00"
