"""Saved Prometheus HTTP API answers."""

from __future__ import annotations

from kubewhy.parsers.base import Context
from kubewhy.parsers.promjson import PromJsonFormat, query_metric

FORMAT = PromJsonFormat()
NODE = "cn-hangzhou.172.21.128.138"


def test_container_threads_matrix_peaks(parse, facts_by_entity) -> None:
    result = parse(FORMAT, "prometheus_container_threads.json")
    threads = facts_by_entity(result, "container.threads")
    assert threads == {
        "container/jobs/cron-7d9f8-abcde/supercronic": 46120,
        "container/prod/web-1/app": 47,  # NaN samples are skipped
    }
    entity = next(f.entity for f in result.facts if f.name == "container.threads")
    assert entity.node == NODE
    # The pause container ("POD") is the pod's, not a container of its own.
    assert facts_by_entity(result, "metrics.container_threads_sum") == {
        "pod/jobs/cron-7d9f8-abcde": 1
    }
    peak = next(r for r in result.records if "supercronic" in r.text)
    assert peak.text.startswith('container_threads{container="supercronic"')
    assert "= 46120" in peak.text
    assert peak.stamp is not None and peak.stamp.value.timestamp() == 1592112300
    assert result.malformed == 0


def test_node_sum_named_from_the_query_line(parse, facts_by_entity) -> None:
    result = parse(FORMAT, "prometheus_threads_sum.json")
    assert facts_by_entity(result, "metrics.container_threads_sum") == {f"node/{NODE}": 48213}
    assert result.records[0].line == 4


def test_docs_example_is_generic_metric(parse, facts) -> None:
    result = parse(FORMAT, "prometheus_up_vector.json")
    assert sorted(facts(result, "metrics.up")) == [0, 1]
    assert {f.entity.kind for f in result.facts} == {"cluster"}
    assert len(result.records) == 2


def test_node_exporter_metrics_map_to_node_facts() -> None:
    series = [
        ('"node_processes_threads"', "812"),
        ('"node_processes_max_threads"', "1031126"),
        ('"node_processes_max_processes"', "49152"),
        ('"node_processes_pids"', "300"),
    ]
    result_items = ",".join(
        f'{{"metric":{{"__name__":{name},"instance":"n1:9100"}},"value":[1700000000,"{value}"]}}'
        for name, value in series
    )
    zombies = '{"metric":{"__name__":"node_processes_state","state":"Z","instance":"n1:9100"},'
    zombies += '"value":[1700000000,"7"]}'
    text = (
        '{"status":"success","data":{"resultType":"vector","result":['
        + result_items
        + ","
        + zombies
        + "]}}"
    )
    result = FORMAT.parse(text, Context("q"))
    assert {f.name: f.value for f in result.facts} == {
        "node.threads.total": 812,
        "sysctl.kernel.threads_max": 1031126,
        "sysctl.kernel.pid_max": 49152,
        "node.processes.total": 300,
        "node.zombies.total": 7,
    }
    assert {f.entity.ref() for f in result.facts} == {"node/n1"}


def test_error_answer_and_garbage() -> None:
    error = '{"status":"error","errorType":"bad_data","error":"parse error at char 5"}'
    result = FORMAT.parse(error, Context("e"))
    assert result.facts == [] and result.malformed == 1
    assert "bad_data" in result.records[0].text
    assert FORMAT.parse("not json at all", Context("g")).malformed == 1


def test_query_metric() -> None:
    assert query_metric('sum(container_threads{node="x"}) by (node)') == "container_threads"
    assert query_metric("max_over_time(node_processes_threads[1h])") == "node_processes_threads"
    assert query_metric("vector(1)") is None


def test_unnamed_series_named_from_the_file_name() -> None:
    body = '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},'
    body += '"values":[[1690119600,"2897"],[1690119630,"46035"]]}]}}'
    ctx = Context("bundle.tgz!prom-query_range-sum-container_threads-node-xx.json", node="node-xx")
    result = FORMAT.parse(body, ctx)
    assert [(f.name, f.entity.ref(), f.value) for f in result.facts] == [
        ("metrics.container_threads_sum", "node/node-xx", 46035)
    ]
    anonymous = FORMAT.parse(body, Context("answer.json"))
    assert anonymous.facts == [] and len(anonymous.records) == 1


def test_rate_of_a_node_exporter_counter_is_the_nodes() -> None:
    body = (
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":'
        '{"container":"node-exporter","instance":"10.20.14.37:9100","pod":"node-exporter-9zqfk",'
        '"namespace":"monitoring"},"values":[[1690119600,"34.5"],[1690119630,"999.7"]]}]}}'
    )
    result = FORMAT.parse(body, Context("prom-query_range-rate-node_forks_total.json"))
    assert [(f.name, f.entity.ref(), f.value) for f in result.facts] == [
        ("metrics.node_forks_total_rate", "node/10.20.14.37", 999.7)
    ]


def test_a_sample_time_past_year_9999_costs_that_series_only() -> None:
    """A fuzzed answer once lost every series to one time no clock shows (OverflowError)."""
    text = (
        '{"status":"success","data":{"resultType":"vector","result":['
        '{"metric":{"__name__":"node_processes_threads","instance":"a:9100"},'
        '"value":[15921121e309,"48213"]},'
        '{"metric":{"__name__":"node_processes_threads","instance":"b:9100"},'
        '"value":[1700000000,"812"]},'
        '{"metric":{"__name__":"node_processes_threads","instance":"c:9100"},'
        '"value":[1e300,"7"]},'
        '{"metric":"not a series"}]}}'
    )
    result = FORMAT.parse(text, Context("q.json"))
    threads = {f.entity.name: f.value for f in result.facts if f.name == "node.threads.total"}
    assert threads == {"a": 48213, "b": 812, "c": 7}  # values kept, times dropped
    stamped = [r for r in result.records if r.stamp is not None]
    assert [r.text for r in stamped] == ['node_processes_threads{instance="b:9100"} = 812']
    assert result.malformed == 1  # the series that is not one
