"""Kernel parameters: ``sysctl -a`` output and ``cat /proc/sys/...`` transcripts.

``sysctl -a`` prints one ``key = value`` line per parameter::

    kernel.pid_max = 49152
    kernel.threads-max = 1031126

A listing names each file with its value (``grep . /sys/fs/cgroup/pids.*`` prints
``path:value``), read as ``cat path`` would be.

A transcript pairs a command line with the value it printed, several pairs per file::

    [root@node-1 ~]# cat /proc/sys/kernel/pid_max
    32768
    $ sysctl -n kernel.threads-max
    1031126

Every parameter becomes a ``sysctl.<key>`` fact on the node, dashes turned into underscores.
The other one-line checks of such transcripts (``uname -r``, ``ps -eLf | wc -l``,
``ps ... | grep -c '^Z'``, ``ulimit -u`` ...) are read as :mod:`kubewhy.parsers.commands` reads
them.

>>> result = SysctlFormat().parse("kernel.pid_max = 49152\\nkernel.threads-max = 1031126\\n",
...                               Context("sysctl.txt", node="n1"))
>>> [(f.name, f.value) for f in result.facts]
[('sysctl.kernel.pid_max', 49152), ('sysctl.kernel.threads_max', 1031126)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult
from kubewhy.parsers.commands import facts_of, knows

# Top-level sysctl namespaces: requiring one keeps "a.b = c" lines of other files out.
_ROOTS = "abi|crypto|debug|dev|fs|kernel|net|sunrpc|user|vm"
_ASSIGNMENT = re.compile(rf"^\s*((?:{_ROOTS})\.[\w.\-/]+?)\s*=\s?(.*?)\s*$")
# A shell prompt: "# ", "$ ", "[root@node-1 ~]# ", "root@node-1 ~ # ", "root@node:~# ".
PROMPT = r"^\s*(?:\[[^\]]*\]\s*|(?:[\w@.\-~:/()]+\s+){0,2}[\w@.\-~:/()]*)?[#$>%]\s*"
_COMMAND = re.compile(PROMPT + r"(\S.*?)\s*$")
# A kernel or cgroup file named with its value on one line: `grep . /sys/fs/cgroup/pids.*`
# ("path:value"), `for f in ...; do echo $f $(cat $f); done` or a table someone aligned by hand
# ("path   value"). The path alone says what the number is, as in `cat PATH`.
_PATH_VALUE = re.compile(r"^\s*((?:/proc/sys|/sys/fs/cgroup)/[^\s:]+)(?::|\s+)\s*(\S.*?)\s*$")
# sysctl -a with stderr kept: not parameters, not malformed either.
_NOISE = re.compile(r"^\s*sysctl: |^\s*$")


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


def _may_prompt(line: str) -> bool:
    return "#" in line or "$" in line or ">" in line or "%" in line


def _path_value(line: str) -> tuple[str, str] | None:
    """(path, value) of a line naming a kernel or cgroup file and its one-line value.

    >>> _path_value("/sys/fs/cgroup/pids.max      512")
    ('/sys/fs/cgroup/pids.max', '512')
    >>> _path_value("/proc/sys/kernel/pid_max:4194304")
    ('/proc/sys/kernel/pid_max', '4194304')
    """
    found = _PATH_VALUE.match(line)
    return (found.group(1), found.group(2)) if found else None


class SysctlFormat:
    name = "sysctl"
    # Its scores need a prompt's command, an assignment or a path with its value.
    hints = (_COMMAND, _ASSIGNMENT, _PATH_VALUE)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        commands = 0
        for line in lines:
            # A prompt ends in one of #$>%: lines without one skip the backtracking regex.
            command = _COMMAND.match(line) if _may_prompt(line) else None
            commands += bool(command and knows(command.group(1)))
        if commands and 2 * commands >= 0.5 * len(lines):
            return 0.8
        if commands:
            # A long transcript of other commands too: ours only if no better reader claims it.
            return 0.35
        assignments = sum(1 for line in lines if _ASSIGNMENT.match(line) or _path_value(line))
        if assignments >= 2 and assignments >= 0.8 * len(lines):
            return 0.9
        if assignments == 1 and len(lines) == 1:
            return 0.6
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])
        pending: str | None = None  # the check whose value comes next
        for number, line in enumerate(text.splitlines(), start=1):
            command = _COMMAND.match(line)
            if command:
                pending = command.group(1) if knows(command.group(1)) else None
                continue
            if pending is not None and line.strip():
                facts = facts_of(pending, [(number, line)], ctx)
                pending = None
                if not facts:
                    result.malformed += 1
                result.facts.extend(facts or [])
                continue
            path_value = _path_value(line)
            if path_value is not None:
                path, value = path_value
                facts = facts_of(f"cat {path}", [(number, value)], ctx)
                if not facts:
                    result.malformed += 1
                result.facts.extend(facts or [])
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
