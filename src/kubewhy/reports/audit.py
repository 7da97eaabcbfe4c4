"""The audit's risks as text, Markdown, HTML, JSON or YAML (redacted, like every report)."""

from __future__ import annotations

import json

from kubewhy.model.diagnosis import Risk
from kubewhy.model.obfuscate import Obfuscator
from kubewhy.model.redact import redact
from kubewhy.reports.safe import prepared


def render_audit(risks: list[Risk], fmt: str, obfuscator: Obfuscator | None = None) -> str:
    """Every risk in JSON and YAML (suppressed ones marked ``suppressed``); the active ones in
    text, Markdown and HTML, with a count of the suppressed. Each risk is prepared once, like
    every report's model: redacted, escaped for a terminal or a page, obfuscated on request."""
    if obfuscator is not None:
        obfuscator.add_hosts(r.entity.name for r in risks if r.entity.kind == "node")
    escape = fmt not in ("json", "yaml")
    risks = [prepared(r, escape=escape, obfuscator=obfuscator) for r in risks]
    if fmt == "json":
        return redact(json.dumps([r.model_dump() for r in risks], indent=2)) + "\n"
    if fmt == "yaml":
        from kubewhy.reports.structured import render_yaml

        return render_yaml([r.model_dump(mode="json") for r in risks])
    if fmt == "html":
        from kubewhy.reports.structured import render_html

        return render_html(_audit_lines(risks, md=True), "kubewhy audit")
    return _audit_lines(risks, md=fmt == "markdown")


def _audit_lines(risks: list[Risk], md: bool) -> str:
    silenced = sum(1 for r in risks if r.suppressed is not None)
    risks = [r for r in risks if r.suppressed is None]
    note = f"{silenced} suppressed risk(s) not shown (see --format json).\n" if silenced else ""
    if not risks:
        return "kubewhy audit: no risk found in the evidence.\n" + note
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
    return redact("\n".join(lines)) + note
