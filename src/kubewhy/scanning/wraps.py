"""Lines a terminal wrapped: a long line cut at the terminal's width, its rest on the next line.

A pattern written for a whole message misses both halves of a cut one. The pairs whose second
line reads as the rest of the first (it starts no record of its own: no time, no prompt, no
indent, and the first line is long enough to have been cut) are scanned joined, and only the
patterns that neither half matches alone are new.

>>> wrapped_pairs(["x" * 70 + "failed to create new OS th", "read (have 5 already)", "short"],
...               lambda line: False)
[0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kubewhy.scanning.scanner import Scanner

# Terminals are 80 columns or wider; a line shorter than this was not cut by one.
MIN_CUT_LINE = 60
# Pairs looked at in one input: the joined scan is for excerpts, not for whole big logs.
MAX_PAIRS = 20_000


def wrapped_pairs(lines: Sequence[str], starts_record: Callable[[str], bool]) -> list[int]:
    """The indices ``i`` whose next line may be the rest of line ``i``."""
    pairs: list[int] = []
    for i in range(len(lines) - 1):
        first, rest = lines[i], lines[i + 1]
        # A cut just before a space leaves the rest one space in; deeper indents are lines of
        # their own (stack frames, continuation lines a program indents).
        if len(first.rstrip()) < MIN_CUT_LINE or not rest.strip() or rest[0] == "\t":
            continue
        if rest.startswith("  "):
            continue
        if starts_record(rest):
            continue
        pairs.append(i)
        if len(pairs) >= MAX_PAIRS:
            break
    return pairs


def _joinings(first: str, rest: str) -> list[str]:
    """The ways ``first`` and ``rest`` may have been one line: a terminal's cut keeps every
    character (``OS th`` + ``read``); a person who broke a long message by hand dropped the space
    at the break (``not found`` + ``in the list``)."""
    first = first.rstrip("\r")
    joined = [first + rest]
    if first and not first[-1].isspace() and not rest[:1].isspace():
        joined.append(f"{first} {rest}")
    return joined


def joined_matches(
    scanner: Scanner, lines: Sequence[str], pairs: Sequence[int]
) -> list[tuple[int, str, tuple[int, ...]]]:
    """``(i, joined text, patterns)`` for the patterns that match line ``i`` joined with the
    next one (as a terminal cut it, or with the space a hand-made break dropped) and match
    neither line alone."""
    if not pairs:
        return []
    candidates = [(i, text) for i in pairs for text in _joinings(lines[i], lines[i + 1])]
    joined = "\n".join(text for _, text in candidates)
    found: dict[int, tuple[str, tuple[int, ...]]] = {}
    for m in scanner.scan_bytes(joined.encode("utf-8", "replace")):
        i = candidates[m.line_no - 1][0]
        # Both joinings may match: the text shown is the first's (a terminal's cut, the likelier).
        text, patterns = found.get(i, (m.text, ()))
        found[i] = (text, patterns + tuple(p for p in m.patterns if p not in patterns))
    if not found:
        return []
    halves = sorted({j for i in found for j in (i, i + 1)})
    text = "\n".join(lines[j] for j in halves)
    alone: dict[int, set[int]] = {}
    for m in scanner.scan_bytes(text.encode("utf-8", "replace")):
        alone[halves[m.line_no - 1]] = set(m.patterns)
    out: list[tuple[int, str, tuple[int, ...]]] = []
    for i, (match_text, patterns) in sorted(found.items()):
        known = alone.get(i, set()) | alone.get(i + 1, set())
        new = tuple(p for p in patterns if p not in known)
        if new:
            out.append((i, match_text, new))
    return out
