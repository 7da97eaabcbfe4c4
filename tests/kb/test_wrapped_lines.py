"""Lines a terminal cut at 80 columns are still read: the knowledge base's own example lines,
wrapped by the real `fold -w 80`, match their symptom as the whole line does."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kubewhy.kb.load import compile_patterns, default_knowledge_base
from kubewhy.kb.scan import _starts_record
from kubewhy.scanning.wraps import joined_matches, wrapped_pairs

from .helpers import patterns_matched


def test_example_lines_cut_at_80_columns_still_match() -> None:
    if shutil.which("fold") is None:
        pytest.skip("fold (coreutils) is not installed")
    kb = default_knowledge_base()
    scanner = kb.scanner or compile_patterns(kb)
    cut = kept = read_halves = 0
    for index, (_, symptom) in enumerate(kb.log_patterns()):
        for example in symptom.examples:
            if not 80 < len(example) <= 160 or index not in patterns_matched(scanner, [example]):
                continue
            folded = subprocess.run(
                ["fold", "-w", "80"], input=example, capture_output=True, text=True, check=True
            ).stdout.splitlines()
            assert len(folded) == 2
            cut += 1
            halves = patterns_matched(scanner, folded)
            pairs = wrapped_pairs(folded, _starts_record(None))
            joined = {p for _, _, ps in joined_matches(scanner, folded, pairs) for p in ps}
            read_halves += index in halves
            kept += index in halves | joined
    assert cut >= 300
    # The halves alone lose most of them; joined, almost none are lost.
    assert read_halves < 0.5 * cut
    assert kept >= 0.99 * cut


def test_lines_that_start_records_are_not_joined() -> None:
    lines = [
        "Jul 23 22:09:47 node-xx kubelet[1893]: I0723 22:09:47.001 prober.go:114] probe ok for pod",
        "Jul 23 22:09:48 node-xx kubelet[1893]: runtime: failed to create new OS thread",
        "        /usr/local/go/src/runtime/proc.go:1234 +0x5 and more text to make it long enough",
        "  indented continuation of a message that a program printed on purpose",
    ]
    assert wrapped_pairs(lines, _starts_record(None)) == []


def test_example_lines_broken_by_hand_at_a_space_still_match() -> None:
    """A person who breaks a long message over two lines replaces a space by the line break:
    the halves joined again with that space match as the whole line does."""
    kb = default_knowledge_base()
    scanner = kb.scanner or compile_patterns(kb)
    broken = kept = 0
    for index, (_, symptom) in enumerate(kb.log_patterns()):
        for example in symptom.examples:
            at = example.rfind(" ", 0, 75)
            if not 80 < len(example) <= 160 or at < 60:
                continue
            if index not in patterns_matched(scanner, [example]):
                continue
            halves = [example[:at], example[at + 1 :]]
            if halves[1][:1].isspace() or halves[1].startswith("  "):
                continue
            if index in patterns_matched(scanner, halves):
                continue
            pairs = wrapped_pairs(halves, _starts_record(None))
            if not pairs:
                continue  # the rest reads as a record of its own: never joined, by design
            broken += 1
            kept += index in {p for _, _, ps in joined_matches(scanner, halves, pairs) for p in ps}
    assert broken >= 200
    assert kept >= 0.99 * broken
