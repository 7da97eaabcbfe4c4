"""Name-lookup times in a bare column, read only where the file or the command names them."""

from __future__ import annotations

from kubewhy.parsers.base import Context
from kubewhy.parsers.registry import detect
from kubewhy.parsers.timings import TIMINGS

# curl -w '%{time_namelookup}\n' output (six decimals), written for this test: fast lookups
# and two that took glibc's 5 s timeout.
COLUMN = "0.002679\n0.005958\n5.004311\n0.003107\n0.002889\n5.012442\n0.003336\n"


def _facts(text: str, ctx: Context) -> dict[str, object]:
    return {f.name: f.value for f in TIMINGS.parse(text, ctx).facts}


def test_the_file_name_says_what_the_numbers_time() -> None:
    facts = _facts(COLUMN, Context("node-3/curl-time-namelookup.txt"))
    assert facts["dns.lookups_at_timeout"] == 2
    assert facts["dns.lookup_samples"] == 7
    assert detect(COLUMN.splitlines()).document is TIMINGS


def test_the_command_says_it_too() -> None:
    command = "for i in $(seq 7); do curl -so /dev/null -w '%{time_namelookup}\\n' http://web; done"
    assert _facts(COLUMN, Context("terminal.txt", command=command))["dns.lookups_at_timeout"] == 2


def test_unnamed_numbers_and_short_columns_say_nothing() -> None:
    assert _facts(COLUMN, Context("latency.txt")) == {}
    assert _facts("0.002\n5.004\n", Context("namelookup.txt")) == {}
    # a line that is not a time is skipped, the rest still counts
    facts = _facts(COLUMN + "curl: (6) Could not resolve host\n", Context("namelookup.txt"))
    assert facts["dns.lookup_samples"] == 7
