"""Reports for programs and browsers: YAML (the JSON contract's fields, in YAML) and HTML (the
Markdown postmortem, rendered to one standalone page)."""

from __future__ import annotations

import html

import yaml
from markdown_it import MarkdownIt

from kubewhy.model.redact import redact


def render_yaml(document: object) -> str:
    """The same document as the JSON report (``model_dump(mode="json")``), as YAML."""
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return redact(text)


# Raw HTML in the evidence (a log line can hold anything) must stay text, never markup.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.45}code,pre{font-family:ui-monospace,monospace;font-size:.9em}"
    "pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2rem .5rem;vertical-align:top}"
)


def render_html(markdown: str, title: str) -> str:
    """One standalone page (no script, no external resource) from a Markdown report."""
    body = _MARKDOWN.render(markdown)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )
