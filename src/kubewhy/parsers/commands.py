"""Short command outputs recognised by the command that produced them (one section of a pasted
terminal session): ``kubelet --version``, ``kdump-config show``,
``cat /sys/kernel/kexec_crash_loaded``, ``ls /var/crash``, ``docker version``.

>>> r = COMMANDS.parse("root@n1:~# kubelet --version\\nKubernetes v1.11.2\\n", Context("t", "n1"))
>>> [(f.name, f.value) for f in r.facts]
[('node.kubelet_version', 'v1.11.2')]
>>> r = COMMANDS.parse("$ cat /sys/kernel/kexec_crash_loaded\\n0\\n", Context("t", "n1"))
>>> [(f.name, f.value) for f in r.facts]
[('node.kdump.enabled', False)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult

_PROMPT_COMMAND = re.compile(
    r"^(?:\[[\w.-]+@[\w.-]+[^\]]*\]|[\w.-]+@[\w.-]+(?::\S*)?(?: \S+)?)?\s*[#$] (?P<cmd>\S.*?)\s*$"
)

Reader = Callable[[list[tuple[int, str]]], list[tuple[str, Value, int]]]


def _kubelet_version(out: list[tuple[int, str]]) -> list[tuple[str, Value, int]]:
    for n, line in out:
        found = re.match(r"\s*Kubernetes (v\d+\.\d+\.\d+\S*)", line)
        if found:
            return [("node.kubelet_version", found.group(1), n)]
    return []


def _crash_loaded(out: list[tuple[int, str]]) -> list[tuple[str, Value, int]]:
    for n, line in out:
        if line.strip() in ("0", "1"):
            return [("node.kdump.enabled", line.strip() == "1", n)]
    return []


def _kdump_config(out: list[tuple[int, str]]) -> list[tuple[str, Value, int]]:
    for n, line in out:
        text = line.strip()
        if re.search(r"current state:\s+ready to kdump", text, re.I):
            return [("node.kdump.enabled", True, n)]
        if re.search(r"current state:\s+not ready|not installed|command not found", text, re.I):
            return [("node.kdump.enabled", False, n)]
    return []


def _ls_crash(out: list[tuple[int, str]]) -> list[tuple[str, Value, int]]:
    names = [
        (n, line.split()[-1]) for n, line in out if line.split() and not line.startswith("total")
    ]
    dumps = [(n, name) for n, name in names if name not in (".", "..")]
    line = dumps[0][0] if dumps else (out[0][0] if out else 1)
    return [("node.crash_dumps", len(dumps), line)]


def _docker_version(out: list[tuple[int, str]]) -> list[tuple[str, Value, int]]:
    in_server = False
    for n, line in out:
        if line.startswith("Server"):
            in_server = True
        found = re.match(r"\s*Version:\s+(\S+)", line)
        if found and in_server:
            return [("node.container_runtime", f"docker://{found.group(1)}", n)]
    return []


READERS: list[tuple[re.Pattern[str], Reader]] = [
    (re.compile(r"^kubelet\s+--version\b"), _kubelet_version),
    (re.compile(r"^cat\s+/sys/kernel/kexec_crash_loaded\b"), _crash_loaded),
    (re.compile(r"^kdump-config\s+show\b"), _kdump_config),
    (re.compile(r"^ls(?:\s+-\w+)*\s+/var/crash/?\s*$"), _ls_crash),
    (re.compile(r"^docker\s+version\b"), _docker_version),
]


def _reader(first: str) -> Reader | None:
    found = _PROMPT_COMMAND.match(first)
    if not found:
        return None
    for pattern, reader in READERS:
        if pattern.match(found.group("cmd")):
            return reader
    return None


class CommandOutputs:
    name = "command-output"

    def sniff(self, head: Sequence[str]) -> float:
        return 0.95 if head and _reader(head[0]) is not None else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        result = ParseResult()
        if not numbered:
            return result
        reader = _reader(numbered[0][1])
        if reader is None:
            return result
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        lines = dict(numbered)
        for name, value, n in reader(numbered[1:]):
            evidence = Evidence(ctx.source, n, None, lines.get(n, numbered[0][1]).strip())
            result.facts.append(Fact(name, node, value, evidence))
        return result


COMMANDS = CommandOutputs()
FORMATS = [COMMANDS]
