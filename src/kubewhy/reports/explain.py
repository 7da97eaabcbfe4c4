"""Knowledge-base pages: ``kubewhy rules`` (the list) and ``kubewhy explain ID`` (one failure
mode as a runbook page: Meaning, Impact, Diagnosis, Mitigation, Prevention, References)."""

from __future__ import annotations

import json

from kubewhy.kb.load import KnowledgeBase
from kubewhy.kb.schema import FailureMode


def render_rules(kb: KnowledgeBase, fmt: str = "text") -> str:
    modes = sorted(kb.failure_modes.values(), key=lambda fm: fm.id)
    if fmt == "json":
        rows = [
            {
                "id": fm.id,
                "title": fm.title,
                "scope": fm.scope.value,
                "maturity": fm.maturity,
                "symptoms": len(fm.logs) + len(fm.facts) + len(fm.checks) + len(fm.goroutines),
                "risks": len(fm.risks),
                "alerts": len(fm.prevention.alerts),
            }
            for fm in modes
        ]
        return json.dumps(rows, indent=2) + "\n"
    width = max(len(fm.id) for fm in modes) if modes else 10
    lines = [f"{len(modes)} failure modes (kubewhy explain ID for one)", ""]
    lines += [f"{fm.id:<{width}}  {fm.scope.value:<9}  {fm.title}" for fm in modes]
    return "\n".join(lines) + "\n"


def render_explain(kb: KnowledgeBase, fm: FailureMode) -> str:
    """A runbook page in Markdown (readable as plain text too)."""
    out = [
        f"# {fm.title} (`{fm.id}`)",
        "",
        f"Scope: {fm.scope.value}. Maturity: {fm.maturity}.",
        "",
    ]
    out += [
        "## Meaning",
        "",
        fm.summary.strip(),
        "",
        "## How it happens",
        "",
        fm.mechanism.strip(),
        "",
    ]
    effects = [f"- leads to `{link.failure_mode}`: {link.statement.strip()}" for link in fm.causes]
    causes = [f"- can be caused by `{c}`" for c in kb.causes_of(fm.id)]
    if effects or causes:
        out += ["## Impact and causal links", "", *effects, *causes, ""]
    out += ["## Diagnosis", ""]
    for s in fm.logs:
        tag = " (supporting)" if s.supporting else ""
        out += [
            f"- log `{s.id}` (weight {s.weight}){tag}: {s.description}",
            f"  - pattern: `{s.pattern}`",
            f"  - example: `{s.examples[0]}`",
        ]
    for f in fm.facts:
        tag = " (supporting)" if f.supporting else ""
        out.append(f"- fact `{f.id}` (weight {f.weight}){tag}: {f.description} — `{f.when}`")
    for c in fm.checks:
        out.append(f"- check `{c.id}` (weight {c.weight}): {c.description} — `{c.check}`")
    for g in fm.goroutines:
        state = f" in state `{g.state}`" if g.state else ""
        out.append(f"- goroutines `{g.id}`: >= {g.min_count} in `{g.function}`{state}")
    for m in fm.metrics:
        out.append(f"- metric `{m.id}`: `{m.query}` -> `{m.fact}`")
    if fm.confirm:
        out += ["", "To confirm or rule out:"]
        out += [f"- {c.ask}" for c in fm.confirm]
    if fm.culprit:
        out += ["", f"Culprit finder: `{fm.culprit}`."]
    out += ["", "## Mitigation", ""]
    out += [f"- `{step}`" for step in fm.remediation]
    out += ["", "## Prevention", ""]
    out += [f"- {s}" for s in fm.prevention.settings]
    for a in fm.prevention.alerts:
        out.append(f"- alert `{a.alert}` ({a.severity}, for {a.for_}): `{a.expr}` — {a.summary}")
    if fm.risks:
        out += ["", "## Risk checks (kubewhy audit)", ""]
        out += [f"- `{r.id}` ({r.severity.value}): `{r.when}` — fix: {r.fix}" for r in fm.risks]
    if fm.known_bugs:
        out += ["", "## Known bugs", ""]
        for b in fm.known_bugs:
            rng = f"from {b.affected_from} " if b.affected_from else ""
            fixed = f"fixed in {b.fixed_in}" if b.fixed_in else "no fix released"
            out.append(f"- {b.component} {rng}({fixed}): {b.reference} {b.note}".rstrip())
    out += ["", "## References", ""]
    out += [f"- {r.url} — {r.note}" for r in fm.references]
    return "\n".join(out) + "\n"
