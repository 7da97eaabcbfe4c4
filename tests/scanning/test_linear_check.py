"""The exact check of a candidate line (Python ``re``) stays linear in the line's length.

A fuzzed 75 KB line of one word took 14 s against ``\\S+\\s+\\w{3} ...`` alone: Python tried the
pattern from every position of the word, each try running to its end. Patterns that start with
an unbounded repeat are therefore compiled to start only where a run of its characters starts
(:func:`kubewhy.scanning.patterns.start_guarded`, the same matches), and every pattern of the
knowledge base is timed here on long hostile lines, so that a quadratic one cannot come back.
"""

from __future__ import annotations

import importlib
import re
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.scanning.patterns import CompiledPattern, PatternSpec, start_guarded

_parser: Any = importlib.import_module("re._parser")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return default_knowledge_base()


# --- the guard finds the same match ---------------------------------------------------------

ATOMS = [r"\S", r"\s", r"\w", r"\d", r"[0-9a-f]", r"[^:]", ".", "a", "[ab]", r"[^\s\"]"]
TAILS = ["", ":", r"\d", " b", r"\s+x", r"a\d{2}", "(b+)c", r"\b", "$", "(?:a|:b)"]


@st.composite
def guarded_patterns(draw: st.DrawFn) -> str:
    atom = draw(st.sampled_from(ATOMS))
    repeat = draw(st.sampled_from(["+", "*", "+?", "*?", "{2,}"]))
    head = atom + repeat
    if draw(st.booleans()):
        head = f"(?P<h>{head}{draw(st.sampled_from(TAILS))})"
    return head + "".join(draw(st.lists(st.sampled_from(TAILS), max_size=3)))


@settings(max_examples=600, deadline=None, derandomize=True)
@given(
    pattern=guarded_patterns(),
    flags=st.sampled_from([0, re.IGNORECASE | re.ASCII]),
    text=st.text(alphabet='ab:x1 \t"é', max_size=40),
)
def test_the_guard_finds_the_same_match(pattern: str, flags: int, text: str) -> None:
    guarded = start_guarded(pattern, flags)
    assert guarded != pattern  # every drawn pattern starts with an unbounded repeat
    plain, fast = re.search(pattern, text, flags), re.search(guarded, text, flags)
    assert (plain is None) == (fast is None), (pattern, guarded, text)
    if plain is not None and fast is not None:
        assert plain.span() == fast.span() and plain.groupdict() == fast.groupdict()


@pytest.mark.parametrize(
    "pattern",
    [
        r"(\w+)=\1",  # a backreference: a longer group is another \1
        r"a|b+",  # an alternation first
        r"(?i:\S)+x",  # scoped flags
        r"\S{1,40}x",  # a bounded repeat is already linear
        r"x\S+",  # a literal first
    ],
)
def test_patterns_the_guard_leaves_alone(pattern: str) -> None:
    assert start_guarded(pattern) == pattern


def test_global_flags_stay_first() -> None:
    guarded = start_guarded(r"(?i)\S+ is unhealthy")
    assert guarded.startswith("(?i)(?<!")
    assert re.search(guarded, "ETCD:2379 IS UNHEALTHY")


def test_a_leading_repeat_on_a_long_word_is_linear() -> None:
    check = CompiledPattern.build(
        0, PatternSpec(r"\S+\s+\w{3} \d\d, \d{4} \d\d:\d\d \w+\s+<invalid>")
    )
    line = "t-pro" + "x" * 200_000
    started = time.process_time()
    assert not check.matches(line)
    assert time.process_time() - started < 1.0  # unguarded: minutes


# --- every pattern of the knowledge base ----------------------------------------------------

# Lines of one repeated unit: long words, runs of blanks or digits, JSON, key=value, paths.
UNITS = ["x", " ", "a ", "1", "1 ", "1/", "a:1", "\t", ".", "a/", '"a', "a=b ", '{"a":"b",', "-"]
SMALL, BIG = 8_000, 32_000


def _literals(regex: str) -> str:
    """The literal characters of a pattern, in order: repeated, they make a line full of its
    own prefixes (``A.*B`` tried from every A)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, _parser.SubPattern):
            for op, arg in node:
                if str(op) == "LITERAL":
                    found.append(chr(arg))
                walk(arg)
        elif isinstance(node, tuple | list):
            for part in node:
                walk(part)

    walk(_parser.parse(regex))
    return "".join(found)


def _cost(check: re.Pattern[str], unit: str, size: int, tries: int = 1) -> float:
    line = (unit * (size // len(unit) + 1))[:size]
    best = float("inf")
    for _ in range(tries):
        started = time.process_time()
        check.search(line)
        best = min(best, time.process_time() - started)
    return best


def _quadratic(check: re.Pattern[str], unit: str, tries: int) -> tuple[float, float] | None:
    """Costs at SMALL and BIG characters when 4 times the line costs far more than 4 times."""
    small, big = _cost(check, unit, SMALL, tries), _cost(check, unit, BIG, tries)
    if big > 0.02 and big > 10 * small:
        return small, big
    return None


def test_every_pattern_is_linear_in_the_line(kb: KnowledgeBase) -> None:
    slow = []
    for index, (fm_id, symptom) in enumerate(kb.log_patterns()):
        spec = PatternSpec(symptom.pattern, symptom.ignore_case)
        check = CompiledPattern.build(index, spec).python
        own = _literals(symptom.pattern)
        for unit in [*UNITS, *([own] if own else [])]:
            # CPU time, measured again at its best when it looks quadratic: a loaded machine
            # slows one measure, never the ratio of the best of three.
            if _quadratic(check, unit, 1) and (costs := _quadratic(check, unit, 3)):
                slow.append(f"{fm_id}: {symptom.pattern[:80]!r} on {unit[:30]!r}: {costs}")
    assert not slow, "\n".join(slow)
