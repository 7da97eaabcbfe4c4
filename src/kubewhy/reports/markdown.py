"""A postmortem draft in Markdown, in the shape of the incidents kubewhy learned from:
impact, timeline, root cause, why-chain, evidence, follow-up TODOs."""

from __future__ import annotations

from kubewhy.model.diagnosis import Diagnosis, Finding
from kubewhy.model.redact import redact


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _root_section(f: Finding) -> list[str]:
    lines = [f"## Root cause: {f.title}", ""]
    lines.append(
        f"`{f.failure_mode}` on `{f.entity.kind}/{f.entity.name}`, confidence {f.confidence:.2f}."
    )
    if f.culprit:
        c = f.culprit
        pid = f" (pid {c.pid})" if c.pid is not None else ""
        lines.append(f"Culprit: `{c.kind}/{c.name}`{pid}. {c.why}".rstrip())
    for note in f.version_notes:
        lines.append(f"Version: {note}.")
    lines += ["", "### Why-chain", ""]
    for i, link in enumerate(f.chain, 1):
        refs = ", ".join(f"E{e}" for e in link.evidence)
        lines.append(
            f"{i}. **{link.failure_mode}**: {link.statement}" + (f" ({refs})" if refs else "")
        )
    lines += ["", "### Evidence", ""]
    for ev in f.evidence:
        where = ev.source + (f":{ev.line}" if ev.line else "")
        when = f" at {ev.time}" if ev.time else ""
        count = f" (x{ev.count})" if ev.count > 1 else ""
        lines.append(f"- E{ev.id} `{_cell(where)}`{when}{count}")
        lines.append(f"  ```\n  {ev.text}\n  ```")
    lines += ["", "### Fix now", ""]
    lines += [f"- `{step}`" for step in f.remediation]
    lines += ["", "### References", ""]
    lines += [f"- {ref}" for ref in f.references]
    return lines


def render_markdown(d: Diagnosis) -> str:
    roots = [f for f in d.findings if f.explained_by is None]
    victims = [f for f in d.findings if f.explained_by is not None]
    lines = ["# Incident report (draft by kubewhy)", ""]
    lines += ["## Impact", ""]
    if not d.findings:
        lines.append("No known failure mode matches the evidence.")
    for f in d.findings:
        role = "root cause" if f.explained_by is None else f"consequence of {f.explained_by}"
        lines.append(f"- {f.title} on `{f.entity.kind}/{f.entity.name}` ({role})")
    lines += ["", "## Timeline (UTC)", ""]
    if d.timeline:
        lines += ["| time | source | event |", "|---|---|---|"]
        lines += [f"| {t.time} | {_cell(t.source)} | {_cell(t.text[:200])} |" for t in d.timeline]
    else:
        lines.append("No timestamped evidence.")
    lines.append("")
    for f in roots[:3]:
        lines += _root_section(f)
        lines.append("")
    if victims:
        lines += ["## Consequences", ""]
        lines += [
            f"- {f.title} (`{f.failure_mode}`), explained by `{f.explained_by}`" for f in victims
        ]
        lines.append("")
    lines += ["## Follow-up TODOs", ""]
    todos = dict.fromkeys(item for f in roots for item in f.prevention)
    lines += [f"- [ ] {item}" for item in todos] or ["- [ ] (none)"]
    if d.missing_evidence:
        lines += ["", "## Evidence still to collect", ""]
        lines += [f"- {item}" for item in d.missing_evidence]
    if d.near_misses:
        lines += ["", "## Closest hypotheses, too weak to report", ""]
        for near in d.near_misses:
            seen = "; ".join(near.seen[:2]) or "weak signs"
            settle = f" To settle: `{near.confirm[0]}`" if near.confirm else ""
            lines.append(f"- `{near.failure_mode}` ({near.confidence:.2f}): seen {seen}.{settle}")
    lines += ["", "## Inputs", ""]
    unread = {u.path: u.reason for u in d.unread}
    lines += [
        f"- `{i.path}` ({i.format})"
        + (f": not understood, {unread[i.path]}" if i.path in unread else "")
        for i in d.inputs
    ]
    return redact("\n".join(lines) + "\n")
