"""A saved Prometheus answer is named by the query the export's listing says made it."""

from __future__ import annotations

import json
from pathlib import Path

from kubewhy.parsers.read import parse_inputs
from kubewhy.sources.files import open_inputs

# The API's answer shape (/api/v1/query, an aggregation: no __name__), written for this test.
ANSWER = {
    "status": "success",
    "data": {
        "resultType": "vector",
        "result": [
            {
                "metric": {"container": "app", "namespace": "shop", "pod": "app-1"},
                "value": [1690121400, "43641"],
            }
        ],
    },
}


def _facts(folder: Path) -> dict[str, object]:
    with open_inputs([folder]) as inputs:
        parsed = parse_inputs(inputs)
    return {f.name: f.value for d in parsed.documents for f in d.result.facts}


def test_the_listing_names_the_query_of_each_answer(tmp_path: Path) -> None:
    (tmp_path / "top.json").write_text(json.dumps(ANSWER))
    (tmp_path / "queries.txt").write_text(
        "curl -sG $API/query --data-urlencode 'query=topk(6, sum by (namespace, pod, container)"
        ' (container_threads{node="n1"}))\' -d time=1690121400 > top.json\n'
    )
    assert _facts(tmp_path)["container.threads"] == 43641


def test_a_query_file_beside_the_answer(tmp_path: Path) -> None:
    (tmp_path / "top.json").write_text(json.dumps(ANSWER))
    (tmp_path / "top.query.txt").write_text("sum by (pod, container) (container_threads)\n")
    assert _facts(tmp_path)["container.threads"] == 43641


def test_without_either_the_answer_is_only_a_record(tmp_path: Path) -> None:
    (tmp_path / "top.json").write_text(json.dumps(ANSWER))
    assert "container.threads" not in _facts(tmp_path)
