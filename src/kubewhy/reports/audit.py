"""The audit's risks as text, Markdown or JSON (redacted, like every report)."""

from __future__ import annotations

import json

from kubewhy.model.diagnosis import Risk
from kubewhy.model.obfuscate import Obfuscator
from kubewhy.model.redact import redact
from kubewhy.reports.safe import prepared


def render_audit(risks: list[Risk], fmt: str, obfuscator: Obfuscator | None = None) -> str:
    if obfuscator is not None:
        obfuscator.add_hosts(r.entity.name for r in risks if r.entity.kind == "node")
    risks = [prepared(r, escape=fmt != "json", obfuscator=obfuscator) for r in risks]
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
