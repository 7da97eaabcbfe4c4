"""Shell resource limits: ``ulimit -a`` as printed by bash and by dash.

bash::

    max user processes                  (-u) 204800
    open files                          (-n) 1048576

dash::

    process              204800
    nofiles              1048576

The user-process limit becomes ``node.ulimit.max_user_processes`` (an int, or ``"unlimited"``);
a ``ulimit -u`` command line followed by its value gives it too.

>>> text = "open files            (-n) 1024\\nmax user processes    (-u) 4096\\n"
>>> [(f.name, f.value) for f in UlimitFormat().parse(text, Context("ulimit.txt")).facts]
[('node.ulimit.max_user_processes', 4096)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult
from kubewhy.parsers.sysctl import PROMPT

_BASH = re.compile(r"^([a-zA-Z][\w /-]*?)\s+\((?:[^)]*?,\s*)?-(\w)\)\s+(\S+)\s*$")
_DASH = re.compile(
    r"^(time|file|data|stack|coredump|memory|locked memory|process|nofiles|vmemory|locks|"
    r"rtprio|nice|sbsize|pipesize|sigpending|msgqueue|rttime)(?:\((?:[\w ]+)\))?\s+(\S+)\s*$"
)
_VALUE = re.compile(r"^(?:\d+|unlimited)$")
_COMMAND = re.compile(PROMPT + r"\S")
_ULIMIT_U = re.compile(PROMPT + r"ulimit\s+-u\s*$")


def limit_value(text: str) -> Value:
    return int(text) if text.isdigit() else text


class UlimitFormat:
    name = "ulimit"
    hints = (_BASH, _DASH)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        bash = sum(1 for line in lines if _BASH.match(line))
        dash = sum(1 for line in lines if _DASH.match(line))
        best = max(bash, dash)
        # A real ulimit -a has a dozen lines or more; allow a short excerpt of three.
        if best >= 3 and best >= 0.7 * len(lines):
            return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])
        asked_nproc = False  # the previous line was `ulimit -u`: this one is its value
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            if _COMMAND.match(line):
                asked_nproc = bool(_ULIMIT_U.match(line))
                continue
            if asked_nproc and _VALUE.match(line.strip()):
                asked_nproc = False
                evidence = Evidence(ctx.source, number, None, f"ulimit -u -> {line.strip()}")
                value = limit_value(line.strip())
                result.facts.append(Fact("node.ulimit.max_user_processes", node, value, evidence))
                continue
            asked_nproc = False
            bash = _BASH.match(line)
            dash = None if bash else _DASH.match(line)
            if bash:
                flag, raw = bash.group(2), bash.group(3)
                is_nproc = flag == "u"
            elif dash:
                raw = dash.group(2)
                is_nproc = dash.group(1) == "process"
            else:
                result.malformed += 1
                continue
            if not _VALUE.match(raw):
                result.malformed += 1
                continue
            if is_nproc:
                evidence = Evidence(ctx.source, number, None, line.strip())
                fact = Fact("node.ulimit.max_user_processes", node, limit_value(raw), evidence)
                result.facts.append(fact)
        return result


FORMATS = [UlimitFormat()]
