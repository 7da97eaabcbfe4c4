"""A tree is redacted as each of its strings would be on its own, also when one search of all
of them joined decides that none needs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kubewhy.model import redact as r

ROOT = Path(__file__).resolve().parents[2]
SECRETS = [
    "password=hunter2",
    "Authorization: Bearer abcdefgh12345678",
    "ghp_" + "a1B2" * 9,
    "AKIAIOSFODNN7EXAMPLE",
    "https://admin:s3cret@prom.example:9090/api",
    '{"db_password": "two words"}',
    "-----BEGIN RSA PRIVATE KEY-----",
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
]


def _each(value: Any) -> Any:
    """The tree with each string redacted on its own."""
    if isinstance(value, str):
        return r.redact(value)
    if isinstance(value, dict):
        return {r.redact(k): _each(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_each(v) for v in value]
    return value


def test_no_branch_anchors_at_the_ends_of_the_whole_text() -> None:
    # The joined search is exact only if ^ and $ are the only anchors (they hold at line ends).
    for branch in r._branches():
        assert "\\A" not in branch and "\\z" not in branch and "\\Z" not in branch


def test_the_examples_reports_are_redacted_as_string_by_string() -> None:
    for case in sorted((ROOT / "examples").iterdir())[:4]:
        for path in case.glob("*.json"):
            tree = json.loads(path.read_text(encoding="utf-8"))
            assert r.redact_tree(tree) == _each(tree)


_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(SECRETS),
    st.builds(
        lambda a, s, b: a + s + b,
        st.text(max_size=8),
        st.sampled_from(SECRETS),
        st.text(max_size=8),
    ),
)
_TREE = st.recursive(
    st.one_of(_TEXT, st.integers(), st.none()),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_TEXT, children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_TREE)
def test_any_tree_is_redacted_as_string_by_string(tree: Any) -> None:
    assert r.redact_tree(tree) == _each(tree)
