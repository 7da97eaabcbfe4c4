"""Pattern errors name the pattern; engines refuse what they cannot run."""

from __future__ import annotations

import pytest

from kubewhy.scanning import PatternError, PatternSpec, Scanner, available_engines


@pytest.mark.parametrize("engine", available_engines())
def test_invalid_regex_is_refused_by_every_engine(engine: str) -> None:
    with pytest.raises(PatternError) as caught:
        Scanner([PatternSpec("fine"), PatternSpec("also fine"), PatternSpec("[unclosed")], engine)
    assert caught.value.index == 2
    assert "[unclosed" in str(caught.value)


@pytest.mark.skipif("re2" not in available_engines(), reason="re2 not installed")
def test_re2_refuses_a_repeat_over_1000_but_python_re_runs_it() -> None:
    patterns = [PatternSpec("PLEG"), PatternSpec(r"x{1001}")]
    with pytest.raises(PatternError) as caught:
        Scanner(patterns, "re2")
    assert caught.value.index == 1
    assert "re2" in caught.value.message
    line = b"x" * 1001
    assert [m.patterns for m in Scanner(patterns, "re").scan_bytes(line)] == [(1,)]


@pytest.mark.skipif("hyperscan" not in available_engines(), reason="hyperscan not installed")
def test_hyperscan_refusal_names_the_pattern() -> None:
    patterns = [PatternSpec("PLEG"), PatternSpec("ok"), PatternSpec(r"(?:[a-z]{1,200}x){200}")]
    with pytest.raises(PatternError) as caught:
        Scanner(patterns, "hyperscan")
    assert caught.value.index == 2
    assert "hyperscan" in caught.value.message


def test_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        Scanner([PatternSpec("x")], "grep")


def test_auto_picks_the_fastest_installed_engine() -> None:
    assert Scanner([PatternSpec("x")]).engine == available_engines()[0]
