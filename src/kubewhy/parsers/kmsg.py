"""Kernel log: ``dmesg`` (``[  123.456789] msg``), ``dmesg -T``
(``[Sun Jun 14 13:14:38 2020] msg``), ``dmesg -r`` (``<6>[  123.456789] msg``: the record's
syslog priority first, as Talos's dmesg prints it too) and raw ``/dev/kmsg`` records
(``6,1234,5678901,-;msg``).

Seconds since boot are stamped as such: they become wall-clock time where the boot time of the
machine is known (a live node, a node bundle), and no time otherwise.

>>> KMSG.parse_line("[Sun Jun 14 13:14:38 2020] kernel BUG at fs.h:2582!").stamp.value.year
2020
>>> KMSG.parse_line("[  123.456789] Out of memory: Killed process 4242 (stress)").message
'Out of memory: Killed process 4242 (stress)'
>>> KMSG.parse_line("<6>[ 1205.517883] Task in /system/docker killed").message
'Task in /system/docker killed'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import LogLine

# dmesg --raw (and Talos's dmesg) put the record's "<priority>" before its time.
UPTIME = lazy_compile(r"(?:<\d{1,3}>)?\[\s*(\d+)\.(\d+)\] ?(.*)")
HUMAN = lazy_compile(r"(?:<\d{1,3}>)?\[(\w{3} \w{3} +\d{1,2} \d\d:\d\d:\d\d \d{4})\] ?(.*)")
RAW = lazy_compile(r"(\d+),(\d+),(\d+),[^;]*;(.*)")


class KmsgFormat:
    name = "kmsg"
    # The starts of the three patterns its score counts.
    hints = (
        re.compile(r"^(?:<\d{1,3}>)?\[\s*\d+\.\d+\]"),
        re.compile(r"^(?:<\d{1,3}>)?\[\w{3} \w{3} +\d{1,2} \d\d:\d\d:\d\d \d{4}\]"),
        re.compile(r"^\d+,\d+,\d+,[^;]*;"),
    )

    def sniff(self, head: Sequence[str]) -> float:
        hits = sum(1 for line in head if UPTIME.match(line) or HUMAN.match(line) or RAW.match(line))
        return 0.85 * hits / len(head) if head else 0.0

    def parse_line(self, line: str) -> LogLine | None:
        found = HUMAN.match(line)
        if found:
            try:
                value = datetime.strptime(found.group(1), "%a %b %d %H:%M:%S %Y")
            except ValueError:
                return LogLine(None, None, "kernel", found.group(2))
            return LogLine(Stamp(value), None, "kernel", found.group(2))
        found = UPTIME.match(line)
        if found:
            seconds = float(f"{found.group(1)}.{found.group(2)}")
            return LogLine(Stamp.after_boot(seconds), None, "kernel", found.group(3))
        found = RAW.match(line)
        if found:
            seconds = int(found.group(3)) / 1e6
            return LogLine(Stamp.after_boot(seconds), None, "kernel", found.group(4))
        return None


KMSG = KmsgFormat()
FORMATS = [KMSG]
