"""deploy/ is a kustomize base that renders offline, validates against the official schemas of the
oldest and newest supported Kubernetes minors, and is complete: the agent it runs accepts its
arguments, reads the ConfigMaps it mounts, and has the RBAC its writes need."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# The Kubernetes minors kubewhy supports (README, "Deploy"): the oldest and the newest.
OLDEST, NEWEST = "1.29", "1.37"


@cache
def rendered() -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        if os.environ.get("KUBEWHY_REQUIRE_PEERS"):
            pytest.fail("kubectl is not installed")
        pytest.skip("kubectl is not installed")
    run = subprocess.run(
        [kubectl, "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def objects() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(rendered()) if d]


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [o for o in objects() if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_every_object_is_valid_for_the_supported_kubernetes(version: str) -> None:
    validate = Path(sys.executable).parent / "kubernetes-validate"
    run = subprocess.run(
        [str(validate), "--strict", "-k", version, "-"],
        input=rendered(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    checked = {o["kind"] for o in objects()} - {"PodMonitor"}
    for obj in objects():
        if obj["kind"] in checked:
            resource = f"{obj['kind'].lower()}/{obj['metadata']['name']}"
            assert f"passed for resource {resource} against version {version}" in run.stdout
    # The Prometheus Operator's CRD ships no schema with Kubernetes: the only one not checked
    # here (its shape is checked below).
    warnings = [line for line in run.stdout.splitlines() if line.startswith("WARN")]
    assert all("PodMonitor" in line for line in warnings), warnings


def test_one_namespace_and_one_service_account_for_the_whole_tool() -> None:
    assert [o["metadata"]["name"] for o in objects() if o["kind"] == "Namespace"] == ["kubewhy"]
    assert [o["metadata"]["name"] for o in objects() if o["kind"] == "ServiceAccount"] == [
        "kubewhy"
    ]
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
    for obj in objects():
        if obj["kind"] not in cluster_scoped:
            assert obj["metadata"]["namespace"] == "kubewhy", obj["metadata"]
    for binding in (o for o in objects() if o["kind"] == "ClusterRoleBinding"):
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "kubewhy", "namespace": "kubewhy"}
        ]


def test_the_daemonset_is_hardened_probed_and_linux_only() -> None:
    pod = one("DaemonSet", "kubewhy-agent")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "kubewhy"
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    [agent] = pod["containers"]
    assert agent["image"] == "kubewhy:0.1.0"
    context = agent["securityContext"]
    assert context["readOnlyRootFilesystem"] and not context["allowPrivilegeEscalation"]
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert context["capabilities"]["drop"] == ["ALL"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert agent[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}, probe
    mounts = {m["name"]: m for m in agent["volumeMounts"]}
    assert mounts["host"]["readOnly"] and mounts["host"]["mountPath"] == "/host"
    env = {e["name"]: e for e in agent["env"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    # The local rules and suppressions come from the base's ConfigMaps, mounted where the
    # environment tells kubewhy to look.
    assert env["KUBEWHY_KB_PATH"]["value"] == mounts["rules"]["mountPath"]
    assert (
        volumes["rules"]["configMap"]["name"]
        == one("ConfigMap", "kubewhy-rules")["metadata"]["name"]
    )
    suppressions = one("ConfigMap", "kubewhy-suppressions")["data"]["suppressions.yaml"]
    assert yaml.safe_load(suppressions) == {"suppressions": []}
    key = Path(env["KUBEWHY_SUPPRESSIONS"]["value"])
    assert str(key.parent) == mounts["suppressions"]["mountPath"]
    assert key.name == "suppressions.yaml"
    assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"


def test_the_agent_accepts_the_arguments_the_daemonset_gives_it() -> None:
    [agent] = one("DaemonSet")["spec"]["template"]["spec"]["containers"]
    assert agent["args"][0] == "watch"
    shown = subprocess.run(
        [sys.executable, "-m", "kubewhy", "watch", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for arg in agent["args"][1:]:
        assert arg.split("=")[0] in shown, arg


def test_service_and_podmonitor_reach_the_agents_port() -> None:
    labels = one("DaemonSet")["spec"]["template"]["metadata"]["labels"]
    [agent] = one("DaemonSet")["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in agent["ports"]}
    service = one("Service", "kubewhy-agent")["spec"]
    assert service["selector"].items() <= labels.items()
    assert service["ports"][0]["targetPort"] in ports
    monitor = one("PodMonitor", "kubewhy-agent")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] in ports and endpoint["path"] == "/metrics"
    assert {"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"} in (
        endpoint["relabelings"]
    )


def test_the_agent_may_write_only_its_conditions_and_events() -> None:
    reporter = one("ClusterRole", "kubewhy-node-reporter")
    granted = {
        (group, resource, verb)
        for rule in reporter["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert granted == {
        ("", "nodes/status", "patch"),
        ("", "events", "create"),
        ("", "events", "patch"),
    }
    # Reading its Node back (transition times) is in the reader role.
    reader = one("ClusterRole", "kubewhy-reader")
    assert any("nodes" in r["resources"] and "get" in r["verbs"] for r in reader["rules"])
