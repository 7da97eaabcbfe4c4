"""kubectl's event ages and the events table of ``kubectl describe`` in every layout.

Samples named after an issue thread are as posted there; the others are written in the exact
layout of the kubectl release that prints them (k8s.io/kubectl describe.go DescribeEvents,
apimachinery duration.HumanDuration), as each test says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.model.times import TimeContext
from kubewhy.parsers.base import Context
from kubewhy.parsers.describe import DescribeFormat
from kubewhy.parsers.event_tables import EventTable, is_event_row
from kubewhy.parsers.event_times import age_seconds, event_seen
from kubewhy.parsers.events import old_row
from kubewhy.parsers.registry import detect

FORMAT = DescribeFormat()
DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("age", "seconds"),
    [
        # HumanDuration's forms: seconds up to 2 minutes, m+s up to 10 minutes, then
        # minutes up to 3 hours, h+m up to 8 hours, hours up to 2 days, d+h up to 8 days, days,
        # y+d up to 8 years.
        ("27s", 27),
        ("119s", 119),
        ("7m32s", 452),
        ("7m", 420),
        ("12m", 720),
        ("3h12m", 11520),
        ("47h", 169200),
        ("3d4h", 273600),
        ("40d", 3456000),
        ("2y15d", 2 * 365 * 86400 + 15 * 86400),
        # a time ahead of kubectl's clock: as late as the listing can tell
        ("<invalid>", 0),
    ],
)
def test_ages_in_every_form_kubectl_prints(age: str, seconds: float) -> None:
    assert age_seconds(age) == seconds


@pytest.mark.parametrize("cell", ["<unknown>", "", "Normal", "4m13", "x4", "12:08:30"])
def test_what_is_no_age(cell: str) -> None:
    assert age_seconds(cell) is None


def test_a_repeated_event_counts_and_spans() -> None:
    seen = event_seen("23s (x4 over 4m13s)", listing=("ev.txt", 1))
    assert seen.count == 4
    assert seen.stamp is not None and seen.stamp.listed is not None
    assert seen.since is not None and seen.since.listed is not None
    assert seen.stamp.listed.seconds == -23
    assert seen.since.listed.seconds == -253
    # Ages are never wall-clock times, whatever the time context.
    assert seen.stamp.resolve(TimeContext(2024, 60)) is None


def test_old_count_and_first_seen_cells() -> None:
    seen = event_seen("3m", "6m", "117", listing=("ev.txt", 1))
    assert seen.count == 117
    assert seen.since is not None and seen.since.listed is not None
    assert seen.since.listed.seconds == -360


def test_bare_events_block_is_read_with_ages_on_its_own_clock() -> None:
    # Real: the Events of kubectl describe pod, alone, from jupyterhub/mybinder.org-deploy#1729.
    text = (DATA / "describe_events_mybinder.txt").read_text()
    assert detect(text.splitlines()).name == "kubectl-describe"
    result = FORMAT.parse(text, Context("describe.txt"))
    pod = "pod/prod/analytics-publisher-77cbc7c5c6-22vjv"
    assert {r.entity.ref() for r in result.records if r.entity} == {pod}
    # The pod and its node are named by the Scheduled event: no Name: header in the paste.
    assert {r.entity.node for r in result.records if r.entity} == {
        "gke-prod-user-202009-b9c03ca0-v8jc"
    }
    facts = {(f.name, f.entity.ref()): f.value for f in result.facts}
    assert facts[("pod.node", pod)] == "gke-prod-user-202009-b9c03ca0-v8jc"
    pulling, pulled = (r for r in result.records if r.text.split(":")[0] in ("Pulling", "Pulled"))
    assert pulling.stamp is not None and pulling.stamp.listed is not None
    assert pulled.stamp is not None and pulled.stamp.listed is not None
    assert pulling.stamp.listed.clock == pulled.stamp.listed.clock
    # 7m32s and 27s before the listing was printed: 7m05s apart.
    assert pulled.stamp.listed.seconds - pulling.stamp.listed.seconds == 425
    assert pulling.stamp.resolve(TimeContext(2020)) is None
    assert result.anchors == []  # no age is an exact time
    assert result.malformed == 0


def test_node_events_alone_name_their_node() -> None:
    # Real: kubectl describe node's events from bottlerocket-os/bottlerocket#3087 (kube-proxy's
    # Starting rows have no message).
    text = (DATA / "describe_node_events_bottlerocket.txt").read_text()
    result = FORMAT.parse(text, Context("node-events.txt"))
    node = "node/ip-x.eu-central-1.compute.internal"
    assert [r.entity.ref() if r.entity else None for r in result.records] == [node] * 6
    assert [r.text.split(":")[0] for r in result.records] == [
        "Starting",
        "Starting",
        "InvalidDiskCapacity",
        "NodeHasSufficientMemory",
        "NodeHasNoDiskPressure",
        "NodeHasSufficientPID",
    ]
    memory = result.records[3]
    assert memory.count == 3
    assert memory.stamp is not None and memory.stamp.listed is not None
    assert memory.stamp.listed.seconds == -23 * 60
    assert memory.stamp.listed.precision == 60  # "23m": 23 to 24 minutes before
    assert result.malformed == 0


def test_tab_aligned_1_5_layout_with_a_second_block() -> None:
    # Real: FirstSeen/LastSeen/Count/From/SubObjectPath/Type/Reason/Message with tabs, from
    # coreos/coreos-kubernetes#874; the last row was aligned apart (a tabwriter block of its own).
    text = (DATA / "describe_events_tabs_coreos.txt").read_text()
    assert detect(text.splitlines()).name == "kubectl-describe"
    result = FORMAT.parse(text, Context("events.txt"))
    assert [(r.text.split(":")[0], r.count) for r in result.records] == [
        ("Scheduled", 1),
        ("FailedSync", 117),
        ("FailedSync", 224),
    ]
    last = result.records[2]
    assert last.entity is not None and last.entity.ref() == "node/x.x.x.x"  # kubelet, x.x.x.x
    assert last.since is not None and last.since.listed is not None
    assert last.since.listed.seconds == -180
    assert last.stamp is not None and last.stamp.listed is not None
    assert last.stamp.listed.seconds == -2
    assert last.text.startswith('FailedSync: Error syncing pod, skipping: failed to "SetupNetwork"')
    assert result.malformed == 0


def test_a_node_named_by_its_kubelet_source() -> None:
    # Real: `kubectl describe no` events of 1.6, tab aligned, from kubernetes/kubernetes#45558.
    text = (DATA / "describe_node_events_tabs.txt").read_text()
    assert detect(text.splitlines()).name == "kubectl-describe"
    result = FORMAT.parse(text, Context("node-events.txt"))
    node = "node/gke-prow-build-pool-a89df2af-4bc8"
    (record,) = result.records
    assert record.entity is not None and record.entity.ref() == node
    assert record.text == "EvictionThresholdMet: Attempting to reclaim nodefs"
    assert record.count == 564
    assert record.stamp is not None and record.stamp.listed is not None
    assert record.stamp.listed.seconds == -19
    assert record.since is not None and record.since.listed is not None
    assert record.since.listed.seconds == -4 * 3600
    # The node is known to the evidence, so lines that name no node can be its.
    assert node in {e.ref() for e in result.entities}


def test_pre_1_0_rows_without_header_carry_exact_times() -> None:
    # Real: describe events of 2015 (FirstSeen LastSeen Count From SubobjectPath Reason Message,
    # RFC 1123 times, tab aligned), from kubernetes/kubernetes#6532.
    text = (DATA / "describe_events_v0.txt").read_text()
    assert detect(text.splitlines()).name == "kubectl-describe"
    result = FORMAT.parse(text, Context("events.txt"))
    assert [r.text.split(":")[0] for r in result.records] == [
        "killing",
        "created",
        "started",
        "killing",
    ]
    first = result.records[0]
    assert first.stamp is not None and first.stamp.listed is None
    assert first.stamp.value.isoformat() == "2015-04-07T19:08:30+00:00"
    assert first.entity is not None and first.entity.ref() == "node/127.0.0.1"
    assert first.text.startswith("killing: Killing 0b7743acd1a5")
    assert len(result.anchors) == 4
    assert result.malformed == 0


def test_rows_after_a_continued_message_are_rows() -> None:
    # Written in describe's layout (tabwriter, padding 2): a probe's output with a newline goes
    # on at the start of the next line ("SIGABRT: abort" reads like a "Key: value" line), and
    # the rows after it are aligned as a tabwriter block of their own.
    text = """Name:         calico-node-7xq2m
Namespace:    kube-system
Node:         node-xx/10.0.0.5
Status:       Running
Events:
  Type     Reason     Age                From     Message
  ----     ------     ----               ----     -------
  Warning  Unhealthy  5m (x12 over 10m)  kubelet  Readiness probe failed: runtime/cgo: pthread_create failed: Resource temporarily unavailable
SIGABRT: abort
  Warning  Unhealthy  5m (x6 over 10m)  kubelet  Liveness probe failed: runtime: failed to create new OS thread (have 5 already; errno=11)
runtime: may need to increase max user processes (ulimit -u)
  Normal  Killing  5m (x7 over 10m)  kubelet  Container calico-node failed liveness probe, will be restarted
"""  # noqa: E501
    result = FORMAT.parse(text, Context("describe.txt"))
    assert [(r.text.split(":")[0], r.count, r.line) for r in result.records] == [
        ("Unhealthy", 12, 8),
        ("Unhealthy", 6, 10),
        ("Killing", 7, 12),
    ]
    assert result.records[0].text.endswith("Resource temporarily unavailable SIGABRT: abort")
    assert result.records[1].text.endswith("(ulimit -u)")
    assert result.malformed == 0


def test_a_table_reads_rows_aligned_apart_by_their_cells() -> None:
    # describe's layout of today: after a continued message the next rows' columns are not
    # the header's (written in that layout).
    table = EventTable(("describe.txt", 1))
    lines = [
        "  Type     Reason   Age   From     Message",
        "  ----     ------   ----  ----     -------",
        "  Warning  Failed   2m    kubelet  Error: failed to start container:",
        "panic: boom",
        '  Normal  Pulled  90s  kubelet  Container image "busybox" already present on machine',
    ]
    for number, line in enumerate(lines, start=1):
        table.feed(number, line)
    assert [(row.reason, row.message) for row in table.rows] == [
        ("Failed", "Error: failed to start container: panic: boom"),
        ("Pulled", 'Container image "busybox" already present on machine'),
    ]
    assert table.rows[1].seen.stamp is not None


def test_old_rows_of_describe_and_of_get_events_are_told_apart() -> None:
    # old describe (FirstSeen LastSeen Count From SubobjectPath Reason Message, no subobject
    # for a pod's own event) against old get events (LASTSEEN FIRSTSEEN COUNT NAME KIND ...),
    # each written in its release's layout without the header.
    describe_row = "  5m  5m  1  {scheduler }  Scheduled  Successfully assigned web-1 to n1"
    get_row = (
        "5m  5m  1  web-1  Pod    Normal  Scheduled  default-scheduler  "
        "Successfully assigned web-1 to n1"
    )
    assert is_event_row(describe_row)
    assert not is_event_row(get_row)
    assert old_row(get_row) is not None and old_row(describe_row) is None
    table = EventTable(("d.txt", 1))
    table.feed(1, describe_row)
    (row,) = table.rows
    assert (row.reason, row.source, row.message) == (
        "Scheduled",
        "{scheduler }",
        "Successfully assigned web-1 to n1",
    )


def test_a_fenced_paste_reads_as_without_its_fence() -> None:
    # The mybinder events (jupyterhub/mybinder.org-deploy#1729) as pasted in a markdown fence.
    text = (DATA / "describe_events_mybinder.txt").read_text()
    fenced = f"```\n{text}```\n"
    assert detect(fenced.splitlines()).name == "kubectl-describe"
    plain = [r.text for r in FORMAT.parse(text, Context("d.txt")).records]
    assert [r.text for r in FORMAT.parse(fenced, Context("d.txt")).records] == plain
