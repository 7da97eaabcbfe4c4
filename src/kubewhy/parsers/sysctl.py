"""Kernel parameters: ``sysctl -a`` output and ``cat /proc/sys/...`` transcripts.

``sysctl -a`` prints one ``key = value`` line per parameter::

    kernel.pid_max = 49152
    kernel.threads-max = 1031126

A transcript pairs a command line with the value it printed, several pairs per file::

    [root@node-1 ~]# cat /proc/sys/kernel/pid_max
    32768
    $ sysctl -n kernel.threads-max
    1031126

Every parameter becomes a ``sysctl.<key>`` fact on the node, dashes turned into underscores.
A few other one-line checks of such transcripts are read too: ``uname -r`` (kernel.release),
``ps -eLf | wc -l`` (node.threads.total, less the header line), ``ps ... | grep -c '^Z'``
(node.zombies.total) and ``ulimit -u`` (node.ulimit.max_user_processes).

>>> result = SysctlFormat().parse("kernel.pid_max = 49152\\nkernel.threads-max = 1031126\\n",
...                               Context("sysctl.txt", node="n1"))
>>> [(f.name, f.value) for f in result.facts]
[('sysctl.kernel.pid_max', 49152), ('sysctl.kernel.threads_max', 1031126)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult

# Top-level sysctl namespaces: requiring one keeps "a.b = c" lines of other files out.
_ROOTS = "abi|crypto|debug|dev|fs|kernel|net|sunrpc|user|vm"
_ASSIGNMENT = re.compile(rf"^\s*((?:{_ROOTS})\.[\w.\-/]+?)\s*=\s?(.*?)\s*$")
# A shell prompt: "# ", "$ ", "[root@node-1 ~]# ", "root@node-1 ~ # ", "root@node:~# ".
PROMPT = r"^\s*(?:\[[^\]]*\]\s*|(?:[\w@.\-~:/()]+\s+){0,2}[\w@.\-~:/()]*)?[#$>%]\s*"
_COMMAND = re.compile(PROMPT + r"(\S.*?)\s*$")
# sysctl -a with stderr kept: not parameters, not malformed either.
_NOISE = re.compile(r"^\s*sysctl: |^\s*$")

Reading = Callable[[re.Match[str], str], tuple[str, Value] | None]


def _parameter(found: re.Match[str], value: str) -> tuple[str, Value]:
    return fact_name(found.group(1)), _value(value)


def _count(value: str, minus: int = 0) -> int | None:
    text = value.strip()
    return int(text) - minus if text.isdigit() else None


def _threads(found: re.Match[str], value: str) -> tuple[str, Value] | None:
    # `ps -eLf | wc -l` counts the header line too; `--no-headers`/`h` do not print it.
    headerless = re.search(r"--no-headers?|\bh\b|\s-\w*h", found.group(0))
    count = _count(value, 0 if headerless else 1)
    return ("node.threads.total", count) if count is not None else None


def _plain(name: str) -> Reading:
    def read(_: re.Match[str], value: str) -> tuple[str, Value] | None:
        count = _count(value)
        return (name, count) if count is not None else None

    return read


# One-line checks seen in incident transcripts, and what their printed value means.
_READINGS: list[tuple[re.Pattern[str], Reading]] = [
    (re.compile(r"^cat\s+/proc/sys/(\S+)$"), _parameter),
    (re.compile(rf"^sysctl\s+(?:-[nb]\s+)+((?:{_ROOTS})\.\S+)$"), _parameter),
    (re.compile(r"^uname\s+-r$"), lambda _, value: ("kernel.release", value.strip())),
    (re.compile(r"^ps\s+\S*L\S*(?:\s+\S+)*\s*\|\s*wc\s+-l$"), _threads),
    (re.compile(r"^ps\b.*\|\s*grep\s+-c\s+['\"]?\^?Z['\"]?$"), _plain("node.zombies.total")),
    (re.compile(r"^ulimit\s+-u$"), _plain("node.ulimit.max_user_processes")),
]


def reading(command: str) -> tuple[re.Match[str], Reading] | None:
    """The reading a transcript command stands for, if it is one of the known checks."""
    for pattern, read in _READINGS:
        found = pattern.match(command)
        if found:
            return found, read
    return None


def fact_name(key: str) -> str:
    """The fact name of a kernel parameter.

    >>> fact_name("kernel/threads-max")
    'sysctl.kernel.threads_max'
    """
    return "sysctl." + key.strip("/").replace("/", ".").replace("-", "_")


def _value(text: str) -> Value:
    stripped = text.strip()
    if re.fullmatch(r"-?\d+", stripped):
        return int(stripped)
    # Multi-value parameters (net.ipv4.tcp_rmem = 4096 87380 6291456) keep single spaces.
    return " ".join(stripped.split())


class SysctlFormat:
    name = "sysctl"

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        commands = 0
        for line in lines:
            command = _COMMAND.match(line)
            commands += bool(command and reading(command.group(1)))
        if commands and 2 * commands >= 0.5 * len(lines):
            return 0.8
        if commands:
            # A long transcript of other commands too: ours only if no better reader claims it.
            return 0.35
        assignments = sum(1 for line in lines if _ASSIGNMENT.match(line))
        if assignments >= 2 and assignments >= 0.8 * len(lines):
            return 0.9
        if assignments == 1 and len(lines) == 1:
            return 0.6
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])
        pending: tuple[re.Match[str], Reading] | None = None  # the check whose value comes next
        for number, line in enumerate(text.splitlines(), start=1):
            command = _COMMAND.match(line)
            if command:
                pending = reading(command.group(1))
                continue
            if pending is not None and line.strip():
                found, read = pending
                pending = None
                got = read(found, line)
                if got is None:
                    result.malformed += 1
                    continue
                name, value = got
                evidence = Evidence(ctx.source, number, None, f"{found.group(0)} -> {line.strip()}")
                result.facts.append(Fact(name, node, value, evidence))
                continue
            assignment = _ASSIGNMENT.match(line)
            if assignment:
                key, value = assignment.groups()
                evidence = Evidence(ctx.source, number, None, line.strip())
                result.facts.append(Fact(fact_name(key), node, _value(value), evidence))
            elif not _NOISE.match(line):
                result.malformed += 1
        return result


FORMATS = [SysctlFormat()]
