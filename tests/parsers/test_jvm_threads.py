"""Java thread dumps: threads grouped by name, and a steady beat of starts told from a pool.

The leaking group's header lines are as posted in DataDog/jmxfetch#370 (a monitored server's
jstack); the healthy dump's lines are HotSpot's usual threads, written in its header format.
"""

from __future__ import annotations

from pathlib import Path

from kubewhy.parsers.base import Context
from kubewhy.parsers.jvm_threads import JVM_THREAD_DUMP

DATA = Path(__file__).parent / "data" / "jvm"
# public: DataDog/jmxfetch#370 (jstack, header lines only)
LEAKING = (DATA / "jmxfetch-370-jstack.txt").read_text()
# HotSpot's own threads and a small pool, all started together at boot (written in its format)
HEALTHY = (DATA / "healthy-jstack.txt").read_text()


def _facts(text: str) -> dict[str, object]:
    result = JVM_THREAD_DUMP.parse(text, Context("jstack.txt"))
    return {f.name: f.value for f in result.facts}


def test_a_group_started_at_a_steady_beat_is_stated_with_its_beat() -> None:
    assert JVM_THREAD_DUMP.sniff(LEAKING.splitlines()) > 0.5
    facts = _facts(LEAKING)
    assert facts["jvm.thread_group"] == "JMX server connection timeout N"
    assert facts["jvm.thread_group_count"] == 6
    # The excerpt skips two threads (a gap of three beats): the beat still holds.
    assert facts["jvm.thread_group_cadence_seconds"] == 301
    record = JVM_THREAD_DUMP.parse(LEAKING, Context("jstack.txt")).records[0]
    assert record.text.endswith("one started every 301 s, the oldest 7989 s ago")


def test_a_pool_started_together_has_no_beat() -> None:
    assert JVM_THREAD_DUMP.sniff(HEALTHY.splitlines()) > 0.5
    facts = _facts(HEALTHY)
    assert facts["jvm.threads"] == 5
    assert facts["jvm.thread_group"] == "http-nio-N-exec-N"
    assert "jvm.thread_group_cadence_seconds" not in facts
