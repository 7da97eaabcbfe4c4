"""Rewrite a Python ``re`` pattern into a byte regex that matches a *superset* of its lines.

The fast engines (Hyperscan, RE2, ``re`` on bytes) scan raw bytes, while the exact check runs
Python ``re`` on the decoded line. Their semantics differ on non-ASCII text (``.`` is one
character but 1-4 bytes, ``\\w`` and ``\\d`` match non-ASCII letters and digits, case folding
maps ``K`` to the Kelvin sign, invalid UTF-8 decodes to U+FFFD) and on constructs the fast
engines lack (lookarounds, backreferences, atomic groups). Each construct is therefore
rewritten to something that matches at least everything the original matches, one line at a
time, so a fast engine never misses a line; the exact check then drops the extra candidates.

The rewrite only matches a newline where the pattern has a literal one (and so matches no
line at all): candidates stay inside their line.

>>> translate(r"oom-kill.*task=(?P<task>\\w+)", 0)
'oom\\\\x2dkill[\\\\x00-\\\\x09\\\\x0b-\\\\xff]*task\\\\x3d(?:[0-9A-Z_a-z\\\\x80-\\\\xff]+)'
>>> translate(r"(?=x)", 0) is None
True
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# The parser behind ``re`` (no public equivalent); only its parse tree is used.
_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")

_NEWLINE = 0x0A
_ASCII = range(128)
# RE2 refuses repeat counts above 1000; a widened bound past it becomes unbounded.
_MAX_BOUND = 1000
# ASCII letters that Python's IGNORECASE also equates with non-ASCII characters
# (checked against all of Unicode by the tests).
CASE_EXTRAS: dict[str, tuple[str, ...]] = {
    "i": ("\u0130", "\u0131"),
    "I": ("\u0130", "\u0131"),
    "k": ("\u212a",),
    "K": ("\u212a",),
    "s": ("\u017f",),
    "S": ("\u017f",),
}
_CATEGORY_SOURCE = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}
_POSITIVE_CATEGORIES = {"CATEGORY_DIGIT", "CATEGORY_SPACE", "CATEGORY_WORD"}
_WORD_ASCII = frozenset(ord(c) for c in "0123456789_") | frozenset(
    ord(c) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


@dataclass(frozen=True, slots=True)
class CharSet:
    """What one character of the text may be, as bytes: ASCII codes, exact non-ASCII
    characters, or (loosely) any non-ASCII character of 1-4 bytes."""

    ascii: frozenset[int]
    extra: frozenset[str] = frozenset()
    any_non_ascii: bool = False

    def ascii_word_only(self) -> bool:
        return bool(self.ascii) and self.ascii <= _WORD_ASCII and not self.extra
        # (any_non_ascii is checked by the caller)

    def byte_class(self, with_non_ascii: bool) -> str:
        codes = sorted(self.ascii - {_NEWLINE})
        if len(codes) == 1 and not with_non_ascii:
            return _byte_escape(codes[0])
        if with_non_ascii:
            codes += range(128, 256)
        body = _ranges(codes)
        return f"[{body}]" if body else r"\n"

    def single(self) -> str:
        if self.any_non_ascii:
            if not (self.ascii - {_NEWLINE}):
                return r"[\x80-\xff]{1,4}"
            return f"(?:{self.byte_class(False)}|[\\x80-\\xff]{{1,4}})"
        alternatives = [self.byte_class(False)] if self.ascii - {_NEWLINE} else []
        alternatives += [_utf8_escape(ch) for ch in sorted(self.extra)]
        if not alternatives:
            return r"\n"  # cannot match inside a line
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    def repeated(self, low: int, high: int | None) -> str | None:
        """A widened repeat for sets that take 1-4 bytes per character, else None."""
        if not self.any_non_ascii:
            return None
        top = None if high is None or high * 4 > _MAX_BOUND else high * 4
        low = min(low, _MAX_BOUND)
        return self.byte_class(True) + _bounds(low, top)


def translate(regex: str, flags: int) -> str | None:
    """The superset byte regex of ``regex`` (``re`` flags ``flags``), or None if it can match an
    empty string (then every line is a candidate)."""
    return _translated(regex, flags, cut=True)


def translate_whole(regex: str, flags: int) -> str | None:
    """:func:`translate` without cutting the pattern's leading part (:func:`from_first_literal`):
    slower to search for, but it lets through only the lines the whole pattern may match."""
    return _translated(regex, flags, cut=False)


def _translated(regex: str, flags: int, cut: bool) -> str | None:
    parsed = _parser.parse(regex, flags)
    items = from_first_literal(list(parsed)) if cut else list(parsed)
    out = _Translator().sequence(items, int(parsed.state.flags) | flags)
    if _parser.parse(out, 0).getwidth()[0] == 0:
        return None
    return out


# A literal this long is rare enough in logs to start a pattern's search from.
_STRONG_LITERAL = 4


def from_first_literal(items: list[Any]) -> list[Any]:
    """``items`` from its first run of literal characters long enough to search for, or from its
    first group that holds a literal, whose alternatives are cut the same way (the whole of
    ``items`` when there is neither).

    A line that matches ``A B`` holds a match of ``B``, so dropping a leading part of a pattern
    only widens its prefilter. What it saves is the scan's main cost: a multi-pattern engine
    must track a leading part made of classes (``\\d [\\w.-]+:\\d+\\] .*``, a klog header) at
    every position of every line, while a pattern that starts with a literal costs little until
    that literal is found. The exact check still runs the whole pattern on the line. Only the
    classes and short literals before the first strong literal go: a later literal is not always
    a rarer one, and every line the prefilter lets through costs a check in Python.

    >>> translate(r"\\d [\\w.-]+:\\d+\\] .*grpc: dial \\S+: i/o timeout", 0)
    'grpc\\\\x3a\\\\x20dial\\\\x20[\\\\x00-\\\\x08\\\\x0e-\\\\x1b\\\\x21-\\\\xff]+\\\\x3a\\\\x20i\\\\x2fo\\\\x20timeout'
    """
    position = 0
    while position < len(items):
        run = 0
        while position + run < len(items) and str(items[position + run][0]) == "LITERAL":
            run += 1
        if run >= _STRONG_LITERAL:
            return items[position:]
        if run == 0 and _holds_literal(items[position]):
            return [_from_first_literal_inside(items[position]), *items[position + 1 :]]
        position += max(run, 1)
    return items


def _from_first_literal_inside(item: Any) -> Any:
    """A group or alternation that starts what is kept of a pattern, each alternative cut as
    :func:`from_first_literal` cuts a pattern (what follows the group still follows each)."""
    op, arg = item
    name = str(op)
    if name == "BRANCH":
        return (op, (arg[0], [from_first_literal(list(branch)) for branch in arg[1]]))
    if name == "SUBPATTERN":
        group, add_flags, del_flags, body = arg
        return (op, (group, add_flags, del_flags, from_first_literal(list(body))))
    return item


def _holds_literal(item: Any) -> bool:
    """Whether a group, alternation or repeat has a literal character anywhere inside."""
    op, arg = item
    name = str(op)
    if name == "LITERAL":
        return True
    if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
        return any(_holds_literal(x) for x in arg[2])
    if name == "SUBPATTERN":
        return any(_holds_literal(x) for x in arg[3])
    if name == "ATOMIC_GROUP":
        return any(_holds_literal(x) for x in arg)
    if name == "BRANCH":
        return any(_holds_literal(x) for branch in arg[1] for x in branch)
    if name == "GROUPREF_EXISTS":
        return any(_holds_literal(x) for part in arg[1:] if part is not None for x in part)
    return False


class _Translator:
    def sequence(self, items: list[Any], flags: int) -> str:
        parts: list[str] = []
        for position, (op, arg) in enumerate(items):
            if str(op) == "AT":
                parts.append(self._anchor(str(arg), items, position, flags))
            else:
                parts.append(self.node(op, arg, flags))
        return "".join(parts)

    def node(self, op: Any, arg: Any, flags: int) -> str:
        name = str(op)
        charset = _charset(name, arg, flags)
        if charset is not None:
            return charset.single()
        if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            return self._repeat(arg, flags)
        if name == "SUBPATTERN":
            _group, add_flags, del_flags, body = arg
            return "(?:" + self.sequence(list(body), (flags | add_flags) & ~del_flags) + ")"
        if name == "ATOMIC_GROUP":
            return "(?:" + self.sequence(list(arg), flags) + ")"
        if name == "BRANCH":
            return "(?:" + "|".join(self.sequence(list(b), flags) for b in arg[1]) + ")"
        if name == "GROUPREF_EXISTS":
            _group, yes, no = arg
            if no is None:
                return "(?:" + self.sequence(list(yes), flags) + ")?"
            return f"(?:{self.sequence(list(yes), flags)}|{self.sequence(list(no), flags)})"
        if name == "GROUPREF":
            return r"[\x00-\x09\x0b-\xff]*"  # same text as a group: any text
        if name in {"ASSERT", "ASSERT_NOT"}:
            return ""  # a lookaround only narrows the match
        raise ValueError(f"unsupported regex construct {name}")

    def _repeat(self, arg: Any, flags: int) -> str:
        low, high, body = arg
        top = None if high == _constants.MAXREPEAT else int(high)
        items = list(body)
        if len(items) == 1:
            charset = _charset(str(items[0][0]), items[0][1], flags)
            if charset is not None:
                widened = charset.repeated(int(low), top)
                if widened is not None:
                    return widened
        inner = self.sequence(items, flags)
        if not inner:
            return ""
        return f"(?:{inner})" + _bounds(int(low), top)

    def _anchor(self, code: str, items: list[Any], position: int, flags: int) -> str:
        if code in {"AT_BEGINNING", "AT_BEGINNING_STRING"}:
            return "^"
        if code in {"AT_END", "AT_END_STRING"}:
            return r"\r?$"
        ascii_mode = bool(flags & re.ASCII)
        if code == "AT_BOUNDARY" and (ascii_mode or _next_to_ascii_word(items, position, flags)):
            return r"\b"
        if code == "AT_NON_BOUNDARY" and ascii_mode:
            return r"\B"
        return ""  # a Unicode word boundary has no exact byte form: drop it (wider)


def _next_to_ascii_word(items: list[Any], position: int, flags: int) -> bool:
    """True if an ASCII-word-only character is right beside the boundary: then a Unicode
    boundary there is also a byte boundary."""
    for neighbour in (position - 1, position + 1):
        if 0 <= neighbour < len(items):
            op, arg = items[neighbour]
            charset = _charset(str(op), arg, flags)
            if charset is not None and charset.ascii_word_only() and not charset.any_non_ascii:
                return True
    return False


def _charset(name: str, arg: Any, flags: int) -> CharSet | None:
    """The byte view of a one-character node, or None for other nodes."""
    ignore_case = bool(flags & re.IGNORECASE)
    unicode_case = ignore_case and not flags & re.ASCII
    if name == "LITERAL":
        char = chr(arg)
        if arg >= 128:
            if char == "\ufffd" or ignore_case:  # invalid bytes decode to U+FFFD
                return CharSet(_ascii_set(re.escape(char), flags), any_non_ascii=True)
            return CharSet(frozenset(), frozenset({char}))
        codes = _ascii_set(re.escape(char), flags) if ignore_case else frozenset({arg})
        extra = frozenset(CASE_EXTRAS.get(char, ())) if unicode_case else frozenset()
        return CharSet(codes, extra)
    if name == "NOT_LITERAL":
        return CharSet(_ascii_set("[^" + _class_literal(arg) + "]", flags), any_non_ascii=True)
    if name == "ANY":
        return CharSet(frozenset(_ASCII), any_non_ascii=True)
    if name == "IN":
        source, loose = _class_source(arg, flags)
        codes = _ascii_set(source, flags)
        folded: frozenset[str] = frozenset()
        if unicode_case and not loose:
            folded = frozenset(x for code in codes for x in CASE_EXTRAS.get(chr(code), ()))
        return CharSet(codes, folded, any_non_ascii=loose)
    return None


def class_source(items: list[Any]) -> str:
    """Python source of a parsed character class (``[...]``); ValueError for an item it cannot
    write back."""
    return _class_source(items, 0)[0]


def _class_source(items: list[Any], flags: int) -> tuple[str, bool]:
    """Python source of a character class, and whether it may match any non-ASCII char."""
    body = ""
    loose = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            body += "^"
            loose = True
        elif name == "LITERAL":
            body += _class_literal(arg)
            loose = loose or arg >= 128
        elif name == "RANGE":
            body += _class_literal(arg[0]) + "-" + _class_literal(arg[1])
            loose = loose or arg[1] >= 128
        elif name == "CATEGORY":
            body += _CATEGORY_SOURCE[str(arg)]
            loose = loose or not (flags & re.ASCII and str(arg) in _POSITIVE_CATEGORIES)
        else:
            raise ValueError(f"unsupported class item {name}")
    return f"[{body}]", loose


def _class_literal(code: int) -> str:
    return f"\\x{code:02x}" if code < 256 else f"\\U{code:08x}"


@lru_cache(maxsize=4096)
def _ascii_set(source: str, flags: int) -> frozenset[int]:
    """The ASCII codes a one-character Python regex matches under ``flags``."""
    compiled = re.compile(source, flags & (re.IGNORECASE | re.ASCII | re.DOTALL))
    return frozenset(code for code in _ASCII if compiled.fullmatch(chr(code)))


def _ranges(codes: list[int]) -> str:
    out: list[str] = []
    start = 0
    while start < len(codes):
        end = start
        while end + 1 < len(codes) and codes[end + 1] == codes[end] + 1:
            end += 1
        out.append(_byte_escape(codes[start]))
        if end > start:
            out.append("-" + _byte_escape(codes[end]))
        start = end + 1
    return "".join(out)


def _byte_escape(code: int) -> str:
    char = chr(code)
    if char.isascii() and (char.isalnum() or char == "_"):
        return char
    return f"\\x{code:02x}"


def _utf8_escape(char: str) -> str:
    return "".join(f"\\x{byte:02x}" for byte in char.encode("utf-8"))


def _bounds(low: int, high: int | None) -> str:
    if high is None:
        return "*" if low == 0 else ("+" if low == 1 else f"{{{low},}}")
    if low == high:
        return "" if low == 1 else f"{{{low}}}"
    return f"{{{low},{high}}}"
