"""YAML drops everything after `` #`` in a plain scalar as a comment: a statement such as
"fixed by PR #105606" would lose its end without any error. Every failure-mode file is checked
for plain (unquoted) values that contain `` #``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FILES = sorted(
    (Path(__file__).resolve().parents[2] / "src/kubewhy/kb/failure_modes").glob("*.yaml")
)
PLAIN_WITH_HASH = re.compile(r"^\s*(?:- )?[\w-]+: (?![\"'|>])[^#\n]*\S #")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_no_plain_value_loses_its_end_to_a_comment(path: Path) -> None:
    bad = [
        f"{path.name}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if PLAIN_WITH_HASH.match(line)
    ]
    assert not bad, bad
