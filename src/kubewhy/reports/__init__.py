"""Pure renderers of one report model: text, markdown, json, yaml, html."""

from __future__ import annotations

from typing import Literal

from kubewhy.model.diagnosis import Diagnosis

Format = Literal["text", "json", "markdown", "yaml", "html"]


def render(diagnosis: Diagnosis, fmt: Format, width: int = 100, color: bool = False) -> str:
    if fmt == "json":
        from kubewhy.reports.json import render_json

        return render_json(diagnosis)
    if fmt == "yaml":
        from kubewhy.reports.structured import render_yaml

        return render_yaml(diagnosis.model_dump(mode="json"))
    if fmt in ("markdown", "html"):
        from kubewhy.reports.markdown import render_markdown

        markdown = render_markdown(diagnosis)
        if fmt == "markdown":
            return markdown
        from kubewhy.reports.structured import render_html

        return render_html(markdown, "kubewhy diagnosis")
    from kubewhy.reports.text import render_text

    return render_text(diagnosis, width=width, color=color)
