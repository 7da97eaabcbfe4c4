"""Small node identity outputs: ``uname -a``, ``/etc/os-release``, ``systemctl --version`` and
``systemctl list-units``.

``uname -a``::

    Linux node-1 4.4.0-104-generic #127-Ubuntu SMP Mon Dec 11 12:16:42 UTC 2017 x86_64 GNU/Linux

gives ``kernel.release``; its node name names the node when the input's node is not known.
``/etc/os-release`` gives ``os.id``, ``os.version_id`` and ``os.pretty_name``; ``systemctl
--version`` gives ``node.systemd.version``; ``systemctl list-units [--type=mount] [--all]`` gives
``node.systemd.mount_units`` and ``node.systemd.kubelet_mount_units`` (mount units under
``/var/lib/kubelet/pods``, e.g. ``var-lib-kubelet-pods-<uid>-volume\\x2dsubpaths-...mount``).

>>> r = UnameFormat().parse("Linux node-1 4.4.0-104-generic #127-Ubuntu SMP Mon Dec 11 12:16:42"
...                         " UTC 2017 x86_64 x86_64 x86_64 GNU/Linux", Context("uname.txt"))
>>> [(f.name, f.entity.name, f.value) for f in r.facts]
[('kernel.release', 'node-1', '4.4.0-104-generic')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, ParseResult, Record

_UNAME = re.compile(r"^\s*Linux\s+(\S+)\s+(\d+\.\d+\S*)\s+#\S+")
_OS_RELEASE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
_OS_KEYS = {"ID": "os.id", "VERSION_ID": "os.version_id", "PRETTY_NAME": "os.pretty_name"}
_SYSTEMD = re.compile(r"^\s*systemd\s+(\d+)(?:\s+\(([^)]*)\))?\s*$")
_FEATURES = re.compile(r"^\s*[+-][A-Z0-9_]+(?:\s+[+-][A-Z0-9_]+){3,}")
_UNIT_HEADER = re.compile(r"^\s*UNIT\s+LOAD\s+ACTIVE\s+SUB\s+(?:JOB\s+)?DESCRIPTION")
_UNIT_ROW = re.compile(
    r"^[\s●*]*(\S+\.(?:mount|service|socket|target|scope|slice|device|swap|timer|path|"
    r"automount))\s+(loaded|not-found|masked|error|bad-setting|stub|merged)\s+(\S+)\s+(\S+)"
    r"(?:\s+(.*))?$"
)
_LEGEND = re.compile(
    r"^\s*(?:LOAD\s+=|ACTIVE\s+=|SUB\s+=|JOB\s+=|\d+ (?:loaded )?units? listed|To show all)"
)
_KUBELET_MOUNT = "var-lib-kubelet-pods-"


def _node(ctx: Context) -> Entity:
    return Entity.for_node(ctx.node or UNKNOWN_NODE)


class UnameFormat:
    name = "uname"
    hints = ("Linux",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if lines and all(_UNAME.match(line) for line in lines[:3]):
            return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        for number, line in enumerate(text.splitlines(), start=1):
            found = _UNAME.match(line)
            if not found:
                result.malformed += bool(line.strip())
                continue
            node = Entity.for_node(ctx.node or found.group(1))
            result.entities.append(node)
            evidence = Evidence(ctx.source, number, None, line.strip())
            result.facts.append(Fact("kernel.release", node, found.group(2), evidence))
        return result


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


class OsReleaseFormat:
    name = "os-release"
    # Its score needs the keys ID and NAME.
    hints = ("NAME=",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip() and not line.startswith("#")]
        keys = {m.group(1) for line in lines if (m := _OS_RELEASE.match(line))}
        matched = sum(1 for line in lines if _OS_RELEASE.match(line))
        if {"ID", "NAME"} <= keys and matched >= 0.8 * len(lines):
            return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = _node(ctx)
        result = ParseResult(entities=[node])
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            found = _OS_RELEASE.match(line)
            if not found:
                result.malformed += 1
                continue
            name = _OS_KEYS.get(found.group(1))
            if name:
                evidence = Evidence(ctx.source, number, None, line.strip())
                result.facts.append(Fact(name, node, _unquote(found.group(2)), evidence))
        return result


class SystemdVersionFormat:
    name = "systemctl-version"
    hints = ("systemd",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if lines and _SYSTEMD.match(lines[0]):
            return 0.9 if len(lines) == 1 or _FEATURES.match(lines[1]) else 0.5
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = _node(ctx)
        result = ParseResult(entities=[node])
        for number, line in enumerate(text.splitlines(), start=1):
            found = _SYSTEMD.match(line)
            if found:
                evidence = Evidence(ctx.source, number, None, line.strip())
                version = int(found.group(1))
                result.facts.append(Fact("node.systemd.version", node, version, evidence))
            elif line.strip() and not _FEATURES.match(line):
                result.malformed += 1
        return result


class SystemdUnitsFormat:
    name = "systemctl-list-units"
    hints = (_UNIT_HEADER, _UNIT_ROW)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if any(_UNIT_HEADER.match(line) for line in lines[:3]):
            return 0.95
        rows = sum(1 for line in lines if _UNIT_ROW.match(line))
        if rows >= 3 and rows >= 0.8 * len(lines):
            return 0.8
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = _node(ctx)
        result = ParseResult(entities=[node])
        mounts = kubelet_mounts = 0
        seen_rows = False
        last_line = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or _UNIT_HEADER.match(line) or _LEGEND.match(line):
                continue
            row = _UNIT_ROW.match(line)
            if not row:
                result.malformed += 1
                continue
            seen_rows = True
            last_line = number
            unit, load, active, sub, _description = row.groups()
            if unit.endswith(".mount") and load == "loaded":
                mounts += 1
                kubelet_mounts += unit.startswith(_KUBELET_MOUNT)
            if active == "failed" or sub == "failed":
                result.records.append(
                    Record(" ".join(line.strip(" ●*").split()), number, entity=node)
                )
        if seen_rows:
            summary = Evidence(
                ctx.source,
                last_line,
                None,
                f"{mounts} loaded mount units, {kubelet_mounts} under /var/lib/kubelet/pods",
            )
            result.facts.append(Fact("node.systemd.mount_units", node, mounts, summary))
            result.facts.append(
                Fact("node.systemd.kubelet_mount_units", node, kubelet_mounts, summary)
            )
        return result


FORMATS = [UnameFormat(), OsReleaseFormat(), SystemdVersionFormat(), SystemdUnitsFormat()]
