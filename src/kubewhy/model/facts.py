"""Facts: typed values about entities, each with the evidence it came from.

Fact names are dotted snake case and scoped by the entity kind that carries them, for example
``sysctl.kernel.pid_max`` on a node or ``container.last_terminated_reason`` on a container.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence

Value = int | float | str | bool


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    entity: Entity
    value: Value
    evidence: Evidence | None = None

    def about(self, entity: Entity) -> Fact:
        """The same fact about ``entity``: made once per fact when node names are unified, where
        ``dataclasses.replace`` costs several times the constructor."""
        return Fact(self.name, entity, self.value, self.evidence)
