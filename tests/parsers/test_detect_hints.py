"""Detection's prefilter is exact: a format whose hints a head lacks would have scored 0.

Each format's ``hints`` are derived from its sniff's code; these tests hold them to it on every
head detection sees in the corpus, the examples and the knowledge base's cases (whole files and
the sections of pasted sessions), on those heads' lines cut and re-pasted, and on the cases each
kind of hint could get wrong (quote marks and tabs before a match, prompts without a mark,
Unicode digits and case twins that the engine's byte regexes must still find).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubewhy.parsers import read, registry
from kubewhy.parsers.base import DocumentFormat, Hint, LogFormat
from kubewhy.parsers.describe import DescribeFormat
from kubewhy.parsers.event_tables import OLD_ROW_HINT
from kubewhy.parsers.events import GetEventsFormat
from kubewhy.parsers.limits import LimitsFormat
from kubewhy.parsers.ps import PsFormat
from kubewhy.parsers.read import parse_inputs
from kubewhy.parsers.registry import SNIFF_LINES, detect, hint_regex, hints_of
from kubewhy.parsers.sessions import PROMPT_HINT, prompt_of
from kubewhy.scanning.engines import available_engines
from kubewhy.sources.files import open_inputs

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("corpus/cases", "examples", "tests/kb/cases")
HYPERSCAN = "hyperscan" in available_engines()

Format = DocumentFormat | LogFormat


def _held(hint: Hint, lines: list[str]) -> bool:
    """Whether a line holds ``hint``, as the hints are defined (Python's own tests)."""
    if isinstance(hint, str):
        return any(hint in line for line in lines)
    return any(hint.search(line) for line in lines)


def _hinted_formats() -> Iterator[tuple[Format, tuple[Hint, ...]]]:
    logs, docs = registry.all_formats()
    formats: list[Format] = [*docs, *logs]
    for fmt in formats:
        hints = hints_of(fmt)
        if hints is not None:
            yield fmt, hints


def _hint_ids() -> dict[tuple[str, int], int]:
    """Each hint's id in the engine's database (the order ``_hinted`` numbers them)."""
    ids: dict[tuple[str, int], int] = {}
    for _, hints in _hinted_formats():
        for hint in hints:
            ids.setdefault(hint_regex(hint), len(ids))
    return ids


def _check(head: list[str]) -> list[str]:
    """What is wrong with the prefilter on ``head``: a format scoring without its hints, a hint
    Python finds that the engine does not, or a detection that changes."""
    lines = [line for line in head[:SNIFF_LINES] if line.strip()]
    if not lines:
        return []
    problems = []
    ids = _hint_ids()
    present = registry._hints_present(lines)
    for fmt, hints in _hinted_formats():
        held = {ids[hint_regex(h)] for h in hints if _held(h, lines)}
        if present is not None and not held <= present:
            problems.append(f"{fmt.name}: the engine misses hints {held - present}")
        if not held and fmt.sniff(lines) != 0.0:
            problems.append(f"{fmt.name} scores {fmt.sniff(lines)} without its hints")
    if detect(head) != detect(head, prefilter=False):
        problems.append("detection changes")
    return [f"{p}: {lines[:3]}" for p in problems]


@cache
def _real_heads() -> list[list[str]]:
    """Every head detection is asked about while the folders are read, as it is asked."""
    heads: list[list[str]] = []

    def recorded(head: list[str], *, prefilter: bool = True) -> registry.Detected:
        heads.append(list(head))
        return detect(head, prefilter=prefilter)

    with patch.object(read, "detect", recorded):
        for folder in FOLDERS:
            for case in sorted((ROOT / folder).iterdir()):
                if case.is_dir():
                    with open_inputs([case]) as inputs:
                        parse_inputs(inputs)
    return heads


@pytest.mark.timeout(600)
def test_hints_are_necessary_on_every_real_head() -> None:
    heads = _real_heads()
    assert len(heads) > 5000
    problems = [p for head in heads for p in _check(head)]
    assert problems == []


# Lines of the real heads, cut and pasted again: tabs for blanks, quote marks, indents, a word
# left out, the case changed.
def _pasted(line: str, how: int) -> str:
    return [
        line,
        line.replace(" ", "\t", 2),
        "> " + line,
        ">\t" + line.replace("  ", "\t"),
        "    " + line,
        " ".join(line.split(" ")[1:]),
        line.upper(),
        line.lower(),
    ][how]


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_hints_are_necessary_on_real_lines_pasted_again(data: st.DataObject) -> None:
    heads = [h for h in _real_heads() if any(line.strip() for line in h)]
    head = data.draw(st.sampled_from(heads))
    start = data.draw(st.integers(0, min(len(head), SNIFF_LINES) - 1))
    picked = head[start : start + data.draw(st.integers(1, 8))]
    pasted = [_pasted(line, data.draw(st.integers(0, 7))) for line in picked]
    assert _check(pasted) == []


def _asked(fmt: Format, head: list[str]) -> bool:
    """Whether detection asks ``fmt`` about ``head``."""
    present = registry._hints_present([line for line in head if line.strip()])
    hints = hints_of(fmt)
    if present is None or hints is None:
        return True
    ids = _hint_ids()
    return any(ids[hint_regex(h)] in present for h in hints)


@pytest.mark.parametrize(
    "line",
    [
        "root@node-1:~# uname -r",
        "➜  kubewhy git:(main) ✗ dmesg -T | tail",
        "==> /etc/os-release <==",
        "k3s kubectl -n kube-system logs --previous coredns-7944c66d8d-w5twl",
        "  sudo journalctl -u kubelet",
        "microk8s.kubectl get pods",
        "oc -n openshift-dns get pods -o wide",
    ],
)
def test_every_prompt_holds_the_prompt_hint(line: str) -> None:
    assert prompt_of(line) is not None
    assert PROMPT_HINT.search(line)


def test_a_log_line_holds_no_prompt_hint() -> None:
    assert not PROMPT_HINT.search("kubectl.go:42] kubectl get failed")


@pytest.mark.parametrize(
    "head",
    [
        # describe cuts a quote mark and expands tabs before it matches its rows and keys
        [">\tName:\tweb-1", ">\tNamespace:\tdefault", ">\tNode:\tn1", ">\tStatus:\tRunning"],
        ["  >  Type    Reason   Age   From     Message"],
        ["> Normal  Pulled  5m  kubelet  Successfully pulled image"],
        # an older layout's row after a quote mark: a tab in its RFC 1123 time that expands to
        # one blank
        [">\t   Mon,\t02 Jan 2006 15:04:05 -0700   5m   1   {kubelet n1}   Pulled   pulled"],
        ["5m\t5m\t1\t{kubelet n1}\tspec.containers{web}\tNormal\tPulled\tpulled"],
    ],
)
def test_describe_is_asked_about_its_pasted_lines(head: list[str]) -> None:
    describe = DescribeFormat()
    assert describe.sniff(head) > 0
    assert _asked(describe, head)
    assert _check(head) == []


def test_the_old_row_hint_reads_what_both_event_sniffs_read() -> None:
    row = "12m  5s  75  web-1  Pod  spec.containers{web}  Failed  {kubelet n1}  Failed"
    assert OLD_ROW_HINT.search(row)
    assert GetEventsFormat().sniff([row, row]) > 0
    assert _asked(GetEventsFormat(), [row])
    assert not OLD_ROW_HINT.search("Jul 23 22:00:00 n kubelet[1873]: I0723 22:00:00.017432  1873")


@pytest.mark.skipif(not HYPERSCAN, reason="the prefilter needs hyperscan")
@pytest.mark.parametrize(
    ("fmt", "head"),
    [
        # \d is any Unicode digit to Python: a ps row in Arabic-Indic digits
        (PsFormat(), ["١ ٢ S sh", "٣ ٢ S sh", "٤ ٢ Z sh"]),
        # a no-break space is a blank to Python's \s
        (PsFormat(), ["1\u00a02\u00a0S sh", "3\u00a02\u00a0S sh", "4\u00a02\u00a0Z sh"]),
        # IGNORECASE: the long s is an s, the Kelvin sign a k
        (LimitsFormat(), ["* ſoft nofile 1024", "* hard nofile 1024"]),
    ],
)
def test_the_engine_finds_what_python_finds(fmt: Format, head: list[str]) -> None:
    assert fmt.sniff(head) > 0
    assert _asked(fmt, head)
    assert _check(head) == []


def test_a_line_holding_a_newline_asks_every_format() -> None:
    assert registry._hints_present(["a\nb"]) is None
    assert detect(["Name:\tweb-1\nNamespace:\tdefault"]) == detect(
        ["Name:\tweb-1\nNamespace:\tdefault"], prefilter=False
    )


@pytest.mark.skipif(not HYPERSCAN, reason="the prefilter needs hyperscan")
def test_every_hint_has_a_prefilter() -> None:
    # A hint the engine cannot search for is held by every head: its format is always asked.
    hinted = registry._hinted()
    assert hinted.finder is not None
    assert hinted.always == frozenset()


def test_without_the_engine_every_format_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    without = replace(registry._hinted(), finder=None)
    monkeypatch.setattr(registry, "_hinted", lambda: without)
    head = ["> Normal  Pulled  5m  kubelet  Successfully pulled image"]
    assert registry._hints_present(head) is None
    assert detect(head).name == "kubectl-describe"


def test_hints_are_of_lines() -> None:
    # The engine searches the head's lines joined by newlines: a hint spanning lines would not
    # be a hint of one line.
    for _, hints in _hinted_formats():
        for hint in hints:
            assert "\n" not in (hint if isinstance(hint, str) else hint.pattern)
            assert not isinstance(hint, re.Pattern) or not hint.flags & re.MULTILINE
