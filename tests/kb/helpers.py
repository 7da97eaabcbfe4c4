"""Helpers for the knowledge-base tests: the shipped files, loaded as production loads them."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from kubewhy.kb.load import KnowledgeBase, builtin_dir, load_knowledge_base
from kubewhy.scanning import Scanner

TESTS_DIR = Path(__file__).resolve().parent
CASES_DIR = TESTS_DIR / "cases"
HEALTHY_DIR = TESTS_DIR.parent / "data" / "healthy"

STUB = """\
id: {id}
title: placeholder for a failure mode that is not shipped yet
scope: node
summary: placeholder
mechanism: placeholder
facts:
  - id: never
    description: placeholder
    when: "has(node.ready) and not has(node.ready)"
    weight: 0.1
remediation: [placeholder]
prevention: {{}}
references: [{{url: "https://kubernetes.io/", note: placeholder}}]
"""


def shipped_files() -> list[Path]:
    return sorted(builtin_dir().glob("*.yaml"))


def missing_link_targets(files: list[Path]) -> set[str]:
    """Ids that shipped files link to in ``causes:`` but that no shipped file defines."""
    defined = {path.stem for path in files}
    linked: set[str] = set()
    for path in files:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        linked.update(link["failure_mode"] for link in raw.get("causes", []))
    return linked - defined


def load_with_stubs(tmp: Path, files: list[Path] | None = None) -> KnowledgeBase:
    """Load shipped files from a copy, adding a stub for each link target not shipped yet.

    The stubs only stand in for ids that other files link to; every shipped file goes through the
    same validation as in production (schema, conditions, catalogued facts, engines).
    """
    files = shipped_files() if files is None else files
    for path in files:
        shutil.copy(path, tmp / path.name)
    for missing in missing_link_targets(files):
        (tmp / f"{missing}.yaml").write_text(STUB.format(id=missing), encoding="utf-8")
    return load_knowledge_base(tmp)


def patterns_matched(scanner: Scanner, lines: list[str]) -> set[int]:
    """The indices of the patterns that match any of ``lines``."""
    return {p for m in scanner.scan_bytes("\n".join(lines).encode()) for p in m.patterns}
