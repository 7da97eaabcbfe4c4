"""A postmortem draft in Markdown, in the shape of the incidents kubewhy learned from: summary,
impact, timeline, detection, root cause and trigger, why-analysis, resolution, follow-up actions
and references.

Rendered from a Jinja2 template in which every value is escaped for Markdown unless it is
already formed Markdown (a code span, a fenced block), so a log line's ``<defunct>`` or ``|``
reaches the reader as text, never as markup.

>>> md("25873 <defunct> children | *not* a list")
'25873 \\\\<defunct\\\\> children \\\\| \\\\*not\\\\* a list'
>>> code("a ` b")
'`` a ` b ``'
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from jinja2 import Environment, StrictUndefined

from kubewhy.model.diagnosis import ChainLink, Diagnosis, EvidenceRef, Finding
from kubewhy.model.redact import redact
from kubewhy.model.steps import looks_like_command
from kubewhy.reports.view import (
    consequences,
    entity_name,
    grouped,
    timeline_rows,
    triggers,
    verdict,
)

MAX_ROOTS = 3
MAX_TIMELINE = 60


class Md(str):
    """Text that is Markdown already: the template leaves it as it is."""

    __slots__ = ()


# CommonMark lets any ASCII punctuation be escaped; these are the ones that can start markup
# inside a line (emphasis, code, links, HTML, tables, strike-through, entities, images).
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!&])")


def md(text: object) -> Md:
    """Plain text as Markdown that renders to the same text."""
    if isinstance(text, Md):
        return text
    return Md(_SPECIAL.sub(r"\\\1", " ".join(str(text).split("\n"))))


def code(text: object) -> Md:
    """An inline code span holding ``text`` exactly, whatever backticks it has."""
    body = " ".join(str(text).split("\n"))
    runs = [len(r) for r in re.findall(r"`+", body)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or runs else ""
    return Md(f"{fence}{pad}{body}{pad}{fence}")


def fence(text: object, indent: str = "") -> Md:
    """A fenced code block (its lines indented to sit inside a list item)."""
    body = str(text)
    runs = [len(r) for r in re.findall(r"`{3,}", body)]
    marks = "`" * max(3, max(runs, default=0) + 1)
    lines = [marks, *body.split("\n"), marks]
    return Md("\n".join(indent + line if i else line for i, line in enumerate(lines)))


def step(text: str) -> Md:
    """A next step: a command as code, advice as text."""
    return code(text) if looks_like_command(text) else md(text)


def joined(items: list[Any], sep: str = ", ") -> Md:
    return Md(sep.join(md(item) for item in items))


def _finalize(value: object) -> object:
    # Every {{ value }} is escaped unless it is formed Markdown already.
    return value if isinstance(value, Md) else md("" if value is None else value)


_ENV = Environment(
    autoescape=False,
    finalize=_finalize,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters.update(md=md, code=code, fence=fence, step=step, joined=joined, entity=entity_name)

TEMPLATE = _ENV.from_string(
    """\
# Postmortem draft: {{ headline }}

*Drafted by kubewhy {{ d.kubewhy_version }} from {{ d.inputs | length }} input(s). Each statement \
cites its evidence (E1, E2, ...): check it, and fill in what says "to fill in".*

## Summary

{% if root %}
**{{ verdict_line }}**

{{ root.title }} ({{ root.failure_mode | code }}, {{ root.tier }}, confidence \
{{ percent(root.confidence) }}) on {{ entity_name(root.entity) | code }}.
{% if root.culprit %}
Culprit: {{ culprit_name(root) | code }}\
{% if root.culprit.why %}: {{ root.culprit.why }}{% endif %}.
{% endif %}
{% if led_to %}
It led to: {{ led_to | map("code") | joined(" -> ") }}.
{% endif %}
{% if set_off_by %}
Set off by: {{ set_off_by | map("code") | joined }}.
{% endif %}
{% else %}
No known failure mode matches the evidence.
{% endif %}

## Impact

{% for group in groups %}
- {{ group[0].title }} on {{ group | map(attribute="entity") | map("entity") | joined }}\
{% if group[0].explained_by %} (a consequence of {{ group[0].explained_by | code }}){% else %} \
(root cause){% endif %}{% if span_of(group) %}, {{ span_of(group) }}{% endif %}.
{% else %}
- Nothing the evidence shows as broken.
{% endfor %}
- Users, requests and services affected beyond these: to fill in (not in the evidence).

## Timeline

Times in UTC and in the evidence's zone (UTC{{ d.evidence_zone }}); each line with the finding \
it supports.

{% for row in rows %}
- {{ utc(row.time) }} ({{ local(row.time) }}){% if row.finding %} **{{ row.finding }}**\
{% if row.also %} (+{{ row.also }}){% endif %}{% endif %}{% if row.count > 1 %} \
(x{{ row.count }}){% endif %}: {{ row.message | code }} ({{ row.source }})
{% else %}
- No timestamped evidence.
{% endfor %}
{% if more_rows %}
- ... {{ more_rows }} more in the JSON report.
{% endif %}

## Detection

{% if first_sign %}
- First sign in the evidence: {{ utc(first_sign.time) }}, {{ first_sign.message | code }} \
({{ first_sign.source }}).
{% endif %}
- How it was noticed, and by whom: to fill in.
{% for alert in alerts %}
- Would have alerted earlier: {{ alert }}
{% endfor %}

## Root cause and trigger

{% for f in roots %}
### {{ f.title }}

- Root cause: {{ f.failure_mode | code }} on {{ entity_name(f.entity) | code }} ({{ f.tier }}, \
confidence {{ percent(f.confidence) }}){% if f.why_ranked %}; {{ f.why_ranked }}{% endif %}.
{% if f.culprit %}
- Culprit: {{ culprit_name(f) | code }}{% if f.culprit.why %}: {{ f.culprit.why }}{% endif %}.
{% endif %}
{% for name in triggers(f) %}
- Trigger: {{ name | code }}, which set it off; fixing the root cause makes it harmless.
{% else %}
- Trigger: none in the evidence (to fill in if one is known: a deploy, a load peak, a change).
{% endfor %}
{% for note in f.version_notes %}
- Version: {{ note }}.
{% endfor %}

#### Why-analysis

{% set proof = evidence_of(f) %}
{% for link, cites in proof.links %}
{{ loop.index }}. **{{ link.failure_mode }}**: {{ link.statement }}
{% for ev, new in cites %}
{% if new %}
   - E{{ ev.id }} {{ where(ev) | code }}{% if ev.time %} at {{ utc(ev.time) }}{% endif %}\
{% if ev.count > 1 %} (x{{ ev.count }}){% endif %}:
{{ "" }}
     {{ ev.text | fence("     ") }}
{% else %}
   - E{{ ev.id }}, above.
{% endif %}
{% endfor %}
{% endfor %}
{% if proof.culprit %}

The culprit's own evidence:

{% for ev in proof.culprit %}
- E{{ ev.id }} {{ where(ev) | code }}:
{{ "" }}
  {{ ev.text | fence("  ") }}
{% endfor %}
{% endif %}

{% else %}
No root cause in the evidence{% if d.near_misses %}; the closest hypotheses are below{% endif %}.

{% endfor %}
## Resolution

{% for f in roots %}
{% for item in f.remediation %}
- {{ item | step }}
{% endfor %}
{% endfor %}
- What was done, and when: to fill in.

## Follow-up actions

| # | action | kind | priority | owner |
|---|---|---|---|---|
{% for action in actions %}
| {{ loop.index }} | {{ action.text }} | {{ action.kind }} | {{ action.priority }} | to assign |
{% else %}
| 1 | collect more evidence: the time around the incident, what could not be read | \
telemetry | P1 | to assign |
{% endfor %}
{% if consequence_groups %}

## Consequences

{% for group in consequence_groups %}
- {{ group[0].title }} ({{ group[0].failure_mode | code }}) on \
{{ group | map(attribute="entity") | map("entity") | joined }}, explained by \
{{ group[0].explained_by | code }}.
{% endfor %}
{% endif %}
{% if d.near_misses %}

## Closest hypotheses, too weak to report

{% for near in d.near_misses %}
- {{ near.failure_mode | code }} ({{ percent(near.confidence) }}): seen \
{{ (near.seen[:2] or ["weak signs"]) | joined("; ") }}.\
{% if near.confirm %} To settle: {{ near.confirm[0] | step }}{% endif %}

{% endfor %}
{% endif %}

## References

{% for ref in references %}
- {{ ref }}
{% else %}
- Nothing cited.
{% endfor %}

## Inputs

{% for i in d.inputs %}
- {{ i.path | code }} ({{ i.format }}){% if i.path in unread %}: not understood, \
{{ unread[i.path] }}{% endif %}

{% endfor %}
"""
)


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _culprit_name(f: Finding) -> str:
    c = f.culprit
    if c is None:
        return ""
    name = f"{c.kind}/{c.namespace + '/' if c.namespace else ''}{c.name}"
    return name + (f" (pid {c.pid})" if c.pid is not None else "")


def _where(ev: EvidenceRef) -> str:
    return ev.source + (f":{ev.line}" if ev.line else "")


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _zone(name: str) -> timezone:
    sign = -1 if name.startswith("-") else 1
    hours, minutes = name[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _span(group: list[Finding]) -> str:
    first = min((f.first_seen for f in group if f.first_seen), default=None)
    last = max((f.last_seen for f in group if f.last_seen), default=None)
    if first is None:
        return ""
    end = f" to {_stamp(last)}" if last and last != first else ""
    return f"from {_stamp(first)}{end} UTC"


def _stamp(iso: str) -> str:
    return iso[:19].replace("T", " ")


class _Proof:
    """A root cause's chain with its evidence, each line shown in full where it is first
    cited and referred to after; then the culprit's evidence that no link cited."""

    def __init__(self, f: Finding) -> None:
        by_id = {ev.id: ev for ev in f.evidence}
        shown: set[int] = set()
        self.links: list[tuple[ChainLink, list[tuple[EvidenceRef, bool]]]] = []
        for link in f.chain:
            cites = []
            for i in link.evidence:
                if i in by_id:
                    cites.append((by_id[i], i not in shown))
                    shown.add(i)
            self.links.append((link, cites))
        named = f.culprit.evidence if f.culprit else []
        self.culprit = [by_id[i] for i in named if i in by_id and i not in shown]


class _Action:
    def __init__(self, text: str, kind: str, priority: str) -> None:
        self.text, self.kind, self.priority = text, kind, priority


def _actions(roots: list[Finding], d: Diagnosis) -> list[_Action]:
    """Settings first (they stop a recurrence), then alerts (they see it early), then the
    telemetry that would have settled what the evidence could not."""
    settings: list[str] = []
    alerts: list[str] = []
    for f in roots:
        for item in f.prevention:
            (alerts if item.startswith("alert ") else settings).append(item)
    out = [_Action(t, "setting", "P1") for t in dict.fromkeys(settings)]
    out += [_Action(t, "alert", "P2") for t in dict.fromkeys(alerts)]
    out += [_Action(t, "telemetry", "P3") for t in d.missing_evidence]
    return out


def render_markdown(d: Diagnosis) -> str:
    roots = [f for f in d.findings if f.explained_by is None]
    victims = [f for f in d.findings if f.explained_by is not None]
    root = roots[0] if roots else None
    zone = _zone(d.evidence_zone)
    rows = timeline_rows(d)
    # One root cause found in several places is analysed once (Impact lists the places).
    told = [group[0] for group in grouped(roots)][:MAX_ROOTS]
    references = list(dict.fromkeys(ref for f in told for ref in f.references))
    alerts = list(
        dict.fromkeys(
            item for f in d.findings for item in f.prevention if item.startswith("alert ")
        )
    )

    text = TEMPLATE.render(
        d=d,
        headline=(f"{root.title} on {entity_name(root.entity)}" if root else "no known failure"),
        verdict_line=verdict(root, 10_000) if root else "",
        root=root,
        roots=told,
        led_to=consequences(root) if root else [],
        set_off_by=triggers(root) if root else [],
        groups=grouped(d.findings),
        consequence_groups=grouped(victims),
        rows=rows[:MAX_TIMELINE],
        more_rows=max(len(rows) - MAX_TIMELINE, 0),
        first_sign=rows[0] if rows else None,
        alerts=alerts,
        actions=_actions(roots, d),
        references=references,
        unread={u.path: u.reason for u in d.unread},
        entity_name=entity_name,
        culprit_name=_culprit_name,
        percent=_percent,
        where=_where,
        evidence_of=_Proof,
        triggers=triggers,
        span_of=_span,
        utc=lambda stamp: f"{_stamp(stamp)} UTC",
        local=lambda stamp: (
            _parse(stamp).astimezone(zone).strftime("%H:%M:%S") + f" {d.evidence_zone}"
        ),
    )
    return redact(text)
