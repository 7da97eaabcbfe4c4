"""logrus text lines (dockerd, containerd, many CNI daemons): ``time="..." level=error msg="..."``.

>>> line = LOGRUS.parse_line('time="2019-03-01T10:00:00.1Z" level=error msg="start init process"')
>>> line.stamp.value.year, line.message
(2019, 'start init process')
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kubewhy.model.times import Stamp
from kubewhy.parsers.base import LogLine
from kubewhy.parsers.zapjson import _stamp

# A key starts a word: without the lookbehind, a long run of word characters with no "=" after
# it is tried from each of its positions (quadratic: a 70 kB run took minutes).
FIELD = re.compile(r'(?<!\w)(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


class LogrusFormat:
    name = "logrus"
    # Its score counts lines holding level= and msg=.
    hints = ("msg=",)

    def sniff(self, head: Sequence[str]) -> float:
        hits = sum(1 for line in head if "level=" in line and "msg=" in line)
        return 0.8 * hits / len(head) if head else 0.0

    def parse_line(self, line: str) -> LogLine | None:
        fields = {k: v.strip('"') for k, v in FIELD.findall(line)}
        if "msg" not in fields:
            return None
        stamp: Stamp | None = _stamp(fields["time"]) if "time" in fields else None
        return LogLine(stamp, None, None, fields["msg"])


LOGRUS = LogrusFormat()
FORMATS = [LOGRUS]
