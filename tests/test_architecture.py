"""The shape of the house: no stage imports a later one, and only sources do I/O.

The layers are import-linter contracts in pyproject.toml; the I/O rule is also checked here on
the code itself, because a stage can read a file without importing anything (``open``,
``Path.read_text``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "kubewhy"
# Stages that work on evidence they are handed. The knowledge base reads its own YAML files
# (program data, not evidence) and the scanner keeps its compiled database in a cache.
NO_IO = ("model", "scanning", "parsers", "facts", "kb", "reasoning", "reports")
ALLOWED = {"kb/load.py", "scanning/engines.py"}
IO_METHODS = frozenset(
    {"read_text", "read_bytes", "write_text", "write_bytes", "mkdir", "unlink", "iterdir", "glob"}
)


def io_calls(source: str) -> list[str]:
    """Calls that touch the filesystem: ``open(...)`` and the pathlib methods that read,
    write or list.

    >>> io_calls("data = Path(p).read_text()\\nwith open(p) as f: pass\\nfile.open()")
    ['read_text', 'open']
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id == "open":
            found.append("open")
        elif isinstance(node.func, ast.Attribute) and node.func.attr in IO_METHODS:
            found.append(node.func.attr)
    return sorted(found, key=source.find)


def test_no_stage_imports_a_later_one_and_only_sources_talk_outside() -> None:
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


@pytest.mark.parametrize("stage", NO_IO)
def test_stages_other_than_sources_do_no_io(stage: str) -> None:
    offenders = {}
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        calls = io_calls(path.read_text(encoding="utf-8"))
        if calls and rel not in ALLOWED:
            offenders[rel] = calls
    assert offenders == {}


def test_the_io_check_sees_io() -> None:
    assert io_calls("open('x').read()") == ["open"]
    assert io_calls("Path('x').write_bytes(b'')") == ["write_bytes"]
    assert io_calls("text.splitlines()") == []
