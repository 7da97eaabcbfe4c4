"""Pure renderers of one report model: text, markdown, json."""

from __future__ import annotations

from typing import Literal

from kubewhy.model.diagnosis import Diagnosis

Format = Literal["text", "json", "markdown"]


def render(diagnosis: Diagnosis, fmt: Format, width: int = 100, color: bool = False) -> str:
    if fmt == "json":
        from kubewhy.reports.json import render_json

        return render_json(diagnosis)
    if fmt == "markdown":
        from kubewhy.reports.markdown import render_markdown

        return render_markdown(diagnosis)
    from kubewhy.reports.text import render_text

    return render_text(diagnosis, width=width, color=color)
