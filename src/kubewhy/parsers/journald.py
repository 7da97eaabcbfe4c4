"""journald and syslog text: ``journalctl`` short, short-iso and short-precise output,
/var/log/messages and /var/log/syslog, including ``-- Reboot --`` markers.

>>> line = JOURNALD.parse_line("Jun 14 13:14:38 host-172-21 kernel: kernel BUG at fs.h:2582!")
>>> line.host, line.component, line.stamp.has_year
('host-172-21', 'kernel', False)
>>> line = JOURNALD.parse_line("2023-07-23T22:09:01+0800 node-xx kubelet[1234]: I0723 22:09:01 x")
>>> line.stamp.value.isoformat(), line.component
('2023-07-23T22:09:01+08:00', 'kubelet')
>>> JOURNALD.parse_line("containerd[2206]: level=error msg=x").component
'containerd'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from kubewhy.model.components import of_journal_identifier
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import LogLine

MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTHS = {m: i for i, m in enumerate(MONTH_NAMES, 1)}
SHORT = re.compile(
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(\.\d+)? "
    r"(\S+) ([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)"
)
ISO = re.compile(
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d:?\d\d|Z)? "
    r"(\S+) ([^\s\[:]+)(?:\[(\d+)\])?: ?(.*)"
)
MARKER = re.compile(r"-- (Reboot|Logs begin at|Journal begins at|No entries)")
# A journal line whose time and host the person pasting it cut off, as threads quote them
# ("containerd[2206]: msg"): the identifier still names the writer. The process id is required,
# so a "word: text" line of any other log is not taken for one.
BARE = re.compile(r"([A-Za-z][\w.@-]*)\[(\d+)\]: ?(.*)")
# Bare lines are a weaker sign than stamped ones: a program's log may name itself so.
BARE_SHARE = 0.8
# What a host name can be (RFC 1123 labels, and the underscores some images put in them): a
# redaction like "<IP>" or "[host]" in the host field names no host.
_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _sniff_weight(line: str) -> float:
    """How much one line of a head says "journal": a stamped line fully, a bare one less."""
    if SHORT.match(line) or ISO.match(line) or MARKER.match(line):
        return 1.0
    return BARE_SHARE if BARE.match(line) else 0.0


def _host(field: str) -> str | None:
    return field if _HOST.match(field) else None


def _iso_stamp(text: str, zone: str | None) -> Stamp | None:
    try:
        if zone and zone != "Z":
            zone = zone if ":" in zone else zone[:3] + ":" + zone[3:]
            return Stamp(datetime.fromisoformat(text + zone))
        value = datetime.fromisoformat(text + ("+00:00" if zone == "Z" else ""))
    except ValueError:
        return None
    return Stamp(value)


class JournaldFormat:
    name = "journald"
    # The starts of what its score counts.
    hints = (
        re.compile(r"^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d\d:"),
        re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"),
        re.compile(r"^-- (?:Reboot|Logs begin at|Journal begins at|No entries)"),
        re.compile(r"^[A-Za-z][\w.@-]*\[\d+\]:"),
    )

    def sniff(self, head: Sequence[str]) -> float:
        hits = sum(_sniff_weight(line) for line in head)
        return 0.85 * hits / len(head) if head else 0.0

    def parse_line(self, line: str) -> LogLine | None:
        found = SHORT.match(line)
        if found:
            month = MONTHS[found.group(1)]
            micro = int(float(found.group(6)) * 1e6) if found.group(6) else 0
            try:
                value = datetime(
                    1900,
                    month,
                    int(found.group(2)),
                    int(found.group(3)),
                    int(found.group(4)),
                    int(found.group(5)),
                    micro,
                )
                stamp: Stamp | None = Stamp(value, has_year=False)
            except ValueError:
                stamp = None
            return LogLine(
                stamp, _host(found.group(7)), of_journal_identifier(found.group(8)), found.group(10)
            )
        found = ISO.match(line)
        if found:
            stamp = _iso_stamp(found.group(1), found.group(2))
            return LogLine(
                stamp, _host(found.group(3)), of_journal_identifier(found.group(4)), found.group(6)
            )
        if MARKER.match(line):
            return LogLine(None, None, "journald", line.strip())
        found = BARE.match(line)
        if found:
            return LogLine(None, None, of_journal_identifier(found.group(1)), found.group(3))
        return None


def journal_host(line: str) -> str | None:
    """The host :meth:`JournaldFormat.parse_line` reads from ``line``, without reading its time
    and unit (the hosts of every journal's head are read, thousands of small logs).

    >>> journal_host("Jun 14 13:14:38 host-172-21 kernel: x"), journal_host("-- Reboot --")
    ('host-172-21', None)
    """
    found = SHORT.match(line)
    if found:
        return _host(found.group(7))
    found = ISO.match(line)
    return _host(found.group(3)) if found else None


JOURNALD = JournaldFormat()
FORMATS = [JOURNALD]
