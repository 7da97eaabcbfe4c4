"""Pod and node views: both formats feed the one mapping to facts, and agree on the same object."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

from kubewhy.model.evidence import Evidence
from kubewhy.parsers.base import Context, ParseResult
from kubewhy.parsers.describe import DescribeFormat
from kubewhy.parsers.kube_views import (
    Cited,
    ConditionView,
    ContainerView,
    NodeView,
    PodView,
    StateView,
    add_node,
    add_pod,
)
from kubewhy.parsers.objects import ObjectsFormat

from .conftest import DATA, check_contract

CITE = Evidence("pod.json", None, None, "Pod kube-system/kube-apiserver-n1")

# describe_pod_oomkilled.txt, as the API server returns the same pod.
APISERVER_POD = {
    "kind": "Pod",
    "apiVersion": "v1",
    "metadata": {
        "name": "kube-apiserver-master-1",
        "namespace": "kube-system",
        "labels": {"component": "kube-apiserver", "tier": "control-plane"},
    },
    "spec": {
        "nodeName": "master-1",
        "containers": [
            {
                "name": "kube-apiserver",
                "image": "registry.k8s.io/kube-apiserver:v1.18.4",
                "resources": {
                    "limits": {"memory": "4Gi"},
                    "requests": {"cpu": "250m", "memory": "1Gi"},
                },
                "livenessProbe": {"httpGet": {"host": "10.0.0.11", "path": "/livez"}},
            },
            {
                "name": "health-sidecar",
                "image": "busybox:1.36",
                "livenessProbe": {"exec": {"command": ["/bin/sh", "-c", "cat /tmp/healthy"]}},
            },
        ],
    },
    "status": {
        "phase": "Running",
        "qosClass": "Burstable",
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "False"},
            {"type": "ContainersReady", "status": "False"},
            {"type": "PodScheduled", "status": "True"},
        ],
        "containerStatuses": [
            {
                "name": "kube-apiserver",
                "ready": True,
                "restartCount": 4,
                "state": {"running": {"startedAt": "2020-06-14T05:20:11Z"}},
                "lastState": {
                    "terminated": {
                        "reason": "OOMKilled",
                        "exitCode": 137,
                        "startedAt": "2020-06-14T05:02:00Z",
                        "finishedAt": "2020-06-14T05:20:05Z",
                    }
                },
            },
            {
                "name": "health-sidecar",
                "ready": False,
                "restartCount": 12,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {
                    "terminated": {
                        "reason": "Error",
                        "exitCode": 1,
                        "startedAt": "2020-06-14T05:19:00Z",
                        "finishedAt": "2020-06-14T05:19:01Z",
                    }
                },
            },
        ],
    },
}


def _condition(kind: str, status: str, reason: str, message: str, when: str) -> dict[str, str]:
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastHeartbeatTime": when,
        "lastTransitionTime": when,
    }


_LOST = ("NodeStatusUnknown", "Kubelet stopped posting node status.", "2022-02-17T22:13:52Z")
# describe_node_notready.txt, as the API server returns the same node.
WORKER_NODE = {
    "kind": "Node",
    "apiVersion": "v1",
    "metadata": {"name": "kube-worker-1"},
    "status": {
        "conditions": [
            _condition(
                "NetworkUnavailable",
                "False",
                "WeaveIsUp",
                "Weave pod has set this",
                "2022-02-17T22:09:13Z",
            ),
            *(
                _condition(kind, "Unknown", *_LOST)
                for kind in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")
            ),
        ],
        "addresses": [
            {"type": "InternalIP", "address": "192.168.0.113"},
            {"type": "Hostname", "address": "kube-worker-1"},
        ],
        "capacity": {"cpu": "2", "memory": "2025188Ki", "pods": "110"},
        "nodeInfo": {
            "machineID": "9384e2927f544209b5d7b67474bbf92b",
            "kernelVersion": "5.13.0-28-generic",
            "osImage": "Ubuntu 21.10",
            "containerRuntimeVersion": "containerd://1.5.9",
            "kubeletVersion": "v1.23.3",
        },
    },
}


def _describe(sample: str) -> ParseResult:
    result = DescribeFormat().parse((DATA / sample).read_text(), Context(sample))
    check_contract(result, sample)
    return result


def _object(obj: dict[str, object]) -> ParseResult:
    result = ObjectsFormat().parse(json.dumps(obj), Context("object.json"))
    check_contract(result, "object.json")
    return result


def _told(result: ParseResult, kinds: set[str]) -> Counter[tuple[str, str, object]]:
    return Counter(
        (f.name, f.entity.ref(), f.value) for f in result.facts if f.entity.kind in kinds
    )


def test_a_describe_and_an_object_of_one_pod_tell_the_same_facts() -> None:
    kinds = {"pod", "container", "component", "node"}
    described = _told(_describe("describe_pod_oomkilled.txt"), kinds)
    read = _told(_object(APISERVER_POD), kinds)
    api = "container/kube-system/kube-apiserver-master-1/kube-apiserver"
    assert read[("container.last_terminated_reason", api, "OOMKilled")] == 1
    assert read[("component.oom_killed", "component/kube-apiserver", True)] == 1
    # Only a describe shows the node's address (``Node: master-1/10.0.0.11``).
    assert described - read == Counter({("node.address", "node/master-1", "10.0.0.11"): 1})
    assert read - described == Counter()


def test_a_describe_and_an_object_of_one_pod_give_the_same_state_records() -> None:
    def states(result: ParseResult) -> list[tuple[str, datetime | None]]:
        return [
            (r.text, r.stamp.value if r.stamp else None)
            for r in result.records
            if r.entity is not None and r.entity.kind == "container"
        ]

    described = states(_describe("describe_pod_oomkilled.txt"))
    assert described == states(_object(APISERVER_POD))
    assert described[0] == (
        "kube-apiserver lastState terminated reason OOMKilled exitCode 137",
        datetime(2020, 6, 14, 5, 20, 5, tzinfo=UTC),
    )


def test_a_describe_and_an_object_of_one_node_tell_the_same_facts() -> None:
    described_result = _describe("describe_node_notready.txt")
    described = _told(described_result, {"node"})
    read_result = _object(WORKER_NODE)
    read = _told(read_result, {"node"})
    node = "node/kube-worker-1"
    assert read[("node.ready", node, False)] == 1
    assert read[("node.condition.Ready.reason", node, "NodeStatusUnknown")] == 1
    assert read[("kernel.release", node, "5.13.0-28-generic")] == 1
    # A describe also shows the node's other names and the pods it runs.
    assert {name for name, _, _ in described - read} == {
        "node.address",
        "node.pods.count",
        "node.coredns_pods",
    }
    assert read - described == Counter()
    # Each condition is a record stamped with its last transition, whatever the format.
    stamps = [(r.text.split()[0], r.stamp) for r in read_result.records]
    assert stamps == [(r.text.split()[0], r.stamp) for r in described_result.records][:5]


def _apiserver(*containers: ContainerView, phase_only: bool = False) -> PodView:
    return PodView(
        "kube-apiserver-n1",
        "kube-system",
        node=Cited("n1", CITE),
        phase=Cited("Running", CITE),
        phase_only=phase_only,
        containers=list(containers),
        containers_total=Cited(len(containers), CITE),
        states_read=True,
        exec_probe=CITE,
        component=Cited("kube-apiserver", CITE),
    )


def _pod_facts(view: PodView) -> dict[tuple[str, str], object]:
    result = ParseResult()
    add_pod(view, result)
    return {(f.name, f.entity.ref()): f.value for f in result.facts}


def test_a_component_is_its_main_container_not_its_sidecars() -> None:
    oom = StateView("terminated", "OOMKilled", CITE, 137)
    main = ContainerView("kube-apiserver", last_state=oom, restart_count=Cited(4, CITE))
    sidecar = ContainerView(
        "sidecar",
        state=StateView("waiting", "CrashLoopBackOff", CITE),
        restart_count=Cited(12, CITE),
    )
    facts = _pod_facts(_apiserver(main, sidecar))
    assert facts[("component.restarts", "component/kube-apiserver")] == 4
    assert facts[("component.oom_killed", "component/kube-apiserver")] is True
    assert facts[("pod.containers_running", "pod/kube-system/kube-apiserver-n1")] == 0
    lone = _pod_facts(_apiserver(ContainerView("other", restart_count=Cited(2, CITE))))
    assert lone[("component.restarts", "component/kube-apiserver")] == 2


def test_a_phase_only_pod_tells_its_phase_and_exec_probe() -> None:
    facts = _pod_facts(_apiserver(ContainerView("app"), phase_only=True))
    assert set(facts) == {
        ("pod.phase", "pod/kube-system/kube-apiserver-n1"),
        ("pod.has_exec_probe", "pod/kube-system/kube-apiserver-n1"),
    }


def test_a_limit_over_the_request_cites_the_limit() -> None:
    limit_line = Evidence("d.txt", 7, None, "memory:  4Gi")
    container = ContainerView(
        "app",
        memory_limit=Cited(4 << 30, limit_line),
        memory_request=Cited(1 << 30, Evidence("d.txt", 9, None, "memory:  1Gi")),
    )
    result = ParseResult()
    add_pod(_apiserver(container), result)
    (over,) = [f for f in result.facts if f.name == "pod.memory_limit_over_request"]
    assert over.value is True and over.evidence == limit_line


def test_only_troubled_states_become_records() -> None:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    running = ContainerView("up", state=StateView("running", None, CITE, started=at))
    waiting = ContainerView("down", state=StateView("waiting", None, CITE, message="back-off"))
    result = ParseResult()
    add_pod(_apiserver(running, waiting), result)
    assert [r.text for r in result.records] == ["down state waiting: back-off"]
    assert [a.value for a in result.anchors] == [at]


def test_a_node_condition_is_facts_and_a_record() -> None:
    moment = datetime(2022, 2, 17, 22, 13, 52, tzinfo=UTC)
    line = Evidence("node.txt", 12, moment, "Ready  Unknown  ...  NodeStatusUnknown  stopped")
    condition = ConditionView(
        "Ready", "Unknown", "NodeStatusUnknown", "stopped", "Ready Unknown ...", line
    )
    result = ParseResult()
    add_node(NodeView("n1", conditions=[condition], pods=[("prod", "web-1")]), result)
    assert {f.name: f.value for f in result.facts} == {
        "node.condition.Ready": "Unknown",
        "node.condition.Ready.reason": "NodeStatusUnknown",
        "node.condition.Ready.message": "stopped",
        "node.ready": False,
    }
    (record,) = result.records
    assert (record.text, record.line, record.stamp and record.stamp.value) == (
        "Ready Unknown ...",
        12,
        moment,
    )
    assert [e.ref() for e in result.entities] == ["node/n1", "pod/prod/web-1"]
