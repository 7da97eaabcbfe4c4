"""Pure renderers of one report model: text, markdown, json, yaml, html.

Every renderer gets the model :func:`kubewhy.reports.safe.prepared`: secrets redacted, terminal
control characters escaped (text, Markdown and HTML; JSON and YAML escape them their own way),
addresses and host names obfuscated on request.
"""

from __future__ import annotations

from typing import Literal

from kubewhy.model.diagnosis import Diagnosis
from kubewhy.model.obfuscate import Obfuscator
from kubewhy.reports.safe import prepared

Format = Literal["text", "json", "markdown", "yaml", "html"]


def node_names(diagnosis: Diagnosis) -> list[str]:
    """The host names a diagnosis names: what ``--obfuscate`` hides besides addresses."""
    names = {f.entity.name for f in diagnosis.findings if f.entity.kind == "node"}
    names |= {r.entity.name for r in diagnosis.risks if r.entity.kind == "node"}
    return sorted(names)


def render(
    diagnosis: Diagnosis,
    fmt: Format,
    width: int = 100,
    color: bool = False,
    obfuscator: Obfuscator | None = None,
) -> str:
    if obfuscator is not None:
        obfuscator.add_hosts(node_names(diagnosis))
    diagnosis = prepared(diagnosis, escape=fmt not in ("json", "yaml"), obfuscator=obfuscator)
    if fmt == "json":
        from kubewhy.reports.json import render_json

        return render_json(diagnosis)
    if fmt == "yaml":
        from kubewhy.reports.structured import render_yaml

        return render_yaml(diagnosis.model_dump(mode="json"))
    if fmt == "html":
        from kubewhy.reports.html import render_html_report

        return render_html_report(diagnosis)
    if fmt == "markdown":
        from kubewhy.reports.markdown import render_markdown

        return render_markdown(diagnosis)
    from kubewhy.reports.text import render_text

    return render_text(diagnosis, width=width, color=color)
