"""``kubewhy runbooks --out DIR``: write the runbook pages (``kubewhy.reports.runbook``), one per
failure mode and an index; ``--check`` only says whether DIR is current (for CI)."""

from __future__ import annotations

from pathlib import Path

from kubewhy.errors import UsageError
from kubewhy.kb.load import KnowledgeBase
from kubewhy.reports.runbook import MARKER, runbook_pages


def stale_pages(pages: dict[str, str], out: Path) -> list[str]:
    """The file names in ``out`` that differ from ``pages``: missing, changed, or generated
    pages of failure modes that no longer exist."""
    stale = [name for name, text in pages.items() if _read(out / name) != text]
    stale += [p.name for p in _ours(out) if p.name not in pages]
    return sorted(stale)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _ours(out: Path) -> list[Path]:
    """Pages in ``out`` that the generator wrote (a hand-written page there stays untouched)."""
    if not out.is_dir():
        return []
    return [p for p in sorted(out.glob("*.md")) if (_read(p) or "").startswith(MARKER)]


def write_runbooks(kb: KnowledgeBase, out: Path, check: bool) -> list[str]:
    """Write every page (or only compare, with ``check``); returns the pages that were stale."""
    pages = runbook_pages(kb)
    stale = stale_pages(pages, out)
    if check or not stale:
        return stale
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path in _ours(out):
            if path.name not in pages:
                path.unlink()
        for name in stale:
            if name in pages:
                (out / name).write_text(pages[name], encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None
    return stale
