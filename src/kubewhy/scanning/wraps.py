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


def joined_matches(
    scanner: Scanner, lines: Sequence[str], pairs: Sequence[int]
) -> list[tuple[int, str, tuple[int, ...]]]:
    """``(i, joined text, patterns)`` for the patterns that match line ``i`` joined with the
    next one and match neither line alone."""
    if not pairs:
        return []
    joined = "\n".join(lines[i].rstrip("\r") + lines[i + 1] for i in pairs)
    found = {m.line_no - 1: m for m in scanner.scan_bytes(joined.encode("utf-8", "replace"))}
    if not found:
        return []
    halves = sorted({j for k in found for j in (pairs[k], pairs[k] + 1)})
    text = "\n".join(lines[j] for j in halves)
    alone: dict[int, set[int]] = {}
    for m in scanner.scan_bytes(text.encode("utf-8", "replace")):
        alone[halves[m.line_no - 1]] = set(m.patterns)
    out: list[tuple[int, str, tuple[int, ...]]] = []
    for k, match in sorted(found.items()):
        i = pairs[k]
        known = alone.get(i, set()) | alone.get(i + 1, set())
        new = tuple(p for p in match.patterns if p not in known)
        if new:
            out.append((i, match.text, new))
    return out
