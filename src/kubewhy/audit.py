"""Risks before anything breaks: every failure mode's ``risks:`` evaluated on the evidence.

A risk is reported only with evidence for it: a condition that holds only because facts are
absent says nothing about the system, so it is not a risk (it may be missing evidence).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from kubewhy.facts.build import Gathered
from kubewhy.facts.catalog import with_sources
from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.kb.schema import Severity
from kubewhy.model.diagnosis import EvidenceRef, Risk
from kubewhy.model.redact import redact
from kubewhy.reasoning.assemble import entity_ref
from kubewhy.reasoning.match import subjects_where

if TYPE_CHECKING:
    from kubewhy.diagnose import LiveSources

ORDER = {
    Severity.CRITICAL.value: 0,
    Severity.HIGH.value: 1,
    Severity.MEDIUM.value: 2,
    Severity.LOW.value: 3,
}


_PLACEHOLDER = re.compile(r"\{([a-z0-9_.]+)\}")


def fill(message: str, view: dict[str, object]) -> str:
    """Fill ``{fact.name}`` placeholders; unknown names stay visible instead of failing.

    >>> fill("pid_max is {sysctl.kernel.pid_max} ({x})", {"sysctl.kernel.pid_max": 32768})
    'pid_max is 32768 ({x})'
    """
    return _PLACEHOLDER.sub(lambda m: str(view.get(m.group(1), m.group(0))), message)


def evaluate_risks(gathered: Gathered, kb: KnowledgeBase) -> list[Risk]:
    store = gathered.store
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


def audit_sources(
    paths: list[Path], live: LiveSources | None = None, kb: KnowledgeBase | None = None
) -> list[Risk]:
    from kubewhy.diagnose import gather_all

    kb = kb or default_knowledge_base()
    return evaluate_risks(gather_all(paths, live, kb), kb)


def render_audit(risks: list[Risk], fmt: str) -> str:
    if fmt == "json":
        return redact(json.dumps([r.model_dump() for r in risks], indent=2)) + "\n"
    if not risks:
        return "kubewhy audit: no risk found in the evidence.\n"
    md = fmt == "markdown"
    lines = [
        "# kubewhy audit" if md else f"kubewhy audit: {len(risks)} risk(s), most serious first",
        "",
    ]
    for i, r in enumerate(risks, 1):
        where = f"{r.entity.kind}/{r.entity.name}"
        lines.append(
            f"{i}. [{r.severity}] {r.message}" if not md else f"{i}. **{r.severity}** {r.message}"
        )
        lines.append(
            f"   on {where}; leads to: {r.failure_mode} (kubewhy explain {r.failure_mode})"
        )
        for ev in r.evidence[:3]:
            lines.append(
                f"   evidence: {ev.source}{':' + str(ev.line) if ev.line else ''}: {ev.text[:160]}"
            )
        lines.append(f"   fix: {r.fix}")
        lines.append("")
    return redact("\n".join(lines))
