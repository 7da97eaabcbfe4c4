"""The text report shows when a group's goroutines got stuck (the wait-time distribution),
while the JSON contract stays as it is."""

from __future__ import annotations

from kubewhy.facts.goroutines import analyze
from kubewhy.parsers.goroutines import parse_goroutine_lines
from kubewhy.reports.goroutines import render

STACK = """goroutine {id} [chan send, {minutes} minutes]:
main.distribute(0xc000010000)
\t/src/main.go:20 +0x45
created by main.main
\t/src/main.go:30 +0x6b
"""


def test_wait_spread_in_text_not_in_json() -> None:
    text = "".join(STACK.format(id=i, minutes=m) for i, m in enumerate([3, 3, 45, 400], 1))
    report = analyze(parse_goroutine_lines(text.splitlines()))
    (group,) = report.groups
    assert group.waits == {"1-9": 2, "10-59": 1, "300-1439": 1}
    assert "waited 1-9 min: 2, 10-59 min: 1, 300-1439 min: 1" in render(report, "text")
    assert "waits" not in report.model_dump()["groups"][0]
