"""JSON log lines: zap (etcd, containerd with JSON output) and klog's JSON format.

>>> line = ZAPJSON.parse_line('{"level":"warn","ts":"2021-09-10T17:14:50.5+0800","msg":"x"}')
>>> line.stamp.value.isoformat(), line.message
('2021-09-10T17:14:50.500000+08:00', 'x')
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from kubewhy.model.times import Stamp
from kubewhy.parsers.base import LogLine


def _stamp(ts: object) -> Stamp | None:
    if isinstance(ts, int | float):
        try:
            return Stamp(datetime.fromtimestamp(float(ts), UTC))
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(ts, str):
        text = ts.replace("Z", "+00:00")
        if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
            text = text[:-2] + ":" + text[-2:]
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return None
        return Stamp(value)
    return None


class ZapJsonFormat:
    name = "zapjson"
    # Its score counts JSON lines with a message key.
    hints = (re.compile(r'^\s*\{.*"(?:msg|message)"'),)

    def sniff(self, head: Sequence[str]) -> float:
        hits = 0
        for line in head:
            text = line.strip()
            if (
                text.startswith("{")
                and ('"msg"' in text or '"message"' in text)
                and ('"level"' in text or '"ts"' in text)
            ):
                hits += 1
        return 0.9 * hits / len(head) if head else 0.0

    def parse_line(self, line: str) -> LogLine | None:
        try:
            data = json.loads(line)
        except (ValueError, RecursionError):  # deep nesting is no zap line either
            return None
        if not isinstance(data, dict):
            return None
        message = str(data.get("msg") or data.get("message") or "")
        component = data.get("logger") if isinstance(data.get("logger"), str) else None
        return LogLine(_stamp(data.get("ts") or data.get("time")), None, component, message)


ZAPJSON = ZapJsonFormat()
FORMATS = [ZAPJSON]
