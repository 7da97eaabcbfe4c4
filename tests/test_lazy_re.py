"""A pattern compiled when first used answers as the compiled pattern does."""

from __future__ import annotations

import copy
import pickle
import re

from hypothesis import given
from hypothesis import strategies as st

from kubewhy.lazy_re import lazy_compile

PATTERNS = [
    (r"(?P<key>\w+)=(\d+)", 0),
    (r"^kernel: (.*)$", re.MULTILINE),
    (r"error|fail(?:ed|ure)?", re.IGNORECASE),
]


@given(st.sampled_from(PATTERNS), st.text(alphabet="abc=12 \nKERNEL:errorfail", max_size=40))
def test_every_method_answers_as_the_compiled_pattern(
    spec: tuple[str, re.RegexFlag], text: str
) -> None:
    lazy, compiled = lazy_compile(*spec), re.compile(*spec)
    assert lazy.pattern == compiled.pattern
    spans = [m.span() for m in lazy.finditer(text)]
    assert spans == [m.span() for m in compiled.finditer(text)]
    assert lazy.findall(text) == compiled.findall(text)
    assert lazy.sub("-", text) == compiled.sub("-", text)
    assert lazy.split(text) == compiled.split(text)
    assert bool(lazy.search(text)) == bool(compiled.search(text))
    assert bool(lazy.match(text)) == bool(compiled.match(text))
    assert bool(lazy.fullmatch(text)) == bool(compiled.fullmatch(text))
    assert (lazy.flags, lazy.groups, lazy.groupindex) == (
        compiled.flags,
        compiled.groups,
        compiled.groupindex,
    )


def test_pickled_and_copied_as_the_compiled_pattern() -> None:
    lazy = lazy_compile(r"a(b)", re.IGNORECASE)
    for other in (pickle.loads(pickle.dumps(lazy)), copy.copy(lazy), copy.deepcopy(lazy)):
        assert other == re.compile(r"a(b)", re.IGNORECASE)


def test_compiled_once_then_the_compiled_patterns_own_methods() -> None:
    lazy = lazy_compile(r"x+")
    assert "search" not in vars(lazy)
    assert lazy.search("axxb") is not None
    assert vars(lazy)["search"].__self__ is vars(lazy)["match"].__self__
