"""The report of ``inotify-info`` (github.com/mikesart/inotify-info): the node's inotify limits,
then one row per process holding inotify instances (its watches and instances), then totals.

Two layouts are in use: older releases print ``max_user_instances: 128`` and the columns
``Pid App Watches Instances``; newer ones drop the colon, group digits (``500,132``) and add a
``Uid`` column. The limits are per user, so with a ``Uid`` column the instances of the user
holding most are what counts against ``max_user_instances``; without it, the listed total.

>>> from kubewhy.parsers.base import Context
>>> text = '''INotify Limits:
...   max_user_instances   128
...   max_user_watches     500,132
...        Pid Uid        App                       Watches  Instances
...       1760 0          kubelet                       364          6
...      39697 0          containerd-shim-runc-v2        12         90
...        981 991        polkitd                         7          2'''
>>> facts = {f.name: f.value for f in INOTIFY_INFO.parse(text, Context("i")).facts}
>>> facts["sysctl.fs.inotify.max_user_instances"], facts["node.inotify.instances"]
(128, 96)
>>> facts["node.inotify.top_holder"], facts["node.inotify.top_process_instances"]
('containerd-shim-runc-v2', 90)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult

_LIMIT = re.compile(r"^\s*(max_user_instances|max_user_watches|max_queued_events):?\s+([\d,]+)\s*$")
_HEADER = re.compile(r"^\s*Pid\s+(?:Uid\s+)?App\s+Watches\s+Instances\s*$")
# pid, [uid], the program's name (it may hold spaces), watches, instances.
_ROW = re.compile(r"^\s*(\d+)\s+(?:(\d+)\s+)?(\S.*?)\s+([\d,]+)\s+([\d,]+)\s*$")
_TOTAL = re.compile(r"^Total inotify (Watches|Instances):\s+([\d,]+)\s*$")


def _number(text: str) -> int:
    return int(text.replace(",", ""))


class InotifyInfo:
    name = "inotify-info"
    hints = ("INotify Limits:", "Instances")

    def sniff(self, head: Sequence[str]) -> float:
        for line in head:
            if line.startswith("INotify Limits:"):
                return 0.95
            if _HEADER.match(line):
                return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])

        def fact(name: str, value: Value, line: int, shown: str) -> None:
            evidence = Evidence(ctx.source, line, None, shown.strip())
            result.facts.append(Fact(name, node, value, evidence))

        with_uid = False
        in_table = False
        per_user: dict[str, int] = {}
        top: tuple[int, str, int, str] | None = None  # instances, program, line, text
        first: tuple[int, str] | None = None
        totals: dict[str, tuple[int, int, str]] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if (limit := _LIMIT.match(line)) is not None:
                fact(f"sysctl.fs.inotify.{limit.group(1)}", _number(limit.group(2)), number, line)
            elif _HEADER.match(line):
                in_table, with_uid = True, "Uid" in line.split()
            elif (total := _TOTAL.match(line.strip())) is not None:
                totals[total.group(1)] = (_number(total.group(2)), number, line)
                in_table = False
            elif in_table and (row := _ROW.match(line)) is not None:
                if with_uid != (row.group(2) is not None):
                    result.malformed += 1
                    continue
                instances = _number(row.group(5))
                user = row.group(2) or ""
                per_user[user] = per_user.get(user, 0) + instances
                first = first or (number, line)
                if top is None or instances > top[0]:
                    top = (instances, row.group(3), number, line)
        if top is not None and first is not None:
            held = max(per_user.values())
            listed = totals.get("Instances")
            if listed is not None and not with_uid:
                fact("node.inotify.instances", max(held, listed[0]), listed[1], listed[2])
            else:
                fact("node.inotify.instances", held, first[0], first[1])
            instances, program, number, shown = top
            fact("node.inotify.top_holder", program, number, shown)
            fact("node.inotify.top_holder_instances", instances, number, shown)
            fact("node.inotify.top_process_instances", instances, number, shown)
        if "Watches" in totals:
            watches, number, shown = totals["Watches"]
            fact("node.inotify.watches", watches, number, shown)
        return result


INOTIFY_INFO = InotifyInfo()
FORMATS = [INOTIFY_INFO]
