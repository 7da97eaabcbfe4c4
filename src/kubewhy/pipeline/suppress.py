"""Apply a site's suppressions to a diagnosis or an audit, after reasoning.

Suppressing is the last step on purpose: the reasoning still sees every symptom, so a suppressed
root cause keeps explaining its consequences (they stay findings, ``explained_by`` it), and only
what the site accepted leaves the list of findings for ``suppressed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from kubewhy.model.diagnosis import Diagnosis, EntityRef, Risk
from kubewhy.model.suppression import Suppression


def _match(
    suppressions: Sequence[Suppression], rule: str, entity: EntityRef, now: dt.datetime
) -> Suppression | None:
    return next(
        (s for s in suppressions if s.rule == rule and s.selects(entity) and not s.expired(now)),
        None,
    )


def suppress_findings(
    diagnosis: Diagnosis, suppressions: Sequence[Suppression], now: dt.datetime
) -> Diagnosis:
    """The diagnosis with suppressed findings moved to ``suppressed``, the others ranked anew."""
    if not suppressions:
        return diagnosis
    kept, silenced = [], []
    for finding in diagnosis.findings:
        by = _match(suppressions, finding.failure_mode, finding.entity, now)
        if by is None:
            kept.append(finding)
        else:
            silenced.append(finding.model_copy(update={"suppressed": by.marker()}))
    ranked = [f.model_copy(update={"rank": i}) for i, f in enumerate(kept, 1)]
    return diagnosis.model_copy(
        update={"findings": ranked, "suppressed": [*diagnosis.suppressed, *silenced]}
    )


def suppress_risks(
    risks: Sequence[Risk], suppressions: Sequence[Suppression], now: dt.datetime
) -> list[Risk]:
    """Active risks first (in their order), then the suppressed ones, marked."""
    active, silenced = [], []
    for risk in risks:
        by = _match(suppressions, risk.failure_mode, risk.entity, now)
        if by is None:
            active.append(risk)
        else:
            silenced.append(risk.model_copy(update={"suppressed": by.marker()}))
    return active + silenced


def expired(suppressions: Sequence[Suppression], now: dt.datetime) -> list[Suppression]:
    """Suppressions past their date: they no longer apply and should be renewed or removed."""
    return [s for s in suppressions if s.expired(now)]
