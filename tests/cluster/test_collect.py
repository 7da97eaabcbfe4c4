"""The collector against a recorded API server, through the real kubernetes client."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from kubewhy.errors import InputError, UsageError
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.cluster import collect_cluster

from .apiserver import TOKEN, Faults, Scenario
from .conftest import Serve, seed, seed_data


def _items(bundle: BundleWriter, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(bundle.files[path])["items"]
    return items


def _big_cluster(nodes: int, pods_per_node: int) -> Scenario:
    """A cluster built from the seed objects' shapes: many nodes, many pods."""
    base = seed_data("seed000")
    node_shape = base["nodes"][0]  # type: ignore[index]
    pod_shape = base["pods"][3]  # type: ignore[index]
    scenario = Scenario(namespaces=["default"])
    for n in range(nodes):
        node = copy.deepcopy(node_shape)
        node["metadata"]["name"] = f"worker-{n:03d}"
        node["metadata"]["uid"] = f"node-uid-{n}"
        scenario.nodes.append(node)
        for p in range(pods_per_node):
            pod = copy.deepcopy(pod_shape)
            pod["metadata"]["name"] = f"web-{n:03d}-{p:03d}"
            pod["metadata"]["uid"] = f"pod-uid-{n}-{p}"
            pod["spec"]["nodeName"] = f"worker-{n:03d}"
            scenario.pods.append(pod)
    return scenario


def test_node_target_reads_its_pods_not_the_cluster(serve: Serve) -> None:
    scenario = _big_cluster(nodes=40, pods_per_node=30)  # 1,200 pods
    with serve(scenario) as (api, kubeconfig):
        bundle = collect_cluster("node/worker-007", kubeconfig=kubeconfig, context="recorded")
    pod_lists = [
        s for s in api.seen if s.path in ("/api/v1/pods", "/api/v1/namespaces/default/pods")
    ]
    assert pod_lists and all(
        s.query.get("fieldSelector") == "spec.nodeName=worker-007" for s in pod_lists
    )
    assert not api.requests("/api/v1/nodes?") and not any(
        s.path == "/api/v1/nodes" for s in api.seen
    )
    assert api.objects_read() <= 30 + 5  # the node's pods, the node, its events
    assert len(api.seen) <= 15
    pods = _items(bundle, "default/pods.json")
    assert len(pods) == 30 and {p["spec"]["nodeName"] for p in pods} == {"worker-007"}
    # List items come without kind; the dump gives it back so parsers know what they read.
    assert {p["kind"] for p in pods} == {"Pod"}


def test_whole_cluster_is_read_in_pages(serve: Serve) -> None:
    scenario = _big_cluster(nodes=3, pods_per_node=400)  # 1,200 pods: 3 pages of 500
    with serve(scenario) as (api, kubeconfig):
        bundle = collect_cluster(None, kubeconfig=kubeconfig, context="recorded")
    pages = [s for s in api.seen if s.path == "/api/v1/pods"]
    assert [s.objects for s in pages] == [500, 500, 200]
    assert all(s.query["limit"] == "500" for s in pages)
    assert "continue" not in pages[0].query and all("continue" in s.query for s in pages[1:])
    assert len(_items(bundle, "default/pods.json")) == 1200
    assert len(_items(bundle, "nodes.json")) == 3


def test_events_from_both_apis_are_kept_once(serve: Serve) -> None:
    with serve(seed("seed003")) as (api, kubeconfig):
        bundle = collect_cluster(None, kubeconfig=kubeconfig, context="recorded")
    assert api.requests("/apis/events.k8s.io/v1/events") and api.requests("/api/v1/events")
    events = _items(bundle, "default/events.json")
    assert len(events) == 4 and {e["reason"] for e in events} == {"Rebooted"}


def test_forbidden_reads_become_gaps(serve: Serve) -> None:
    faults = Faults(
        forbidden=["/api/v1/nodes/node-xx/proxy", "/api/v1/namespaces/kube-system/pods/"]
    )
    with serve(seed("seed000"), faults) as (api, kubeconfig):
        bundle = collect_cluster("node/node-xx", kubeconfig=kubeconfig, context="recorded")
    gaps = {(g.origin, g.reason) for g in bundle.manifest.gaps}
    assert ("nodes/proxy (kubelet configz and metrics)", "permission") in gaps
    assert any(o.startswith("logs of kube-system/") and r == "permission" for o, r in gaps)
    # What was allowed was still read.
    assert "kube-system/pods.json" in bundle.files and "nodes.json" in bundle.files
    # One refusal of nodes/proxy is enough to stop asking for it.
    assert len(api.requests("/api/v1/nodes/node-xx/proxy")) == 1


def test_throttled_requests_wait_for_retry_after(serve: Serve) -> None:
    faults = Faults(throttled={"/api/v1/pods": 2}, unavailable={"/api/v1/events": 1})
    with serve(seed("seed000"), faults) as (api, kubeconfig):
        started = time.monotonic()
        bundle = collect_cluster("node/node-xx", kubeconfig=kubeconfig, context="recorded")
        took = time.monotonic() - started
    statuses = [s.status for s in api.seen if s.path == "/api/v1/pods"]
    assert statuses == [429, 429, 200]
    assert [s.status for s in api.seen if s.path == "/api/v1/events"] == [503, 200]
    assert took >= 2.0  # two Retry-After: 1
    assert (len(_items(bundle, "prod/pods.json")) == 1 and not bundle.manifest.gaps) or all(
        g.reason != "error" for g in bundle.manifest.gaps
    )


def test_a_slow_answer_is_a_timeout_gap(serve: Serve) -> None:
    faults = Faults(slow={"/api/v1/nodes/node-xx/proxy/metrics": 3.0})
    with serve(seed("seed000"), faults) as (_, kubeconfig):
        started = time.monotonic()
        bundle = collect_cluster(
            "node/node-xx", kubeconfig=kubeconfig, context="recorded", timeout=1.0
        )
        took = time.monotonic() - started
    timeouts = [g.origin for g in bundle.manifest.gaps if g.reason == "timeout"]
    assert timeouts and all("/proxy/metrics" in o for o in timeouts)
    assert took < 8.0
    assert "nodes/node-xx/configz.json" in bundle.files  # the rest was read


def test_context_is_honoured_and_missing_targets_are_errors(serve: Serve) -> None:
    with serve(seed("seed000")) as (api, kubeconfig):
        with pytest.raises(InputError, match="node nowhere not found"):
            collect_cluster("node/nowhere", kubeconfig=kubeconfig, context="recorded")
        with pytest.raises(InputError, match="cluster configuration"):
            collect_cluster("node/node-xx", kubeconfig=kubeconfig, context="no-such-context")
        with pytest.raises(UsageError):
            collect_cluster("deployment/web", kubeconfig=kubeconfig)
        assert api.seen  # the first call did reach the server


def test_pod_target_reads_logs_and_the_node(serve: Serve) -> None:
    with serve(seed("seed000")) as (api, kubeconfig):
        bundle = collect_cluster(
            "pod/calico-node-7xq2m", namespace="kube-system", kubeconfig=kubeconfig,
            context="recorded", logs_tail=2,
        )  # fmt: skip
    previous = bundle.files["kube-system/calico-node-7xq2m/logs-previous.txt"].decode()
    assert previous.splitlines() == [
        "runtime: may need to increase max user processes (ulimit -u)",
        "fatal error: newosproc",
    ]
    logs = api.requests("/api/v1/namespaces/kube-system/pods/calico-node-7xq2m/log")
    assert {s.query.get("tailLines") for s in logs} == {"2"}
    artefact = bundle.manifest.artefact("kube-system/calico-node-7xq2m/logs-previous.txt")
    assert artefact is not None and artefact.truncated and artefact.component == "calico-node"
    assert "nodes.json" in bundle.files and "nodes/node-xx/configz.json" in bundle.files
    assert all(s.query.get("fieldSelector") for s in api.requests("/api/v1/pods"))


def test_nothing_secret_is_read_or_written(serve: Serve) -> None:
    scenario = seed("seed000")
    leaky = scenario.pods[1]["spec"]["containers"][0]
    leaky["args"] = ["--api-token=s3cr3tvalue99"]
    leaky["env"] = [{"name": "DB_PASSWORD", "value": "hunter2hunter2"}]
    scenario.logs["prod/order-service-6d9f7c8b5-k2lqp/order-service"] = (
        "calling upstream with Authorization: Bearer abcdefghijklmnop1234\n"
    )
    with serve(scenario) as (api, kubeconfig):
        bundle = collect_cluster("node/node-xx", kubeconfig=kubeconfig, context="recorded")
    assert not any("secrets" in s.path for s in api.seen)
    blob = b"\n".join(bundle.files.values()) + bundle.manifest_bytes()
    for secret in (b"s3cr3tvalue99", b"hunter2hunter2", b"abcdefghijklmnop1234", TOKEN.encode()):
        assert secret not in blob
    pods = _items(bundle, "prod/pods.json")
    assert pods[0]["spec"]["containers"][0]["env"][0]["value"] == "[REDACTED]"
    assert "managedFields" not in pods[0]["metadata"]
