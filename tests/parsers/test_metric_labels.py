"""Series labels -> entities: one rule for the text format, query answers and trends."""

from __future__ import annotations

from kubewhy.parsers.base import Context
from kubewhy.parsers.metric_labels import series_entity, series_node
from kubewhy.parsers.promjson import PromJsonFormat
from kubewhy.parsers.promtext import PromTextFormat

LABELS = {"namespace": "shop", "pod": "web-1", "container": "app", "node": "n1"}


def test_entities_follow_the_evidence_kind() -> None:
    assert series_entity(LABELS, "container").ref() == "container/shop/web-1/app"
    assert series_entity(LABELS, "pod").ref() == "pod/shop/web-1"
    assert series_entity(LABELS, "node").ref() == "node/n1"
    assert series_entity(LABELS, "cluster").ref() == "cluster/cluster"
    assert series_entity({"instance": "10.0.0.8:9100"}, "node").ref() == "node/10.0.0.8"
    assert series_entity({"job": "apiserver", "instance": "10.0.0.8:6443"}, "component") == (
        series_entity({"job": "apiserver"}, "component", default_node="10.0.0.8")
    )
    assert series_entity({"pod": "p", "container": "POD"}, "container").kind == "pod"
    assert series_entity({"node": "n1"}, "component").ref() == "node/n1"
    assert series_entity({}, "node").kind == "cluster"


def test_without_a_kind_the_most_specific_entity_and_a_container_needs_its_pod() -> None:
    assert series_entity(LABELS).ref() == "container/shop/web-1/app"
    assert series_entity({"container": "app", "node": "n1"}).ref() == "node/n1"
    assert series_entity({"container": "app", "node": "n1"}, "container").name == "app"
    assert series_entity({"pod_name": "web-1", "container_name": "app"}).name == "web-1/app"
    assert series_entity({"pod": "web-1", "namespace": ""}).namespace is None  # unknown
    assert series_entity({}).kind == "cluster"
    assert series_entity({}, default_node="n2").ref() == "node/n2"


def test_the_node_from_its_labels_or_its_scrape_target() -> None:
    assert series_node({"kubernetes_io_hostname": "h1", "instance": "10.0.0.8:9100"}) == "h1"
    assert series_node({"instance": "10.0.0.8:9100"}) == "10.0.0.8"
    assert series_node({"instance": "10.0.0.8:9100"}, instance_is_node=False) is None
    assert series_node({"kubernetes_io_hostname": "h1"}, ("node",)) is None


def test_a_query_answer_reads_the_target_as_the_node_only_for_per_node_exporters() -> None:
    def entity(metric: str, labels: str) -> str:
        body = (
            '{"status":"success","data":{"resultType":"vector","result":[{"metric":'
            f'{{"__name__":"{metric}",{labels}}},"value":[1700000000,"5"]}}]}}}}'
        )
        (series,) = PromJsonFormat().parse(body, Context("q.json")).records
        assert series.entity is not None
        return series.entity.ref()

    target = '"instance":"10.0.0.8:9100"'
    assert entity("node_processes_threads", f'{target},"pod":"exporter-x"') == "node/10.0.0.8"
    assert entity("container_threads", f'{target},"pod":"web-1"') == "pod/web-1"
    assert entity("apiserver_request_total", target) == "cluster/cluster"


def test_the_text_format_takes_the_node_from_node_or_the_target_only() -> None:
    text = 'container_threads{pod="web-1",container="app",kubernetes_io_hostname="h1"} 7\n'
    (fact,) = PromTextFormat().parse(text, Context("m.txt", node="n1")).facts
    assert (fact.entity.ref(), fact.entity.node) == ("container/web-1/app", "n1")
