"""Container runtimes' event streams: ``docker events`` and ``ctr events``.

``docker events`` prints ``<RFC 3339 nano> <type> <action> <id> (<attr>=<value>, ...)`` (docker
CLI cli/command/system/events.go printOutput); a Kubernetes container's ``name`` attribute is
dockershim's ``k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`` (pkg/kubelet/dockershim
naming.go). ``ctr events`` prints ``<time> <namespace> <topic> <event JSON>`` with topics such as
``/tasks/oom`` and ``/tasks/exit`` (containerd cmd/ctr/commands/events). Each event becomes a
record about its container, with its time, so that an ``oom`` or ``die`` event is matched where
it happened; read as a journal they would invent a node named ``container``.

>>> r = RUNTIME_EVENTS.parse(
...     "2024-03-01T10:00:00.000000000Z container oom 0f1e2d3c4b5a (image=java:17, "
...     "name=k8s_app_web-1_prod_abc_0)\\n", Context("events.txt"))
>>> r.records[0].entity.ref(), r.records[0].component
('container/prod/web-1/app', 'docker')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from kubewhy.model.entities import Entity
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import Context, ParseResult, Record

_DOCKER = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) "
    r"(?P<type>container|image|network|volume|daemon|plugin|service|node|secret|config) "
    r"(?P<action>[\w:. -]+?) (?P<id>[0-9a-f]{12,64}|\S+)(?: \((?P<attrs>.*)\))?\s*$"
)
_CTR = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4}) UTC "
    r"(?P<ns>\S+) (?P<topic>/(?:tasks|containers|images|namespaces|snapshot|content)/\S*)"
)
_K8S_NAME = re.compile(r"^k8s_(?P<container>[^_]+)_(?P<pod>[^_]+)_(?P<namespace>[^_]+)_")


class RuntimeEvents:
    name = "runtime-events"
    hints = (_DOCKER, _CTR)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        hits = sum(1 for line in lines if _DOCKER.match(line) or _CTR.match(line))
        return 0.9 * hits / len(lines) if hits >= max(1, len(lines) // 2) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        for number, line in enumerate(text.splitlines(), 1):
            docker = _DOCKER.match(line)
            if docker:
                when = _moment(docker.group("time").replace("Z", "+00:00"))
                attrs = _attrs(docker.group("attrs") or "")
                entity = _container(attrs.get("name", ""), ctx)
                result.records.append(Record(line, number, when, entity, "docker"))
                continue
            ctr = _CTR.match(line)
            if ctr:
                when = _moment(ctr.group("time"), "%Y-%m-%d %H:%M:%S.%f %z")
                result.records.append(Record(line, number, when, None, "containerd"))
            elif line.strip():
                result.malformed += 1
        return result


def _moment(text: str, layout: str | None = None) -> Stamp | None:
    try:
        if layout is None:
            # Python before 3.11 parsed at most microseconds; keep six digits of nanoseconds.
            text = re.sub(r"(\.\d{6})\d+", r"\1", text)
            return Stamp(datetime.fromisoformat(text))
        return Stamp(datetime.strptime(re.sub(r"(\.\d{6})\d+", r"\1", text), layout))
    except ValueError:
        return None


def _attrs(text: str) -> dict[str, str]:
    pairs = (part.split("=", 1) for part in text.split(", ") if "=" in part)
    return {key.strip(): value.strip() for key, value in pairs}


def _container(name: str, ctx: Context) -> Entity | None:
    found = _K8S_NAME.match(name)
    if found is None:
        return None
    return Entity.container(
        found.group("container"), found.group("pod"), found.group("namespace"), ctx.node
    )


RUNTIME_EVENTS = RuntimeEvents()
FORMATS = [RUNTIME_EVENTS]
