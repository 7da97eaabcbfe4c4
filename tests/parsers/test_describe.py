"""kubectl describe pod / node."""

from __future__ import annotations

from pathlib import Path

from kubewhy.parsers.base import Context
from kubewhy.parsers.describe import DescribeFormat
from kubewhy.parsers.read import parse_inputs
from kubewhy.parsers.registry import detect
from kubewhy.sources.files import open_inputs

FORMAT = DescribeFormat()
DATA = Path(__file__).parent / "data"
POD = "pod/default/nginx-deployment-67d4bdd6f5-w6kd7"


def test_docs_running_pod(parse, facts_by_entity) -> None:
    result = parse(FORMAT, "describe_pod_running.txt")
    assert facts_by_entity(result, "pod.phase") == {POD: "Running"}
    assert facts_by_entity(result, "pod.node") == {POD: "kube-worker-1"}
    assert facts_by_entity(result, "pod.qos_class") == {POD: "Guaranteed"}
    assert facts_by_entity(result, "pod.ready") == {POD: True}
    container = "container/default/nginx-deployment-67d4bdd6f5-w6kd7/nginx"
    assert facts_by_entity(result, "container.restart_count") == {container: 0}
    assert facts_by_entity(result, "container.memory_request_bytes") == {container: 128 * 2**20}
    assert [r.text for r in result.records] == [
        "Scheduled: Successfully assigned default/nginx-deployment-67d4bdd6f5-w6kd7"
        " to kube-worker-1",
        'Pulling: Pulling image "nginx"',
        'Pulled: Successfully pulled image "nginx" in 1.146417389s',
        "Created: Created container nginx",
        "Started: Started container nginx",
    ]
    assert {r.entity.node for r in result.records if r.entity} == {"kube-worker-1"}
    phase = next(f for f in result.facts if f.name == "pod.phase")
    assert phase.evidence is not None and phase.evidence.line == 9
    assert len(result.anchors) == 2  # Start Time and Started
    assert result.malformed == 0


def test_old_tab_layout_with_continued_message(parse, facts) -> None:
    result = parse(FORMAT, "describe_pod_pending_old.txt")
    assert facts(result, "pod.phase") == ["Pending"]
    assert facts(result, "pod.node") == []  # "Node: /" means not scheduled
    (record,) = result.records
    assert record.text.startswith("FailedScheduling: pod (nginx-deployment-1370807587-fz9sd)")
    assert record.text.endswith("used: 1100, capacity: 2000")
    assert result.malformed == 0


def test_oomkilled_control_plane_pod(parse, facts_by_entity) -> None:
    result = parse(FORMAT, "describe_pod_oomkilled.txt")
    api = "container/kube-system/kube-apiserver-master-1/kube-apiserver"
    sidecar = "container/kube-system/kube-apiserver-master-1/health-sidecar"
    assert facts_by_entity(result, "container.last_terminated_reason") == {
        api: "OOMKilled",
        sidecar: "Error",
    }
    assert facts_by_entity(result, "container.last_exit_code") == {api: 137, sidecar: 1}
    assert facts_by_entity(result, "container.waiting_reason") == {sidecar: "CrashLoopBackOff"}
    assert facts_by_entity(result, "pod.has_exec_probe") == {
        "pod/kube-system/kube-apiserver-master-1": True
    }
    assert facts_by_entity(result, "pod.memory_limit_over_request") == {
        "pod/kube-system/kube-apiserver-master-1": True
    }
    assert facts_by_entity(result, "component.oom_killed") == {"component/kube-apiserver": True}
    assert facts_by_entity(result, "component.restarts") == {"component/kube-apiserver": 4}
    texts = [r.text for r in result.records]
    assert "kube-apiserver lastState terminated reason OOMKilled exitCode 137" in texts
    oom = next(r for r in result.records if "OOMKilled" in r.text)
    assert oom.stamp is not None and oom.stamp.value.isoformat() == "2020-06-14T05:20:05+00:00"
    unhealthy = next(r for r in result.records if r.text.startswith("Unhealthy"))
    assert 'caused "read init-p: connection reset by peer": unknown' in unhealthy.text
    assert result.malformed == 0


def test_docs_node(parse, facts) -> None:
    result = parse(FORMAT, "describe_node_notready.txt")
    assert facts(result, "node.condition.Ready") == ["Unknown"]
    assert facts(result, "node.condition.Ready.reason") == ["NodeStatusUnknown"]
    assert facts(result, "node.condition.Ready.message") == ["Kubelet stopped posting node status."]
    assert facts(result, "node.ready") == [False]
    assert facts(result, "kernel.release") == ["5.13.0-28-generic"]
    assert facts(result, "node.container_runtime") == ["containerd://1.5.9"]
    assert facts(result, "node.kubelet_version") == ["v1.23.3"]
    assert facts(result, "os.pretty_name") == ["Ubuntu 21.10"]
    assert facts(result, "node.capacity.pods") == [110]  # Capacity, not Allocatable
    assert facts(result, "node.pods.count") == [4]
    ready = next(r for r in result.records if r.text.startswith("Ready "))
    assert ready.stamp is not None and ready.stamp.value.isoformat() == "2022-02-17T22:13:52+00:00"
    assert {e.ref() for e in result.entities if e.kind == "pod"} >= {
        "pod/kube-system/kube-proxy-dnxbz"
    }
    assert result.malformed == 0  # the "..." under Events is an elision, not a row


def test_one_line_paste(parse, facts) -> None:
    result = parse(FORMAT, "describe_pod_squashed.txt")
    assert facts(result, "pod.phase") == ["Running"]
    assert facts(result, "pod.node") == ["cn-hangzhou.172.21.128.138"]
    assert facts(result, "pod.has_exec_probe") == [True]
    texts = [r.text for r in result.records]
    assert len(texts) == 3
    assert texts[1] == (
        "Unhealthy: Readiness probe failed: runtime/cgo: pthread_create failed: "
        "Resource temporarily unavailable"
    )


def test_several_describes_and_node_events() -> None:
    text = (
        "Name: web-1\nNamespace: prod\nNode: n1/10.0.0.1\nStatus: Pending\n"
        "Name: n1\nRoles: <none>\nTaints: <none>\nConditions:\n"
        "  Type Status LastHeartbeatTime LastTransitionTime Reason Message\n"
        "Events:\n"
        "  Type     Reason    Age                From     Message\n"
        "  ----     ------    ----               ----     -------\n"
        "  Warning  Rebooted  2m (x3 over 1h)    kubelet  Node n1 has been rebooted\n"
    )
    result = FORMAT.parse(text, Context("d"))
    assert [(f.name, f.entity.ref(), f.value) for f in result.facts if f.name == "pod.phase"] == [
        ("pod.phase", "pod/prod/web-1", "Pending")
    ]
    assert [f.value for f in result.facts if f.name == "node.reboots"] == [3]
    assert result.records[-1].entity is not None and result.records[-1].entity.ref() == "node/n1"


# --- pieces of a describe ----------------------------------------------------------------------


def test_describe_quoted_as_markdown() -> None:
    # A describe pasted as a markdown quote (describe's layout, each line behind "> ").
    text = (DATA / "describe_pod_running.txt").read_text()
    quoted = "".join(f"> {line}\n" if line else ">\n" for line in text.splitlines())
    assert detect(quoted.splitlines()).name == "kubectl-describe"
    plain, result = FORMAT.parse(text, Context("a")), FORMAT.parse(quoted, Context("a"))
    assert result.facts and [f.value for f in result.facts] == [f.value for f in plain.facts]
    assert [r.text for r in result.records] == [r.text for r in plain.records]


def test_session_command_names_the_pod_of_a_bare_events_block(tmp_path: Path) -> None:
    # Real: a root shell's `kubectl describe po -n kube-system calico-node-6sqwm` whose output
    # was cut to its Events ("......" is the author's), from https://www.dataz8.com/?p=1836.
    (tmp_path / "describe.txt").write_text((DATA / "describe_session_dataz8.txt").read_text())
    with open_inputs([tmp_path]) as inputs:
        parsed = parse_inputs(inputs)
    (doc,) = [d for d in parsed.documents if d.result.records]
    assert doc.ctx.pod == "calico-node-6sqwm" and doc.ctx.namespace == "kube-system"
    entities = {r.entity.ref() for r in doc.result.records if r.entity}
    assert entities == {"pod/kube-system/calico-node-6sqwm"}
    assert [r.count for r in doc.result.records][:3] == [1, 2, 3]
    assert doc.result.records[0].line == 6  # the file's line, past the prompt and "......"


def test_grep_piece_of_a_describe_under_its_command() -> None:
    # `kubectl describe pod web-1 -n prod | grep -A3 -E "Last State|Events"`: the lines grep
    # kept, in describe's layout (written in that layout).
    text = (
        "    Last State:     Terminated\n"
        "      Reason:       OOMKilled\n"
        "      Exit Code:    137\n"
        "      Started:      Mon, 01 Jan 2024 10:00:00 +0000\n"
        "--\n"
        "Events:\n"
        "  Type     Reason   Age                 From     Message\n"
        "  ----     ------   ----                ----     -------\n"
        "  Normal   Started  2m (x4 over 10m)    kubelet  Started container api\n"
    )
    command = 'kubectl describe pod web-1 -n prod | grep -A3 -E "Last State|Events"'
    result = FORMAT.parse(text, Context("grep.txt", command=command))
    by_entity = {(f.name, f.entity.ref()): f.value for f in result.facts}
    container = "container/prod/web-1/api"  # named by its Started event
    assert by_entity[("container.last_terminated_reason", container)] == "OOMKilled"
    assert by_entity[("container.last_exit_code", container)] == 137
    assert {r.entity.ref() for r in result.records if r.entity} == {container, "pod/prod/web-1"}
    started = result.records[-1]
    assert started.count == 4 and started.text == "Started: Started container api"


def test_a_piece_whose_container_is_named_nowhere_still_gives_its_states() -> None:
    # The same grep, without events (describe's layout).
    text = (
        "    Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137\n"
    )
    command = "kubectl describe pod web-1 -n prod | grep -A2 'Last State'"
    result = FORMAT.parse(text, Context("grep.txt", command=command))
    assert [f for f in result.facts if f.name.startswith("container.")] == []
    (record,) = result.records
    assert record.text == "container lastState terminated reason OOMKilled exitCode 137"
    assert record.entity is not None and record.entity.ref() == "pod/prod/web-1"


def test_containers_section_alone() -> None:
    # The Containers section of `kubectl describe pod` pasted alone (describe's layout).
    text = (
        "Containers:\n"
        "  coredns:\n"
        "    Image:          registry.k8s.io/coredns/coredns:v1.10.1\n"
        "    State:          Waiting\n"
        "      Reason:       CrashLoopBackOff\n"
        "    Last State:     Terminated\n"
        "      Reason:       Error\n"
        "      Exit Code:    1\n"
        "    Ready:          False\n"
        "    Restart Count:  9\n"
    )
    assert detect(text.splitlines()).name == "kubectl-describe"
    command = "kubectl -n kube-system describe pod coredns-5d78c9869d-x2x4l"
    result = FORMAT.parse(text, Context("c.txt", command=command))
    container = "container/kube-system/coredns-5d78c9869d-x2x4l/coredns"
    by_entity = {(f.name, f.entity.ref()): f.value for f in result.facts}
    assert by_entity[("container.waiting_reason", container)] == "CrashLoopBackOff"
    assert by_entity[("container.restart_count", container)] == 9


def test_conditions_of_a_node_named_by_its_command() -> None:
    # `kubectl describe node kube-worker-1 | grep -A7 Conditions` on the Kubernetes docs' node.
    lines = (DATA / "describe_node_notready.txt").read_text().splitlines()
    start = lines.index("Conditions:")
    text = "\n".join(lines[start : start + 8]) + "\n"
    command = "kubectl describe node kube-worker-1 | grep -A7 Conditions"
    result = FORMAT.parse(text, Context("c.txt", command=command))
    ready = [(f.entity.ref(), f.value) for f in result.facts if f.name == "node.ready"]
    assert ready == [("node/kube-worker-1", False)]


def test_one_event_row_pasted_alone_is_read_with_its_count() -> None:
    # A describe Events row without the section or its header (layout of kubectl's
    # DescribeEvents with the older "kubelet, <node>" source), written for this test.
    row = (
        "Warning  UnregisterNetDevice  3s (x14245 over 1d)  kernel-monitor, node-7  "
        "unregister_netdevice: waiting for eth0 to become free. Usage count = 21"
    )
    assert detect([row]).name == "kubectl-describe"
    result = FORMAT.parse(row + "\n", Context("events.txt"))
    [record] = result.records
    assert record.count == 14245 and record.text.startswith("UnregisterNetDevice: ")
