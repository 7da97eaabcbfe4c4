"""Event tables, the console export and the e2e framework's event dumps.

Samples named after an issue thread are as posted there; the others are written in the exact
layout of the kubectl release that prints them, as each test says.
"""

from __future__ import annotations

from pathlib import Path

from kubewhy.model.times import Stamp
from kubewhy.parsers.base import Context
from kubewhy.parsers.events import E2eEventsFormat, EventExportFormat, GetEventsFormat
from kubewhy.parsers.registry import detect

FORMAT = GetEventsFormat()
E2E = E2eEventsFormat()
DATA = Path(__file__).parent / "data"


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


# --- ages, counts and first-seen times -------------------------------------------------------


def _listed(stamp: Stamp | None) -> float:
    assert stamp is not None and stamp.listed is not None
    return stamp.listed.seconds


def test_kubectl_events_interval_counts_and_ages() -> None:
    # `kubectl events` (kubectl/pkg/cmd/events/event_printer.go): the object as Kind/name
    # and LAST SEEN as "LAST (xN over FIRST)" (written in that layout).
    text = (
        "LAST SEEN             TYPE      REASON      OBJECT                    MESSAGE\n"
        '7m32s                 Normal    Pulling     Pod/web-7d9f8b6c4-xk2lp   Pulling image "registry.example.com/ml/trainer:3.1"\n'  # noqa: E501
        '27s                   Normal    Pulled      Pod/web-7d9f8b6c4-xk2lp   Successfully pulled image "registry.example.com/ml/trainer:3.1"\n'  # noqa: E501
        "23s (x4 over 4m13s)   Warning   Unhealthy   Pod/web-7d9f8b6c4-xk2lp   Readiness probe failed: HTTP probe failed with statuscode: 503\n"  # noqa: E501
    )
    result = FORMAT.parse(text, Context("events.txt", namespace="ml"))
    pulling, pulled, unhealthy = result.records
    assert {r.entity.ref() for r in result.records if r.entity} == {"pod/ml/web-7d9f8b6c4-xk2lp"}
    assert _listed(pulled.stamp) - _listed(pulling.stamp) == 425
    assert pulling.stamp is not None and pulled.stamp is not None
    assert pulling.stamp.listed is not None and pulled.stamp.listed is not None
    assert pulling.stamp.listed.clock == pulled.stamp.listed.clock == ("events.txt", 1)
    assert unhealthy.count == 4
    assert (_listed(unhealthy.since), _listed(unhealthy.stamp)) == (-253, -23)
    assert unhealthy.text.endswith("statuscode: 503")
    assert result.anchors == []


def test_wide_all_namespaces_first_seen_and_count() -> None:
    # `kubectl get events -A -o wide` (printers.go: LAST SEEN TYPE REASON OBJECT SUBOBJECT
    # SOURCE MESSAGE FIRST SEEN COUNT NAME; written in that layout).
    text = (
        "NAMESPACE     LAST SEEN   TYPE      REASON      OBJECT                      SUBOBJECT"
        "                  SOURCE              MESSAGE                                      "
        "FIRST SEEN   COUNT   NAME\n"
        "kube-system   2m          Warning   Unhealthy   pod/coredns-5d78c9869d-x2x4l"
        "   spec.containers{coredns}   kubelet, node-1     Liveness probe failed: "
        "HTTP probe failed   40m          17      coredns-5d78c9869d-x2x4l.17a3f0c2b1d4e5f6\n"
    )
    (record,) = FORMAT.parse(text, Context("w.txt")).records
    assert (
        record.entity is not None
        and record.entity.ref() == "pod/kube-system/coredns-5d78c9869d-x2x4l"
    )
    assert record.entity.node == "node-1"
    assert record.count == 17
    assert (_listed(record.since), _listed(record.stamp)) == (-2400, -120)
    assert record.text == "Unhealthy: Liveness probe failed: HTTP probe failed"


def test_old_layout_ages_and_counts(parse) -> None:
    # Real: kubectl 1.3's table from kubernetes/kubernetes#29838.
    result = parse(FORMAT, "events_get_old_layout.txt")
    assert [(r.count, _listed(r.stamp)) for r in result.records] == [(1, -780)] * 4
    assert all(r.since is None for r in result.records)  # first seen = last seen


def test_old_rows_without_their_header(parse) -> None:
    # Real: old `kubectl get events` rows pasted without the header (FIRSTSEEN LASTSEEN
    # COUNT NAME KIND SUBOBJECT REASON SOURCE MESSAGE), from gravitational/planet#77.
    result = parse(FORMAT, "events_get_headerless_old.txt")
    assert [(r.entity.ref() if r.entity else None, r.count) for r in result.records] == [
        ("pod/mattermost-worker", 75),
        ("pod/mattermost-database", 76),
        ("pod/mattermost-database", 76),
        ("pod/mattermost-database", 76),
    ]
    first = result.records[0]
    assert first.entity is not None and first.entity.node == "192.168.122.252"
    assert first.text.startswith('Failed: Failed to pull image "192.168.122.176:5000/pause:0.8.0"')
    assert (_listed(first.since), _listed(first.stamp)) == (-720, -5)
    assert result.records[2].text.startswith("FailedSync: Error syncing pod")
    assert result.malformed == 0


def test_layout_before_the_type_column() -> None:
    # The oldest table (resource_printer.go eventColumns: FIRSTSEEN LASTSEEN COUNT NAME KIND
    # SUBOBJECT REASON SOURCE MESSAGE; written in that layout).
    text = (
        "FIRSTSEEN   LASTSEEN   COUNT     NAME       KIND      SUBOBJECT                REASON"
        "     SOURCE            MESSAGE\n"
        "1h          2m         31        web-1      Pod       spec.containers{web}     BackOff"
        "    {kubelet node-2}   Back-off restarting failed docker container\n"
    )
    (record,) = FORMAT.parse(text, Context("old.txt", namespace="prod")).records
    assert record.text == "BackOff: Back-off restarting failed docker container"
    assert record.entity is not None and record.entity.ref() == "pod/prod/web-1"
    assert record.entity.node == "node-2"
    assert (record.count, _listed(record.since), _listed(record.stamp)) == (31, -3600, -120)


def test_a_fenced_table_reads_as_without_its_fence(parse) -> None:
    text = "```\n" + (DATA / "events_get.txt").read_text() + "```\n"
    assert FORMAT.sniff(text.splitlines()) == 0.95
    plain = [r.text for r in parse(FORMAT, "events_get.txt").records]
    assert [r.text for r in FORMAT.parse(text, Context("e.txt")).records] == plain


def test_a_wrapped_row_keeps_its_count() -> None:
    text = (
        "LAST SEEN           TYPE      REASON    OBJECT      MESSAGE\n"
        "5m (x9 over 1h)     Warning   Failed    pod/web-1   Error: failed to start container:\n"
        "SIGABRT: abort\n"
    )
    (record,) = FORMAT.parse(text, Context("e.txt")).records
    assert record.text == "Failed: Error: failed to start container: SIGABRT: abort"
    assert record.count == 9


# --- the e2e framework's dumps -----------------------------------------------------------------


def test_e2e_dump_names_object_node_and_time(parse) -> None:
    # Real: the dump of a failed e2e test on minikube, from ceph/ceph-csi#2029.
    result = parse(E2E, "e2e_events_ceph_csi.txt")
    pod = "pod/pod-eb165813-6e8a-4476-a40b-73c0bada26c0"
    assert {(r.entity.ref(), r.entity.node) for r in result.records if r.entity} == {
        (pod, "minikube")
    }
    first = result.records[0]
    assert first.text == 'Pulling: Pulling image "docker.io/library/busybox:1.29"'
    # "2021-04-28 09:30:26 +0100 BST" is exact: a wall-clock time and an anchor.
    assert first.stamp is not None and first.stamp.value.isoformat() == "2021-04-28T08:30:26+00:00"
    assert len(result.anchors) == 5
    assert result.records[-1].text == "Failed: Error: ImagePullBackOff"
    assert result.malformed == 0


def test_e2e_dump_with_its_namespace_node_events_and_wrapped_messages() -> None:
    # The e2e framework's dump (test/e2e/framework: "At %v - event for %v: %v %v: %v" after
    # ginkgo's "Collecting events from namespace"); written in that format. The third event
    # carries only an eventTime, so its FirstTimestamp prints as Go's zero time.
    text = (
        'STEP: Collecting events from namespace "e2e-tests-pods-x7k2p".\n'
        "STEP: Found 4 events.\n"
        "May  4 15:49:12.578: INFO: At 2021-05-04 15:45:40 +0000 UTC - event for pvc-tester-zlrfq:"
        " {default-scheduler } Scheduled: Successfully assigned e2e-tests-pods-x7k2p/"
        "pvc-tester-zlrfq to kind-worker\n"
        "May  4 15:49:12.578: INFO: At 2021-05-04 15:45:47 +0000 UTC - event for kind-worker:"
        " {kubelet kind-worker} NodeNotReady: Node kind-worker status is now: NodeNotReady\n"
        "May  4 15:49:12.579: INFO: At 0001-01-01 00:00:00 +0000 UTC - event for pvc-tester-zlrfq:"
        ' {kubelet kind-worker} Failed: Error: failed to start container "write-pod": OCI runtime'
        " create failed:\n"
        'container_linux.go:349: starting container process caused "exec: \\"sh\\"": unknown\n'
        "May  4 15:49:12.580: INFO: At 2021-05-04 15:45:50 +0000 UTC - event for pvc-zlrfq:"
        ' {persistentvolume-controller } ProvisioningFailed: storageclass "sc" not found\n'
    )
    assert detect(text.splitlines()).name == "e2e-events"
    result = E2E.parse(text, Context("e2e.log"))
    entities = [(r.entity.ref(), r.entity.node) if r.entity else None for r in result.records]
    assert entities == [
        ("pod/e2e-tests-pods-x7k2p/pvc-tester-zlrfq", "kind-worker"),
        ("node/kind-worker", None),
        ("pod/e2e-tests-pods-x7k2p/pvc-tester-zlrfq", "kind-worker"),
        None,  # a claim: no entity of ours
    ]
    failed = result.records[2]
    assert failed.stamp is None  # the zero time is no time
    assert failed.text.endswith('caused "exec: \\"sh\\"": unknown')
    assert len(result.anchors) == 3
