"""klog lines, the format of every Kubernetes component's own log.

``Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`` with L in I, W, E, F. No year, no zone: the
timeline supplies them.

>>> line = KLOG.parse_line("I0907 07:04:17.611412       1 trace.go:116] Trace[1140445702]: Get")
>>> line.stamp.value.month, line.stamp.has_year, line.message
(9, False, 'Trace[1140445702]: Get')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from kubewhy.model.times import Stamp
from kubewhy.parsers.base import LogLine

HEADER = re.compile(
    r"([IWEF])(\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})\s+\d+ [^\s:\]]+:\d+\] ?(.*)"
)
SEVERITY = {"I": "info", "W": "warning", "E": "error", "F": "fatal"}


def klog_stamp(match: re.Match[str]) -> Stamp | None:
    month, day, hour, minute, second, micro = (int(match.group(i)) for i in range(2, 8))
    try:
        return Stamp(datetime(1900, month, day, hour, minute, second, micro), has_year=False)
    except ValueError:
        return None


class KlogFormat:
    name = "klog"
    # The start of HEADER, which its score counts.
    hints = (re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ "),)

    def sniff(self, head: Sequence[str]) -> float:
        hits = sum(1 for line in head if HEADER.match(line))
        return 0.9 * hits / len(head) if head else 0.0

    def parse_line(self, line: str) -> LogLine | None:
        found = HEADER.search(line)
        if found is None:
            return None
        return LogLine(klog_stamp(found), None, None, found.group(8))


KLOG = KlogFormat()
FORMATS = [KLOG]
