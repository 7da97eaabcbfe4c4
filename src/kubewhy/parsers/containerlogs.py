"""Container log files as the runtime writes them: each line of a container's output wrapped with
the time the runtime received it.

- Docker's ``json-file`` driver (``/var/lib/docker/containers/<id>/<id>-json.log``, and the
  ``/var/log/containers`` links of dockershim nodes): one JSON object per line,
  ``{"log":"<line>\\n","stream":"stdout|stderr","time":"<RFC 3339, nanoseconds>"}``
  (moby daemon/logger/jsonfilelog).
- The CRI format of containerd and CRI-O (``/var/log/pods/...``): ``<RFC 3339 nano> <stream>
  <P|F> <line>``, P for a partial line continued on the next (Kubernetes' CRI logging design,
  kubelet pkg/kubelet/kuberuntime/logs).

The wrapper's time dates the line; the message is the program's own line, which the knowledge
base's patterns read as usual.

>>> line = CONTAINER_LOG.parse_line(
...     '{"log":"raft2020/06/21 05:43:24 INFO: e1 is starting a new election at term 9780\\\\n",'
...     '"stream":"stderr","time":"2020-06-21T05:43:24.141343148Z"}')
>>> line.stamp.value.isoformat(), line.message[:23]
('2020-06-21T05:43:24.141343+00:00', 'raft2020/06/21 05:43:24')
>>> CONTAINER_LOG.parse_line("2024-05-31T10:00:00.000000000Z stderr F fatal error: x").message
'fatal error: x'
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from kubewhy.model.times import Stamp
from kubewhy.parsers.base import LogLine
from kubewhy.parsers.zapjson import _stamp

_CRI = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) [PF] (.*)$"
)
_DOCKER_KEYS = ('"log":', '"stream":', '"time":')


def _nanoseconds_cut(text: str) -> str:
    """RFC 3339 with nanoseconds, cut to the microseconds ``datetime`` holds."""
    return re.sub(r"(\.\d{6})\d+", r"\1", text)


class ContainerLogFormat:
    name = "container-log"
    # Its score counts CRI lines and Docker's JSON lines.
    hints = (_CRI, '"log":')

    def sniff(self, head: Sequence[str]) -> float:
        hits = sum(
            1
            for line in head
            if _CRI.match(line)
            or (line.lstrip().startswith("{") and all(k in line for k in _DOCKER_KEYS))
        )
        return 0.92 * hits / len(head) if head else 0.0

    def parse_line(self, line: str) -> LogLine | None:
        found = _CRI.match(line)
        if found:
            return LogLine(_stamp(_nanoseconds_cut(found.group(1))), None, None, found.group(3))
        text = line.strip()
        if not text.startswith("{"):
            return None
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("log"), str):
            return None
        stamp: Stamp | None = None
        if isinstance(data.get("time"), str):
            stamp = _stamp(_nanoseconds_cut(data["time"]))
        return LogLine(stamp, None, None, data["log"].rstrip("\n"))


CONTAINER_LOG = ContainerLogFormat()
FORMATS = [CONTAINER_LOG]
