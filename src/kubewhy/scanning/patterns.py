"""Pattern specs, the exact Python check of a line, and the error for a pattern an engine refuses.

A line matches a pattern iff ``re.search(pattern, line)`` finds it in that single line (the line
without its ``\\n``, and without a ``\\r`` before it). Every engine agrees on that because the
fast engines only *propose* candidate lines, and :class:`CompiledPattern` decides.

The exact check is Python's backtracking ``re``: a pattern that starts with an unbounded repeat
(``\\S+:\\d+ is unhealthy``) would be tried from every position of a long run of its characters,
each try running to the end of the run, which is quadratic in the line (a 75 KB line of one word
took seconds per pattern). :func:`start_guarded` lets such a pattern start only where a run of
those characters starts, which finds the same match in linear time.

>>> spec = PatternSpec(r"PLEG is not healthy: pleg was last seen (?P<ago>\\S+)")
>>> p = CompiledPattern.build(0, spec)
>>> p.matches("kubelet: PLEG is not healthy: pleg was last seen 3m0s ago")
True
>>> p.groups("PLEG is not healthy: pleg was last seen 3m0s ago")
{'ago': '3m0s'}
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

from kubewhy.scanning.prefilter import class_source, translate

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
# Global inline flags, which must stay at the very start of a pattern.
_GLOBAL_FLAGS = re.compile(r"^(?:\(\?[aiLmsux]+\))*")


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """One pattern of the multi-pattern database."""

    regex: str
    ignore_case: bool = False

    @property
    def flags(self) -> int:
        """Case is ignored the ASCII way: Python's Unicode folding also equates ``k`` with the
        Kelvin sign and ``s`` with the long s, which no log writes, and whose multi-byte forms
        would keep the fast engines from using these letters as literals (a scan several
        times slower)."""
        return re.IGNORECASE | re.ASCII if self.ignore_case else 0


class PatternError(ValueError):
    """A pattern that Python ``re`` or the chosen engine cannot compile."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"pattern {index}: {message}")
        self.index = index
        self.message = message


class CompiledPattern:
    """A pattern's exact Python regex and its byte-level prefilter regex for the fast engines.

    ``prefilter`` is a byte regex (ASCII text with \\xHH escapes) that matches a superset of the
    lines ``python`` matches; None when it could match an empty string, so every line is a
    candidate. The Python regex of a pattern already known to compile (its prefilters came from
    the cache, written once every pattern had compiled) is compiled when a candidate line first
    needs it: most runs check a few patterns of hundreds, and compiling them all is most of the
    fixed cost of a run."""

    __slots__ = ("_python", "_spec", "index", "prefilter")

    def __init__(
        self,
        index: int,
        spec: PatternSpec,
        prefilter: str | None,
        python: re.Pattern[str] | None = None,
    ) -> None:
        self.index = index
        self.prefilter = prefilter
        self._spec = spec
        self._python = python

    @property
    def python(self) -> re.Pattern[str]:
        if self._python is None:
            self._python = self._compile(self.index, self._spec)
        return self._python

    @classmethod
    def build(cls, index: int, spec: PatternSpec) -> CompiledPattern:
        python = cls._compile(index, spec)
        return cls(index, spec, translate(spec.regex, spec.flags), python)

    @classmethod
    def with_prefilter(
        cls, index: int, spec: PatternSpec, prefilter: str | None, lazy: bool = False
    ) -> CompiledPattern:
        """The pattern with its prefilter already translated (kept between runs); ``lazy``:
        its Python regex compiled on first use."""
        return cls(index, spec, prefilter, None if lazy else cls._compile(index, spec))

    @staticmethod
    def _compile(index: int, spec: PatternSpec) -> re.Pattern[str]:
        try:
            return re.compile(start_guarded(spec.regex, spec.flags), spec.flags)
        except re.error as err:
            raise PatternError(index, f"invalid regex {spec.regex!r}: {err}") from err
        except (OverflowError, RecursionError) as err:
            raise PatternError(index, f"regex too large {spec.regex!r}: {err}") from err

    def matches(self, line: str) -> bool:
        return self.python.search(line) is not None

    def groups(self, line: str) -> dict[str, str]:
        found = self.python.search(line)
        if found is None:
            return {}
        return {name: value for name, value in found.groupdict().items() if value is not None}


def start_guarded(regex: str, flags: int = 0) -> str:
    r"""``regex`` made to start only where a run of its leading repeat's characters starts, when
    it starts with one (``\S+``, ``[0-9a-f]+``, ``.*``, also inside a group); else ``regex``.

    ``re.search`` finds the same match either way: if the pattern matches from a position inside
    such a run, it also matches from the position before (the repeat takes one character more,
    the rest of the match is unchanged), so the leftmost match always starts a run. Only the
    useless tries are gone: from every position inside the run, each scanning the run to its end.
    Patterns with backreferences are kept as they are (a longer group changes what ``\1`` is).

    >>> start_guarded(r"(?P<endpoint>\S+:\d+) is unhealthy")
    '(?<![\\S])(?P<endpoint>\\S+:\\d+) is unhealthy'
    >>> start_guarded(r"(?i)[0-9a-f]+ no leader"), start_guarded(r"no leader \S+")
    ('(?i)(?<![\\x30-\\x39\\x61-\\x66])[0-9a-f]+ no leader', 'no leader \\S+')
    """
    try:
        parsed = _parser.parse(regex, flags)
    except (re.error, OverflowError, RecursionError):
        return regex  # compiling it says what is wrong
    if _has_backreference(list(parsed)):
        return regex
    items = list(parsed)
    while items:
        op, arg = items[0]
        name = str(op)
        if name == "SUBPATTERN":
            _group, add_flags, del_flags, body = arg
            if add_flags or del_flags:  # scoped flags: the guard would read the class otherwise
                return regex
            items = list(body)
            continue
        if name not in ("MAX_REPEAT", "MIN_REPEAT") or arg[1] is not _constants.MAXREPEAT:
            return regex
        repeated = list(arg[2])
        one = _one_character(repeated[0]) if len(repeated) == 1 else None
        if one is None:
            return regex
        prefix = _GLOBAL_FLAGS.match(regex)
        at = prefix.end() if prefix else 0
        return f"{regex[:at]}(?<!{one}){regex[at:]}"
    return regex


def _one_character(node: tuple[Any, Any]) -> str | None:
    """Python source of a node that matches exactly one character, or None."""
    op, arg = node
    name = str(op)
    if name == "LITERAL":
        return f"[{_literal(arg)}]"
    if name == "NOT_LITERAL":
        return f"[^{_literal(arg)}]"
    if name == "ANY":
        return "."
    if name == "IN":
        try:
            return class_source(arg)
        except ValueError:
            return None
    return None


def _literal(code: int) -> str:
    return f"\\x{code:02x}" if code < 256 else f"\\U{code:08x}"


def _has_backreference(items: list[Any]) -> bool:
    """Whether a parsed pattern refers back to a group (``\\1``, ``(?P=name)``, ``(?(1)...)``)."""
    for op, arg in items:
        if str(op) in ("GROUPREF", "GROUPREF_EXISTS"):
            return True
        if any(_has_backreference(list(sub)) for sub in _subpatterns(arg)):
            return True
    return False


def _subpatterns(arg: Any) -> list[Any]:
    if isinstance(arg, _parser.SubPattern):
        return [arg]
    if isinstance(arg, tuple | list):
        return [sub for part in arg for sub in _subpatterns(part)]
    return []
