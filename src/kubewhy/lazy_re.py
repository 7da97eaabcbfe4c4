"""Regular expressions compiled when first used.

kubewhy's modules keep their patterns at module level, compiled at import; a run that never
asks a module for most of them (a parser of a format no input has, the kernel reports' readers
when no log holds one) paid for compiling them all: about 20 ms of a small folder's diagnosis,
most of it in a few modules. :func:`lazy_compile` gives a stand-in that compiles the pattern the
first time one of its methods or attributes is asked for, then keeps the compiled pattern's own
bound methods, so that later calls cost what a compiled pattern's do.

>>> word = lazy_compile(r"\\w+")
>>> word.pattern  # known without compiling
'\\\\w+'
>>> word.findall("two words")
['two', 'words']
>>> word.flags == re.compile(r"\\w+").flags
True
"""

from __future__ import annotations

import re
from typing import Any, cast

# What code asks a compiled pattern for; each is the compiled pattern's own once compiled.
_ATTRIBUTES = (
    "search",
    "match",
    "fullmatch",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "scanner",
    "flags",
    "groups",
    "groupindex",
)


class _Lazy:
    """A pattern compiled on first use. ``pattern`` is known from the start."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.__dict__["pattern"] = pattern
        self.__dict__["_flags"] = flags

    def __getattr__(self, name: str) -> Any:
        # Called only for what the instance does not hold yet: the first use of a method.
        if name not in _ATTRIBUTES:
            raise AttributeError(name)
        compiled = re.compile(self.__dict__["pattern"], self.__dict__["_flags"])
        for attribute in _ATTRIBUTES:
            self.__dict__[attribute] = getattr(compiled, attribute)
        return getattr(compiled, name)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled or copied as the compiled pattern it stands for.
        return re.compile, (self.__dict__["pattern"], self.__dict__["_flags"])

    def __repr__(self) -> str:
        return repr(re.compile(self.__dict__["pattern"], self.__dict__["_flags"]))


def lazy_compile(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, compiled when first used."""
    return cast(re.Pattern[str], _Lazy(pattern, int(flags)))
