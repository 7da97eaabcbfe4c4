"""Pattern specs, the exact Python check of a line, and the error for a pattern an engine refuses.

A line matches a pattern iff ``re.search(pattern, line)`` finds it in that single line (the line
without its ``\\n``, and without a ``\\r`` before it). Every engine agrees on that because the
fast engines only *propose* candidate lines, and :class:`CompiledPattern` decides.

>>> spec = PatternSpec(r"PLEG is not healthy: pleg was last seen (?P<ago>\\S+)")
>>> p = CompiledPattern.build(0, spec)
>>> p.matches("kubelet: PLEG is not healthy: pleg was last seen 3m0s ago")
True
>>> p.groups("PLEG is not healthy: pleg was last seen 3m0s ago")
{'ago': '3m0s'}
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubewhy.scanning.prefilter import translate


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


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    """A pattern's exact Python regex and its byte-level prefilter regex for the fast engines."""

    index: int
    python: re.Pattern[str]
    # Byte regex (ASCII text with \\xHH escapes) that matches a superset of the lines
    # ``python`` matches; None when it could match an empty string, so every line is a candidate.
    prefilter: str | None

    @classmethod
    def build(cls, index: int, spec: PatternSpec) -> CompiledPattern:
        python = cls._python(index, spec)
        return cls(index, python, translate(spec.regex, spec.flags))

    @classmethod
    def with_prefilter(
        cls, index: int, spec: PatternSpec, prefilter: str | None
    ) -> CompiledPattern:
        """The pattern with its prefilter already translated (kept between runs)."""
        return cls(index, cls._python(index, spec), prefilter)

    @staticmethod
    def _python(index: int, spec: PatternSpec) -> re.Pattern[str]:
        try:
            return re.compile(spec.regex, spec.flags)
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
