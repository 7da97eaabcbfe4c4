"""Counters read as one sum over their matching series: the API server's 429 answers in a scrape
of its /metrics. The lines marked "public" are as posted in the thread named."""

from __future__ import annotations

from pathlib import Path

from kubewhy.model.metric_families import wanted_line
from kubewhy.parsers.base import Context
from kubewhy.parsers.promtext import PromTextFormat
from kubewhy.pipeline import Request, diagnose

# public: cloudnative-pg/cloudnative-pg#10918 (kube-apiserver's /metrics, grep code="429"; four of
# the six lines posted)
REFUSED = """\
apiserver_request_total{code="429",group="coordination.k8s.io",resource="leases",verb="GET"} 87
apiserver_request_total{code="429",group="coordination.k8s.io",resource="leases",verb="PUT"} 9
apiserver_request_total{code="429",group="postgresql.cnpg.io",resource="clusters",verb="GET"} 789
apiserver_request_total{code="429",group="postgresql.cnpg.io",resource="backups",verb="WATCH"} 1
"""
# built in the same exposition: answers that were not refused, and a few refusals
CALM = """\
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",resource="pods",verb="LIST"} 120433
apiserver_request_total{code="429",resource="pods",verb="LIST"} 3
apiserver_request_total{code="429",resource="pods",verb="WATCH"} oops
"""


def _facts(text: str) -> dict[str, object]:
    result = PromTextFormat().parse(text, Context("metrics.txt"))
    return {f"{f.entity.name}:{f.name}": f.value for f in result.facts}


def test_the_429s_of_every_series_are_summed_for_the_api_server() -> None:
    assert _facts(REFUSED) == {"kube-apiserver:metrics.apiserver_requests_429_total": 886}


def test_other_codes_are_not_counted_and_a_bad_value_is_malformed() -> None:
    result = PromTextFormat().parse(CALM, Context("metrics.txt"))
    assert [(f.name, f.value) for f in result.facts] == [
        ("metrics.apiserver_requests_429_total", 3)
    ]
    assert result.malformed == 1


def test_collectors_keep_the_counter_lines() -> None:
    assert wanted_line(REFUSED.splitlines()[0])
    assert wanted_line("# TYPE apiserver_request_total counter")
    assert not wanted_line('apiserver_request_duration_seconds_count{verb="GET"} 4')


def test_hundreds_of_refusals_are_an_overload_and_a_few_are_not(tmp_path: Path) -> None:
    (tmp_path / "metrics.txt").write_text(REFUSED)
    found = diagnose(Request(paths=(tmp_path,))).findings
    assert [(f.failure_mode, f.entity.name) for f in found] == [
        ("apiserver-overload", "kube-apiserver")
    ]
    (tmp_path / "metrics.txt").write_text(CALM)
    assert diagnose(Request(paths=(tmp_path,))).findings == []
