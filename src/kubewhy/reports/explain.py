"""Knowledge-base pages: ``kubewhy rules`` (the list) and ``kubewhy explain ID`` (one failure
mode as a runbook page: Meaning, Impact, Diagnosis, Mitigation, Prevention, References)."""

from __future__ import annotations

import json
import re

from kubewhy.kb.load import KnowledgeBase
from kubewhy.kb.schema import FailureMode, Link
from kubewhy.model.steps import alert_advice


def _with_thresholds(expr: str, thresholds: dict[str, float]) -> str:
    def one(match: re.Match[str]) -> str:
        value = thresholds.get(match.group(1))
        if value is None:
            return match.group(0)
        return str(int(value)) if float(value).is_integer() else repr(float(value))

    return re.sub(r"\{([a-z_][a-z0-9_]*)\}", one, expr)


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
    effects = [
        f"- leads to `{link.failure_mode}`{_condition(link)}: {link.statement.strip()}"
        for link in fm.causes
    ]
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
        # The thresholds' defaults in the expression, as `kubewhy alerts` writes it.
        expr = _with_thresholds(a.expr, a.thresholds)
        advice = alert_advice(a.alert, a.summary, {}).split(": ", 1)[1]
        out.append(f"- alert `{a.alert}` ({a.severity}, for {a.for_}): `{expr}`, {advice}")
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


def _condition(link: Link) -> str:
    """When a link holds: `` (in kubelet)``, `` (of the same component)``, or nothing."""
    parts = []
    if link.from_components:
        parts.append("in " + ", ".join(link.from_components))
    if link.same_component:
        parts.append("of the same component")
    return f" ({', '.join(parts)})" if parts else ""


def render_graph(kb: KnowledgeBase) -> str:
    """The causal graph as a Markdown page with a Mermaid flowchart: an arrow for every
    ``causes`` link (a cause ranks above its effects), a dotted arrow for ``subsumes`` (the
    special failure mode stands in for the general one when both are found) and a labelled
    dotted one for ``claims``."""
    modes = sorted(kb.failure_modes.values(), key=lambda fm: fm.id)
    out = [
        "# Causal graph of the knowledge base",
        "",
        "Generated by `kubewhy rules --graph` from the failure modes' `causes`, `subsumes` and",
        "`claims`;",
        "do not edit by hand. `A --> B`: A can cause B, so when both are found A is the root",
        "and B its victim. `A -- triggers --> B`: A sets off B's latent defect, which stays the",
        "root cause. `A -.-> B`: A is a special case of B and replaces it. `A -. claims .-> B`:",
        "some of B's signs are A's too, and A found on its own evidence takes over a B that",
        "rests on nothing else. A label on an arrow says where the link holds: in which",
        "component A is found, or only where B is about A's own component.",
        "",
        "```mermaid",
        "flowchart LR",
    ]
    for fm in modes:
        for link in sorted(fm.causes, key=lambda link: link.failure_mode):
            label = " ".join(
                [*(["triggers"] if link.kind == "triggers" else []), _condition(link).strip(" ()")]
            ).strip()
            arrow = f"-- {label} -->" if label else "-->"
            out.append(f"  {fm.id} {arrow} {link.failure_mode}")
        for general in sorted(fm.subsumes):
            out.append(f"  {fm.id} -.-> {general}")
        for claim in sorted(fm.claims, key=lambda c: c.failure_mode):
            out.append(f"  {fm.id} -. claims .-> {claim.failure_mode}")
    alone = [
        fm.id
        for fm in modes
        if not fm.causes and not fm.subsumes and not fm.claims and not kb.causes_of(fm.id)
    ]
    out += [f"  {fm_id}" for fm_id in alone]
    out += ["```", ""]
    return "\n".join(out)
