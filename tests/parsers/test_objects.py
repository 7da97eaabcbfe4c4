"""Kubernetes objects: pods, nodes, events, lists, multi-document YAML, cluster-info dump."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubewhy.facts.catalog import is_catalogued
from kubewhy.parsers.base import Context
from kubewhy.parsers.objects import ObjectsFormat, parse_quantity

FORMAT = ObjectsFormat()
DATA = Path(__file__).parent / "data"


def test_docs_pod_healthy_tells_its_phase_only(parse, facts_by_entity) -> None:
    result = parse(FORMAT, "pod_nginx_running.yaml")
    pod = "pod/default/nginx-deployment-67d4bdd6f5-w6kd7"
    assert facts_by_entity(result, "pod.phase") == {pod: "Running"}
    # Running, Ready, never restarted: nothing any failure mode reads, so no other fact.
    assert {f.name for f in result.facts} == {"pod.phase"}
    assert [(e.ref(), e.node) for e in result.entities] == [(pod, "kube-worker-1")]
    assert result.records == []  # nothing wrong to match
    assert result.malformed == 0


def test_docs_pod_after_a_restart_tells_everything(facts_by_entity) -> None:
    text = (DATA / "pod_nginx_running.yaml").read_text()
    obj = yaml.safe_load(text)
    obj["status"]["containerStatuses"][0]["restartCount"] = 1
    result = FORMAT.parse(yaml.safe_dump(obj), Context("pod.yaml"))
    assert all(is_catalogued(f.name) and f.evidence for f in result.facts)
    pod = "pod/default/nginx-deployment-67d4bdd6f5-w6kd7"
    container = "container/default/nginx-deployment-67d4bdd6f5-w6kd7/nginx"
    assert facts_by_entity(result, "pod.qos_class") == {pod: "Guaranteed"}
    assert facts_by_entity(result, "pod.ready") == {pod: True}
    assert facts_by_entity(result, "container.state") == {container: "running"}
    assert facts_by_entity(result, "container.restart_count") == {container: 1}
    assert facts_by_entity(result, "container.memory_limit_bytes") == {container: 128 * 2**20}
    # limit == request: not over.
    assert facts_by_entity(result, "pod.memory_limit_over_request") == {}
    # Counting pods is the store's job (a dump has one pods.json per namespace).
    assert not [f for f in result.facts if f.name.startswith(("node.pods.", "cluster."))]


def test_docs_node(parse, facts) -> None:
    result = parse(FORMAT, "node_kube_worker_1.yaml")
    assert facts(result, "node.ready") == [True]
    assert facts(result, "node.condition.Ready.reason") == ["KubeletReady"]
    assert facts(result, "node.condition.MemoryPressure") == ["False"]
    assert facts(result, "kernel.release") == ["5.13.0-28-generic"]
    assert facts(result, "os.pretty_name") == ["Ubuntu 21.10"]
    assert facts(result, "node.kubelet_version") == ["v1.23.3"]
    assert facts(result, "node.container_runtime") == ["containerd://1.5.9"]
    assert facts(result, "node.capacity.pods") == [110]
    ready = next(r for r in result.records if r.text.startswith("Ready True"))
    assert ready.stamp is not None and ready.stamp.value.isoformat() == "2022-02-17T22:15:15+00:00"
    assert len(result.anchors) == 5


def test_pod_list_counts_and_control_plane(parse, facts_by_entity) -> None:
    result = parse(FORMAT, "pods_list.json")
    # Every pod with a phase or a node is counted from the store (tests/facts/test_derive.py).
    assert len(facts_by_entity(result, "pod.phase")) == 8
    assert facts_by_entity(result, "cluster.etcd_stacked") == {"cluster/cluster": True}
    assert facts_by_entity(result, "component.oom_killed") == {
        "component/kube-apiserver": True,
        "component/etcd": False,
    }
    assert facts_by_entity(result, "component.restarts")["component/kube-apiserver"] == 4
    assert facts_by_entity(result, "pod.has_exec_probe") == {"pod/prod/web-1": True}
    apiserver = "container/kube-system/kube-apiserver-master-1/kube-apiserver"
    assert facts_by_entity(result, "container.last_terminated_reason") == {apiserver: "OOMKilled"}
    assert facts_by_entity(result, "container.last_exit_code") == {apiserver: 137}
    assert facts_by_entity(result, "pod.memory_limit_over_request") == {
        "pod/kube-system/kube-apiserver-master-1": True
    }
    texts = [r.text for r in result.records]
    assert "kube-apiserver lastState terminated reason OOMKilled exitCode 137" in texts
    assert (
        "PodScheduled False Unschedulable: 0/3 nodes are available: 3 Insufficient memory." in texts
    )
    assert any(t.startswith("pod Evicted: The node was low on resource: memory.") for t in texts)


def test_secrets_are_never_kept(parse) -> None:
    for sample in ("pods_list.json", "events_k8s_io_v1.yaml"):
        result = parse(FORMAT, sample)
        seen = repr(result)
        assert "c2VjcmV0" not in seen and "bm90LWtlcHQ=" not in seen
        assert all(e.kind != "secret" for e in result.entities)


def test_event_lists_both_apis(parse, facts_by_entity) -> None:
    core = parse(FORMAT, "events_core_v1.json")
    assert facts_by_entity(core, "node.reboots") == {"node/node-a": 2}
    unhealthy = next(r for r in core.records if r.text.startswith("Unhealthy"))
    assert unhealthy.entity is not None and unhealthy.entity.ref() == "pod/prod/web-1"
    assert unhealthy.entity.node == "node-a"
    assert unhealthy.stamp is not None
    assert unhealthy.stamp.value.isoformat() == "2020-06-14T05:29:00+00:00"
    new = parse(FORMAT, "events_k8s_io_v1.yaml")
    (record,) = new.records
    assert record.text.startswith("FailedCreatePodSandBox: Failed to create pod sandbox")
    assert record.stamp is not None  # series.lastObservedTime wins over eventTime
    assert record.stamp.value.isoformat() == "2023-03-01T10:20:00+00:00"


def test_cluster_info_dump_stream(parse, facts_by_entity) -> None:
    result = parse(FORMAT, "cluster_info_dump_stdout.txt")
    assert facts_by_entity(result, "node.ready") == {"node/master-1": True, "node/node-a": False}
    message = facts_by_entity(result, "node.condition.Ready.message")["node/node-a"]
    assert str(message).startswith("PLEG is not healthy")
    # Only the apiserver pod is in this dump: where etcd runs is unknown, so no verdict.
    assert facts_by_entity(result, "cluster.etcd_stacked") == {}
    assert result.malformed == 1  # the broken document at the end; the log section is skipped


def test_items_without_kind_take_the_list_kind() -> None:
    text = json.dumps(
        {"kind": "PodList", "items": [{"metadata": {"name": "a"}, "status": {"phase": "Running"}}]}
    )
    result = FORMAT.parse(text, Context("pods.json", namespace="kube-system"))
    assert [(f.entity.ref(), f.value) for f in result.facts if f.name == "pod.phase"] == [
        ("pod/kube-system/a", "Running")
    ]


def test_broken_yaml_is_counted() -> None:
    result = FORMAT.parse("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n", Context("x"))
    assert result.facts == [] and result.malformed == 1


def test_quantities() -> None:
    assert parse_quantity("3436Mi") == 3436 * 2**20
    assert parse_quantity("1e3") == 1000
    assert parse_quantity("129M") == 129_000_000
    assert parse_quantity("") is None


def _pod_list(count: int) -> str:
    items = []
    for index in range(count):
        items.append(
            {
                "metadata": {"name": f"web-{index}", "namespace": f"ns-{index % 50}"},
                "spec": {
                    "nodeName": f"node-{index % 500}",
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:1.25",
                            "resources": {"limits": {"memory": "256Mi"}},
                        },
                        {"name": "sidecar", "image": "envoy:1"},
                    ],
                },
                "status": {
                    "phase": "Running",
                    "qosClass": "Burstable",
                    "conditions": [{"type": "Ready", "status": "True"}],
                    "containerStatuses": [
                        {"name": "app", "restartCount": 1, "state": {"running": {}}},
                        {"name": "sidecar", "restartCount": 0, "state": {"running": {}}},
                    ],
                },
            }
        )
    return json.dumps({"kind": "PodList", "apiVersion": "v1", "items": items}, indent=4)


def test_large_pod_list_is_fast() -> None:
    text = _pod_list(20_000)
    # CPU time, not wall time: the suite shares its cores with other work.
    started = time.process_time()
    result = FORMAT.parse(text, Context("pods.json"))
    elapsed = time.process_time() - started
    assert len([f for f in result.facts if f.name == "pod.phase"]) == 20_000
    # Each pod has restarted once: every pod and container tells everything.
    assert len([f for f in result.facts if f.name == "container.restart_count"]) == 40_000
    # 20,000 pods in well under 10 s of CPU even on a slow runner (about 1.3 s measured).
    assert elapsed < 10


def _running_pod(**changes: Any) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "app",
        "ready": True,
        "restartCount": 0,
        "state": {"running": {}},
        "lastState": {},
    }
    container.update(changes.pop("container", {}))
    status: dict[str, Any] = {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": [container],
    }
    status.update(changes)
    return {
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "prod"},
        "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "web:1"}]},
        "status": status,
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"container": {"restartCount": 3}},
        {"container": {"lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}},
        {"container": {"state": {"waiting": {"reason": "CrashLoopBackOff"}}}},
        {"container": {"ready": False}},
        {"conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}]},
        {"phase": "Pending"},
        {"reason": "Evicted", "message": "The node was low on resource: memory."},
    ],
)
def test_any_sign_of_trouble_gives_every_fact(changes: dict[str, Any]) -> None:
    result = FORMAT.parse(json.dumps(_running_pod(**changes)), Context("pod.json"))
    names = {f.name for f in result.facts}
    assert {"pod.node", "container.restart_count", "container.image"} <= names
    assert any(e.kind == "container" for e in result.entities)


def test_a_healthy_pod_gives_its_phase_and_exec_probe_only() -> None:
    pod = _running_pod()
    pod["spec"]["containers"][0]["livenessProbe"] = {"exec": {"command": ["true"]}}
    result = FORMAT.parse(json.dumps(pod), Context("pod.json"))
    assert sorted((f.name, f.value) for f in result.facts) == [
        ("pod.has_exec_probe", True),
        ("pod.phase", "Running"),
    ]
    assert [(e.ref(), e.node) for e in result.entities] == [("pod/prod/web", "n1")]


def test_a_namespace_conditions_that_hold_become_lines_to_match() -> None:
    # The shape kubectl get namespace -o json prints for a namespace stuck in Terminating, from
    # the namespace controller's conditions (pkg/controller/namespace/deletion).
    doc = (
        '{"kind": "Namespace", "metadata": {"name": "kafka"}, "status": {"phase": "Terminating",'
        ' "conditions": [{"type": "NamespaceDeletionDiscoveryFailure", "status": "False",'
        ' "message": "All resources successfully discovered"},'
        ' {"type": "NamespaceFinalizersRemaining", "status": "True", "message": "Some content in'
        " the namespace has finalizers remaining: strimzi.io/kafka-finalizer in 1 resource"
        ' instances"}]}}'
    )
    records = [r.text for r in ObjectsFormat().parse(doc, Context("ns.json")).records]
    assert records == [
        "namespace kafka NamespaceFinalizersRemaining: Some content in the namespace has"
        " finalizers remaining: strimzi.io/kafka-finalizer in 1 resource instances"
    ]
