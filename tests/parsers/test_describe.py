"""kubectl describe pod / node."""

from __future__ import annotations

from kubewhy.parsers.base import Context
from kubewhy.parsers.describe import DescribeFormat

FORMAT = DescribeFormat()
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
    assert result.malformed == 1  # the "..." under Events


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
