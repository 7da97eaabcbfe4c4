"""Suppressions: a site's decision that one rule on some entities is known and accepted, until a
date, for a reason.

A suppression file (YAML)::

    suppressions:
      - rule: node-pid-exhaustion      # a failure-mode id (``kubewhy rules``)
        entity: node/worker-*          # kind/name; * and ? match (a container: pod/container)
        namespace: prod                # optional, for namespaced entities; globs too
        expires: 2027-01-31            # a date (end of that day, UTC) or an RFC 3339 time
        reason: pid_max raised in the next node image (OPS-1234)

Every field but ``entity`` (default: every entity) and ``namespace`` is required: a suppression
without an end or a reason is how a real incident gets hidden a year later. An expired
suppression no longer applies and is reported, so that it is renewed or removed on purpose.
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kubewhy.errors import UsageError
from kubewhy.model.diagnosis import EntityRef, SuppressedBy


class Suppression(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    rule: str = Field(min_length=1)
    entity: str = "*"
    namespace: str | None = None
    expires: dt.datetime
    reason: str = Field(min_length=1)

    @field_validator("expires", mode="before")
    @classmethod
    def _end_of_day(cls, value: object) -> object:
        """A bare date means the whole of that day, in UTC."""
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dt.datetime.combine(value, dt.time(23, 59, 59), tzinfo=dt.UTC)
        return value

    @field_validator("expires")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    @field_validator("entity")
    @classmethod
    def _selector(cls, value: str) -> str:
        kind, _, name = value.partition("/")
        if value != "*" and not (kind and name):
            raise ValueError("use kind/name (globs allowed: node/worker-*), or *")
        return value

    def selects(self, entity: EntityRef) -> bool:
        """Does the selector match? ``node/w-*``, ``pod/api-*`` with ``namespace``, ``*``."""
        if self.namespace is not None and not fnmatchcase(entity.namespace or "", self.namespace):
            return False
        if self.entity == "*":
            return True
        kind, _, name = self.entity.partition("/")
        return fnmatchcase(entity.kind, kind) and fnmatchcase(entity.name, name)

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.expires

    def marker(self) -> SuppressedBy:
        return SuppressedBy(
            rule=self.rule,
            entity=self.entity,
            namespace=self.namespace,
            expires=self.expires.isoformat().replace("+00:00", "Z"),
            reason=self.reason,
        )


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    suppressions: list[Suppression] = []


def parse_suppressions(text: str, origin: str, known_rules: set[str]) -> list[Suppression]:
    """The suppressions of a file; a one-line error naming ``origin`` when it is invalid or names
    a rule the knowledge base does not have (a typo would silently suppress nothing).

    >>> parse_suppressions(
    ...     "suppressions: [{rule: a, entity: node/n1, expires: 2030-01-01, reason: known}]",
    ...     "s.yaml", {"a"})[0].expires.isoformat()
    '2030-01-01T23:59:59+00:00'
    """
    import yaml  # a run given no suppressions file does not pay its import

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{origin}: not valid YAML: {str(exc).splitlines()[0]}") from None
    try:
        parsed = _File.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{origin}: {where}: {first['msg']}") from None
    for index, item in enumerate(parsed.suppressions):
        if item.rule not in known_rules:
            raise UsageError(
                f"{origin}: suppressions.{index}.rule: no failure mode {item.rule!r} "
                "(see `kubewhy rules`)"
            )
    return parsed.suppressions
