"""Event tables and the console export."""

from __future__ import annotations

from kubewhy.parsers.base import Context
from kubewhy.parsers.events import EventExportFormat, GetEventsFormat

FORMAT = GetEventsFormat()


def test_get_events_all_namespaces(parse, facts_by_entity) -> None:
    result = parse(FORMAT, "events_get.txt")
    texts = [(r.text.split(":")[0], r.entity.ref() if r.entity else None) for r in result.records]
    assert texts == [
        ("Unhealthy", "pod/default/frontend-557f465b6f-xqz9q"),
        ("Rebooted", "node/node-a"),
        ("Rebooted", "node/node-a"),
        ("BackOff", None),  # a deployment is no entity of ours
    ]
    assert result.records[0].text.endswith("(Client.Timeout exceeded while awaiting headers)")
    assert facts_by_entity(result, "node.reboots") == {"node/node-a": 2}
    assert facts_by_entity(result, "cluster.reboots") == {"cluster/cluster": 2}
    assert result.malformed == 0


def test_old_layout_with_kind_and_name_columns(parse) -> None:
    result = parse(FORMAT, "events_get_old_layout.txt")
    assert [r.text.split(":")[0] for r in result.records] == [
        "Scheduled",
        "Pulling",
        "Pulled",
        "Created",
    ]
    pulling = result.records[1]
    assert pulling.entity is not None
    # The listing has no NAMESPACE column: the namespace stays unknown, not "default".
    assert pulling.entity.ref() == "pod/nginx-deployment-3392909933-1tfwp"
    assert pulling.entity.node == "kubernetes-minion-group-kcbf"  # from {kubelet <node>}
    assert pulling.text == 'Pulling: pulling image "nginx"'


def test_wide_rows_even_when_misaligned() -> None:
    header = (
        "NAMESPACE     LAST SEEN   TYPE      REASON      OBJECT       SUBOBJECT      SOURCE"
        "         MESSAGE     FIRST SEEN   COUNT   NAME"
    )
    row = (
        "uptime-kuma   6s          Warning   Unhealthy           "
        "pod/uptime-kuma-6in4allybz-594c865d76-cb5bh"
        "    spec.containers{uptime-kuma}   kubelet, chart-testing-control-plane   Readiness probe"
        ' failed: Get "http://10.244.0.5:3001/": dial tcp 10.244.0.5:3001: connect: connection'
        " refused          6s           1       "
        "uptime-kuma-6in4allybz-594c865d76-cb5bh.18d5e537ab89a157"
    )
    result = FORMAT.parse(header + "\n" + row + "\n", Context("wide"))
    assert len(result.records) == 1
    record = result.records[0]
    assert record.text.startswith(
        'Unhealthy: Readiness probe failed: Get "http://10.244.0.5:3001/"'
    )
    assert record.text.endswith("connection refused")
    assert record.entity is not None and record.entity.node == "chart-testing-control-plane"


def test_console_export_stamps_and_reboots(parse, facts_by_entity) -> None:
    result = parse(EventExportFormat(), "events_export.txt")
    assert facts_by_entity(result, "node.reboots") == {"node/172.21.128.138": 1}
    first = result.records[0]
    assert first.text.startswith("Rebooted: Node 172.21.128.138 has been rebooted")
    assert first.stamp is not None and first.stamp.value.isoformat() == "2020-06-14T13:15:39"
    assert first.stamp.value.tzinfo is None  # the zone is the timeline's to infer
    sandbox = result.records[2]
    assert sandbox.entity is not None and sandbox.entity.name == "cron-7d9f8-abcde"
    assert "resource temporarily unavailable" in sandbox.text
    assert len(result.anchors) == 3
    assert result.malformed == 0


def test_garbage_rows_are_counted() -> None:
    text = "LAST SEEN   TYPE      REASON   OBJECT    MESSAGE\n?? nothing here\n"
    result = FORMAT.parse(text, Context("e"))
    assert result.records == []
    assert result.malformed == 1
