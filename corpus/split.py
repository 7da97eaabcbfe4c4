"""Assign every case to dev or holdout by its source thread, never by hand.

    python -m corpus.split [--check]

A stable hash of the source thread (``owner/repo#N``, a URL without its fragment) decides, so all
the cases of one thread land on the same side and nobody chooses. A case moved to dev after it
was studied (``MOVES.md``) stays in dev. Seeds (``corpus/seeds``) are their own split.
``--check`` changes nothing and exits 1 if a case's split is not the one this rule gives.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import yaml

CORPUS = Path(__file__).resolve().parent
HOLDOUT_PERCENT = 45


def thread_of(source: str) -> str:
    """The thread a source names: the same for every case and comment of one thread.

    >>> thread_of("Kubernetes/Kubernetes#79466"), thread_of("https://x.io/post#part-2")
    ('kubernetes/kubernetes#79466', 'https://x.io/post')
    """
    source = source.strip()
    if source.startswith(("http://", "https://")):
        return source.split("#", 1)[0].rstrip("/")
    return source.lower()


def split_of(source: str) -> str:
    digest = hashlib.sha256(thread_of(source).encode()).hexdigest()
    return "holdout" if int(digest[:8], 16) % 100 < HOLDOUT_PERCENT else "dev"


def moved_to_dev() -> set[str]:
    """Case ids that MOVES.md records as studied: they stay in dev."""
    moves = CORPUS / "MOVES.md"
    if not moves.is_file():
        return set()
    return set(re.findall(r"^\|\s*`([\w.-]+)`\s*\|", moves.read_text(), re.M))


def expected_split(folder: Path, source: str, moved: set[str]) -> str:
    if folder.parent.name == "seeds":
        return "seeds"
    if folder.name in moved:
        return "dev"
    return split_of(source)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    moved = moved_to_dev()
    wrong = 0
    for sub in ("cases", "seeds"):
        for folder in sorted(p for p in (CORPUS / sub).glob("*") if p.is_dir()):
            path = folder / "case.yaml"
            if not path.is_file():
                print(f"{folder.name}: no case.yaml (see python -m corpus.validate)")
                wrong += 1
                continue
            text = path.read_text(encoding="utf-8")
            data = yaml.safe_load(text)
            want = expected_split(folder, str(data["source"]), moved)
            if data.get("split") == want:
                continue
            wrong += 1
            if check:
                print(f"{folder.name}: split {data.get('split')!r}, the rule gives {want!r}")
                continue
            if re.search(r"^split:.*$", text, re.M):
                text = re.sub(r"^split:.*$", f"split: {want}", text, count=1, flags=re.M)
            else:
                text = text.rstrip("\n") + f"\nsplit: {want}\n"
            path.write_text(text, encoding="utf-8")
    return 1 if check and wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
