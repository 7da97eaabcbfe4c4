"""How long a command took: the output of the shell ``time`` keyword after its command line.

bash prints three lines (``time -p`` prints plain seconds)::

    # time cat /sys/fs/cgroup/memory/memory.stat > /dev/null
    real    0m1.203s
    user    0m0.000s
    sys     0m1.196s

zsh prints one (``cat ... 0.00s user 1.20s system 99% cpu 1.203 total``). A slow read of the
root ``memory.stat`` is the mark of many (dying) memory cgroups, so timing that file gives
``node.memcg.stat_read_seconds``; other timed commands become records only.

>>> text = ("$ time cat /sys/fs/cgroup/memory/memory.stat\\ncache 0\\n"
...         "real\\t0m1.203s\\nuser\\t0m0.001s\\n")
>>> [(f.name, f.value) for f in TimingFormat().parse(text, Context("t.txt")).facts]
[('node.memcg.stat_read_seconds', 1.203)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, ParseResult, Record
from kubewhy.parsers.sysctl import PROMPT

_TIMED = re.compile(PROMPT + r"time\s+(.+?)\s*$")
_REAL = re.compile(r"^\s*real\s+(?:(\d+)m)?(\d+(?:[.,]\d+)?)s?\s*$")
_USER_SYS = re.compile(r"^\s*(?:user|sys)\s+(?:\d+m)?\d+(?:[.,]\d+)?s?\s*$")
_ZSH = re.compile(
    r"\s(\d+(?:\.\d+)?)s user\s+\d+(?:\.\d+)?s system\s+\S+ cpu\s+([\d:.]+) total\s*$"
)


def _seconds(text: str) -> float:
    """Seconds of a zsh total: ``1.203``, ``1:02.50`` or ``1:02:03.5``."""
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + float(part)
    return total


def _is_memory_stat(command: str) -> bool:
    return "memory.stat" in command


class TimingFormat:
    name = "time"
    # Its scores need bash's real line or zsh's summary.
    hints = (_REAL, "s user")

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        timed = any("time" in line and _TIMED.match(line) for line in lines)
        real = any(_REAL.match(line) for line in lines)
        other = any(_USER_SYS.match(line) for line in lines)
        # The literal first: _ZSH starts with \s, so it is tried at every character.
        if any("s user" in line and _ZSH.search(line) for line in lines):
            return 0.85
        if real and other:
            return 0.9 if timed else 0.6
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])
        command: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            timed = _TIMED.match(line)
            if timed:
                command = timed.group(1)
                continue
            real = _REAL.match(line)
            zsh = None if real else _ZSH.search(line)
            if real:
                seconds = int(real.group(1) or 0) * 60 + float(real.group(2).replace(",", "."))
            elif zsh:
                seconds = _seconds(zsh.group(2))
                command = command or line[: zsh.start()].strip()
            else:
                continue
            label = command or "(command not shown)"
            evidence = Evidence(ctx.source, number, None, line.strip())
            result.records.append(Record(f"time {label}: real {seconds:.3f}s", number, entity=node))
            if command and _is_memory_stat(command):
                fact = Fact("node.memcg.stat_read_seconds", node, round(seconds, 6), evidence)
                result.facts.append(fact)
            command = None
        return result


FORMATS = [TimingFormat()]
