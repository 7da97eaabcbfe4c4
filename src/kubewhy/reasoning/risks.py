"""Risks before anything breaks: every failure mode's ``risks:`` evaluated on the evidence.

A risk is reported only with evidence for it: a condition that holds only because facts are
absent says nothing about the system, so it is not a risk (it may be missing evidence).
"""

from __future__ import annotations

import re

from kubewhy.facts.catalog import with_sources
from kubewhy.facts.store import FactStore
from kubewhy.kb.load import KnowledgeBase
from kubewhy.kb.schema import Severity
from kubewhy.model.diagnosis import EvidenceRef, Risk
from kubewhy.reasoning.assemble import entity_ref
from kubewhy.reasoning.match import subjects_where

ORDER = {
    Severity.CRITICAL.value: 0,
    Severity.HIGH.value: 1,
    Severity.MEDIUM.value: 2,
    Severity.LOW.value: 3,
}


_PLACEHOLDER = re.compile(r"\{([a-z0-9_.]+)\}")


def fill(message: str, view: dict[str, object]) -> str:
    """Fill ``{fact.name}`` placeholders as a reader reads them (a ratio as a percentage);
    unknown names stay visible instead of failing.

    >>> fill("pid_max is {sysctl.kernel.pid_max} ({x})", {"sysctl.kernel.pid_max": 32768})
    'pid_max is 32768 ({x})'
    >>> fill("{node.pids.used_ratio} in use", {"node.pids.used_ratio": 0.937154})
    '94% in use'
    """

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in view:
            return match.group(0)
        return readable(name, view[name])

    return _PLACEHOLDER.sub(one, message)


def readable(name: str, value: object) -> str:
    """A fact's value in words: ratios in percent, long fractions rounded.

    >>> readable("etcd.db_quota_ratio", 0.5), readable("node.cpu.iowait_percent", 12.3456)
    ('50%', '12.3')
    """
    if isinstance(value, float) and not isinstance(value, bool):
        if name.endswith("_ratio"):
            return f"{value:.0%}"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def evaluate_risks(store: FactStore, kb: KnowledgeBase) -> list[Risk]:
    found: list[Risk] = []
    for fm in kb.failure_modes.values():
        for risk in fm.risks:
            cond = kb.condition(risk.when)
            # Only subjects whose view can satisfy the condition, as the diagnosis does.
            for subject in store.in_order(subjects_where(cond, fm.scope, store)):
                evidence = store.evidence(subject, with_sources(sorted(cond.names)))
                if not evidence:
                    continue
                refs = [
                    EvidenceRef(id=i, source=e.source, line=e.line, time=None, text=e.text)
                    for i, e in enumerate(evidence, 1)
                ]
                found.append(
                    Risk(
                        failure_mode=fm.id,
                        risk=risk.id,
                        severity=risk.severity.value,
                        entity=entity_ref(subject),
                        message=fill(risk.message, dict(store.view(subject))),
                        fix=risk.fix,
                        evidence=refs,
                    )
                )
    found.sort(key=lambda r: (ORDER[r.severity], r.failure_mode, r.entity.name))
    return found
