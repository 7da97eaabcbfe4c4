"""The schema of a failure-mode file (``kb/failure_modes/<id>.yaml``).

Every file is validated on load with ``extra="forbid"``, so a typo in a key is an error, not a
silently ignored field. The fields mirror what an on-call engineer needs: how the failure looks
(symptoms), how to see it coming (risks), what it leads to (causes), who is to blame (culprit),
how to fix it (remediation) and how to never see it again (prevention), with references.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kubewhy.model.times import seconds_of

SCHEMA_VERSION = 1
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Constructs that a DFA engine (Hyperscan, RE2) cannot run: rejected so every engine agrees.
UNSUPPORTED_REGEX = re.compile(r"\(\?[=!]|\(\?<[=!]|\\[1-9]|\(\?>|[*+?}]\+")
# A ``{name}`` placeholder in a symptom's ``blames``.
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Strict(BaseModel):
    # Validators are built when a file is first validated: a run whose failure modes come
    # from the cache of validated ones never builds them.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Scope(StrEnum):
    """The entity a finding of this failure mode is about."""

    CLUSTER = "cluster"
    NODE = "node"
    POD = "pod"
    CONTAINER = "container"
    COMPONENT = "component"
    CGROUP = "cgroup"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Measure(Strict):
    """A number the line carries, and the range in which the line is a symptom: ``value`` is a
    named group of the pattern, or a difference ``a - b [- c ...]``; each holds a number or a Go
    duration (in seconds). A line whose measure is missing or out of range does not count; a
    subtracted group the line does not have (an optional part of the pattern) counts as zero.

    >>> m = Measure(value="total - cordoned - control_plane", at_most=0)
    >>> m.counts({"total": "4", "cordoned": "3", "control_plane": "1"})
    True
    >>> m.counts({"total": "4", "cordoned": "3"})
    False
    """

    value: str
    at_least: float | None = None
    at_most: float | None = None

    @property
    def groups(self) -> list[str]:
        return [part.strip() for part in self.value.split(" - ")]

    def of(self, groups: dict[str, str]) -> float | None:
        first_name, *rest_names = self.groups
        first = seconds_of(groups.get(first_name) or "")
        rest = [seconds_of(groups[name]) if groups.get(name) else 0.0 for name in rest_names]
        if first is None or any(n is None for n in rest):
            return None
        return first - sum(n for n in rest if n is not None)

    def counts(self, groups: dict[str, str]) -> bool:
        value = self.of(groups)
        if value is None:
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        return self.at_most is None or value <= self.at_most


class LogSymptom(Strict):
    """A line pattern. Named groups (``(?P<pod>...)``, ``(?P<node>...)``, ``(?P<pid>...)``,
    ``(?P<container>...)``, ``(?P<namespace>...)``) name the entity the line is about."""

    id: str
    description: str
    pattern: str
    ignore_case: bool = False
    weight: Annotated[float, Field(gt=0, le=1)]
    # Supporting symptoms add confidence but never raise a finding alone.
    supporting: bool = False
    # A sign that what the other symptoms show was planned or benign (a graceful leadership
    # transfer before a restart): it lowers the confidence by its weight's share instead.
    refutes: bool = False
    # The sign is the very failure this mode causes, seen where this mode is its usual cause
    # (CoreDNS pods crash-looping, for the forwarding loop): it makes a lead, and a finding of
    # that effect does not raise it to a cause, since it restates the effect.
    restates_effect: bool = False
    # Only lines from these components count (matched against the source's component).
    components: list[str] = []
    # A symptom that counts only when repeated (one slow fsync is noise, a hundred are not).
    min_count: Annotated[int, Field(ge=1)] = 1
    # A symptom that counts only when it lasts: its lines span at least this many seconds (a
    # message every kubelet prints for a second at start, still printed a minute later).
    min_seconds: Annotated[float, Field(gt=0)] | None = None
    # A named group whose values are counted apart (one hit per image, per device ...).
    split_by: str | None = None
    # A number the line carries and the range that makes it a symptom (a pull of 143 s).
    measure: Measure | None = None
    # Who the line puts the fault on, when it says: a name (the program whose own wording this
    # is, from its source), ``{group}`` from the pattern's named groups (the killed process, the
    # plugin), ``{component}``, the component that logged the line, or ``{named_pod}``, the pod
    # the line names (parsers.object_refs: a refused, evicted or crashing workload), or
    # ``{port_owner}``, the component of the well-known port in a ``port`` group. The
    # finding's culprit when no culprit finder names one. Alternatives " | " are tried in order:
    # "{sa} | {component}" names the logging component where the group took no part.
    blames: str | None = None
    examples: Annotated[list[str], Field(min_length=1)]
    counter_examples: list[str] = []

    @field_validator("pattern")
    @classmethod
    def _engine_portable(cls, pattern: str) -> str:
        bad = UNSUPPORTED_REGEX.search(pattern)
        if bad:
            raise ValueError(
                f"construct {bad.group(0)!r} is not supported by the scanning engines "
                "(no lookarounds, backreferences, atomic groups, possessive quantifiers)"
            )
        if pattern.startswith("^") or pattern.endswith("$"):
            raise ValueError("patterns match anywhere in a line: drop ^ and $ anchors")
        re.compile(pattern)
        return pattern

    def blamed(self, groups: dict[str, str], component: str | None) -> str | None:
        """The name this line blames: the first of ``blames``' alternatives (``a | b``) whose
        placeholders all have a value in it; None when none has.

        >>> s = LogSymptom(id="x", description="d", pattern="user (?P<sa>[a-z]+)?", weight=0.5,
        ...                blames="{sa} | {component}", examples=["user a"])
        >>> s.blamed({"sa": "coredns"}, "k"), s.blamed({}, "kubelet"), s.blamed({}, None)
        ('coredns', 'kubelet', None)
        """
        if not self.blames:
            return None
        values = {**groups, "component": component or ""}
        for choice in self.blames.split(" | "):
            names = _PLACEHOLDER.findall(choice)
            if all(values.get(name) for name in names):
                return _PLACEHOLDER.sub(lambda m: values[m.group(1)], choice)
        return None

    @model_validator(mode="after")
    def _blames_known_groups(self) -> LogSymptom:
        named = set(re.compile(self.pattern).groupindex)
        if self.measure and not set(self.measure.groups) <= named:
            raise ValueError(
                f"measure uses {self.measure.value!r}, not named groups of the pattern"
            )
        if self.blames:
            named = set(re.compile(self.pattern).groupindex)
            groups = (
                named | {"component", "named_pod"} | ({"port_owner"} if "port" in named else set())
            )
            unknown = sorted(set(_PLACEHOLDER.findall(self.blames)) - groups)
            if unknown:
                raise ValueError(f"blames uses {unknown}, not named groups of the pattern")
        return self


class FactSymptom(Strict):
    """A condition over facts of the subject entity (see ``kb.conditions``)."""

    id: str
    description: str
    when: str
    weight: Annotated[float, Field(gt=0, le=1)]
    supporting: bool = False
    # A sign that what the other symptoms show is not this failure mode (the kernel's report
    # names a cgroup outside any container as the one out of memory): true of a finding's
    # subject, it lowers the confidence by its weight's share. It raises no finding itself.
    refutes: bool = False


class CheckSymptom(Strict):
    """A named Python check from ``kb.checks`` where data alone cannot say it."""

    id: str
    description: str
    check: str
    weight: Annotated[float, Field(gt=0, le=1)]
    supporting: bool = False
    # What rules the failure mode out (the evidence of a recovery): lowers the confidence by its
    # weight's share, as a refuting log symptom does.
    refutes: bool = False


class Risk(Strict):
    """A condition visible before an incident, reported by ``kubewhy audit``."""

    id: str
    when: str
    severity: Severity
    message: str  # may use {fact.name} placeholders filled from the subject's facts
    fix: str


class Link(Strict):
    """This failure mode leads to another one.

    ``causes``: the other one is a consequence (a victim, ranked below this one).
    ``triggers``: this one sets off a latent defect in the other (a known bug); the defect stays
    the root cause, since fixing it makes the trigger harmless, and this one is shown as its
    trigger.
    """

    failure_mode: str
    statement: str
    kind: Literal["causes", "triggers"] = "causes"
    # The link holds only where this failure mode is found in one of these components (a lock
    # convoy stalls PLEG only inside the kubelet).
    from_components: list[str] = []
    # The link holds only where the other failure mode is about this one's own component (a
    # leaking program is the one OOM-killed, not any container of the node).
    same_component: bool = False
    # The link holds only where the other failure mode is about this one's own workload: its pod,
    # or a container or pod named after the program it is about (an OOM-killed container is the
    # one that crash-loops, not any pod of the cluster).
    same_workload: bool = False

    @property
    def conditional(self) -> bool:
        return bool(self.from_components) or self.same_component


class ClaimedSymptoms(Strict):
    """Symptoms of ``failure_mode`` that ``FailureMode.claims`` takes over."""

    failure_mode: str
    symptoms: Annotated[list[str], Field(min_length=1)]
    # Lines written by one of these (the node's own daemons) say the limit hit is not this one's.
    unless_written_by: list[str] = []
    # When nothing of this failure mode was seen but the shared symptoms, the share of their
    # weight that goes to it, the rest staying with the other (0: they stay the other's). Set
    # from the corpus's dev half: how often such evidence alone was this fault.
    alone_share: Annotated[float, Field(ge=0, lt=1)] = 0.0
    # The programs that wrote the taken lines are this failure mode's culprit where nothing
    # names another (a program refused a thread by a full pids cgroup is in that cgroup).
    blames_writers: bool = False


class NamedCulprit(Strict):
    """The component a failure mode is about by its nature (the kubelet's own certificate), named
    when the evidence names no other."""

    component: str
    why: str


class Confirm(Strict):
    """Evidence that would confirm or rule out this failure mode, and how to get it."""

    fact: str | None = None
    symptom: str | None = None
    ask: str


class AlertRule(Strict):
    alert: Annotated[str, Field(pattern=r"^Kubewhy[A-Z][A-Za-z0-9]+$")]
    expr: str
    for_: Annotated[str, Field(alias="for")] = "5m"
    severity: Literal["critical", "warning", "info"]
    summary: str
    description: str
    # Named thresholds used as {name} in expr, overridable by `kubewhy alerts --set`.
    thresholds: dict[str, float] = {}


class MetricEvidence(Strict):
    """A PromQL query whose result becomes facts about the entities in its labels."""

    id: str
    query: str
    fact: str
    entity: Literal["node", "pod", "container", "component", "cluster"]
    kind: Literal["instant", "range"] = "instant"
    # When the metric is absent, say why (e.g. a collector that is off).
    absent_means: str | None = None


class Prevention(Strict):
    settings: list[str] = []
    alerts: list[AlertRule] = []


class KnownBug(Strict):
    component: Literal[
        "kernel",
        "kubelet",
        "kube-apiserver",
        "containerd",
        "runc",
        "systemd",
        "docker",
        "etcd",
        "coredns",
        "os",
    ]
    # Version bounds; a missing bound is open. Versions compare numerically by dotted parts.
    affected_from: str | None = None
    fixed_in: str | None = None
    # Matched against the raw version/OS string when numbers are not enough (e.g. Ubuntu 16.04).
    match: str | None = None
    reference: str
    note: str = ""


class Reference(Strict):
    url: str
    note: str


class GoroutineSignature(Strict):
    """A stack shape in a Go goroutine dump that identifies this failure mode."""

    id: str
    function: str  # regex on any frame's function
    state: str | None = None  # regex on the goroutine state, e.g. "chan send"
    min_count: int = 1
    min_wait_minutes: int | None = None
    weight: Annotated[float, Field(gt=0, le=1)] = 0.9


class FailureMode(Strict):
    schema_version: Literal[1] = 1
    id: str
    title: str
    maturity: Literal["stable", "incubating"] = "stable"
    scope: Scope
    # For scope component: the component the failure mode is about, whoever reports it (etcd's
    # leader churn seen in kube-apiserver's log is still etcd's).
    component: str | None = None
    summary: str
    mechanism: str  # how the fault works, in a few sentences: the "why" of the chain
    logs: list[LogSymptom] = []
    facts: list[FactSymptom] = []
    checks: list[CheckSymptom] = []
    goroutines: list[GoroutineSignature] = []
    metrics: list[MetricEvidence] = []
    risks: list[Risk] = []
    causes: list[Link] = []
    # More general failure modes that this one is a specific case of: when both are found on
    # the same place from the same evidence (a source in common), only this one is reported
    # (it carries the same lines and more).
    subsumes: list[str] = []
    # Symptoms of another failure mode that are this one's too, when this one is found on its own
    # evidence at the same place: the other's finding resting on nothing but them is this fault,
    # seen from inside (a fork refused with EAGAIN is a pids cgroup at its limit as much as a
    # full pid_max; a cgroup shown at its limit says which).
    claims: list[ClaimedSymptoms] = []
    culprit: str | None = None  # name of a culprit finder in reasoning.culprit
    culprit_by_nature: NamedCulprit | None = None
    confirm: list[Confirm] = []
    remediation: Annotated[list[str], Field(min_length=1)]
    prevention: Prevention
    known_bugs: list[KnownBug] = []
    references: Annotated[list[Reference], Field(min_length=1)]
    # Minimum confidence at which a finding is reported.
    threshold: Annotated[float, Field(gt=0, le=1)] = 0.35

    @field_validator("id")
    @classmethod
    def _kebab(cls, value: str) -> str:
        if not ID_RE.match(value):
            raise ValueError("id must be kebab-case")
        return value

    @model_validator(mode="after")
    def _unique_symptom_ids(self) -> FailureMode:
        ids = [s.id for s in self.logs] + [s.id for s in self.facts] + [s.id for s in self.checks]
        ids += [g.id for g in self.goroutines]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate symptom ids: {sorted(dupes)}")
        symptoms: list[LogSymptom | FactSymptom | CheckSymptom] = [
            *self.logs,
            *self.facts,
            *self.checks,
        ]
        primary = [s for s in symptoms if not s.supporting and not getattr(s, "refutes", False)]
        if not primary and not self.goroutines:
            raise ValueError("a failure mode needs at least one non-supporting symptom")
        return self

    def refuting(self, symptom_id: str) -> bool:
        signs: list[LogSymptom | FactSymptom | CheckSymptom] = [
            *self.logs,
            *self.facts,
            *self.checks,
        ]
        return any(s.id == symptom_id and s.refutes for s in signs)

    def symptom_weight(self, symptom_id: str) -> tuple[float, bool]:
        symptoms: list[LogSymptom | FactSymptom | CheckSymptom] = [
            *self.logs,
            *self.facts,
            *self.checks,
        ]
        for s in symptoms:
            if s.id == symptom_id:
                return s.weight, s.supporting
        for g in self.goroutines:
            if g.id == symptom_id:
                return g.weight, False
        raise KeyError(symptom_id)
