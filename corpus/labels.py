"""Write LABELS.md, the label vocabulary, from the knowledge base's ids, titles and summaries
only (no patterns, conditions or examples), so that people who label cases need not read rules.

    python -m corpus.labels [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
LABELS = CORPUS / "LABELS.md"
HEAD = """# Labels: the failure modes kubewhy knows, by id

The vocabulary for `expect.failure_modes` in a case's `case.yaml`. Generated from the
knowledge base's ids, titles and one-line summaries only (no patterns, conditions or examples),
so that people who label cases need not read the rules. Regenerate with
`python -m corpus.labels`.
"""


def render() -> str:
    from kubewhy.kb.load import load_knowledge_base

    kb = load_knowledge_base()
    rows = [
        f"- `{fm.id}`: {fm.title}. {' '.join(fm.summary.split())}"
        for fm in sorted(kb, key=lambda fm: fm.id)
    ]
    return HEAD + "\n" + "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if LABELS.read_text(encoding="utf-8") != text:
            print("corpus/LABELS.md is out of date: run python -m corpus.labels")
            return 1
        return 0
    LABELS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
