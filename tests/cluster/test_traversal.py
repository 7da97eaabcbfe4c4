"""Names from an API server are data, never paths: a recorded API server serves namespaces,
pods and nodes named ``..``, ``/etc/cron.d``, ``a/../../b``, with NUL bytes, 300 characters
long or in Unicode, and kubewhy, collecting a bundle and writing it out, writes nothing outside
its own folder; the names come back decoded when the bundle is read."""

from __future__ import annotations

import copy
import json
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

from kubewhy.model.names import is_safe_relative
from kubewhy.pipeline import ClusterSource, Request, diagnose
from kubewhy.sources.cluster import collect_cluster

from .apiserver import Scenario
from .conftest import Serve, seed_data

HOSTILE = [
    "..",
    ".",
    "/etc/cron.d",
    "a/../../b",
    "../../../../tmp/kubewhy-escaped",
    "nul\x00byte",
    "x" * 300,
    "ポッド-é",
    "-rf",
    "~",
    "%2e%2e",
]


def hostile_cluster() -> Scenario:
    base = seed_data("seed000")
    node_shape = base["nodes"][0]  # type: ignore[index]
    pod_shape = base["pods"][3]  # type: ignore[index]
    scenario = Scenario(namespaces=HOSTILE)
    node = copy.deepcopy(node_shape)
    node["metadata"]["name"] = "../../node-escape"
    scenario.nodes.append(node)
    scenario.proxy["../../node-escape/configz"] = '{"kubeletconfig": {"podPidsLimit": 100}}'
    for n, name in enumerate(HOSTILE):
        pod: dict[str, Any] = copy.deepcopy(pod_shape)
        pod["metadata"].update(name=name, namespace=name, uid=f"uid-{n}")
        pod["spec"]["nodeName"] = "../../node-escape"
        pod["status"]["phase"] = "Failed"  # troubled: its logs are read
        container = pod["spec"]["containers"][0]["name"]
        scenario.logs[f"{name}/{name}/{container}"] = f"log of {name!r}\n"
        scenario.pods.append(pod)
    return scenario


def everything_under(root: Path) -> set[Path]:
    return {Path(d) / f for d, _, files in os.walk(root) for f in files}


def test_no_write_outside_the_bundle_for_any_server_supplied_name(
    serve: Serve, tmp_path: Path
) -> None:
    before = everything_under(tmp_path.parent)
    with serve(hostile_cluster()) as (_, kubeconfig):
        bundle = collect_cluster(None, kubeconfig=kubeconfig)
    assert all(is_safe_relative(path) for path in bundle.files), sorted(bundle.files)
    # Every namespace got its files, under encoded names.
    for name in HOSTILE:
        assert any(a.namespace == name for a in bundle.manifest.artefacts), name
    out = tmp_path / "out"
    bundle.write_dir(out)
    archive = tmp_path / "bundle.tar.gz"
    bundle.write_tar_gz(archive)
    created = everything_under(tmp_path.parent) - before
    assert created, "nothing written"
    assert all(path.is_relative_to(tmp_path) for path in created), sorted(created)
    assert not Path("/tmp/kubewhy-escaped").exists()
    # The archive holds no member that another tool would write elsewhere.
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            assert is_safe_relative(member.name), member.name
            assert member.isfile()


def test_the_bundle_reader_gives_the_names_back(serve: Serve, tmp_path: Path) -> None:
    scenario = hostile_cluster()
    scenario.nodes[0]["metadata"]["name"] = "worker-1"
    for pod in scenario.pods:
        pod["spec"]["nodeName"] = "worker-1"
    with serve(scenario) as (_, kubeconfig):
        # The pods of a node: their logs are read (they are in trouble), under their names.
        bundle = collect_cluster("node/worker-1", kubeconfig=kubeconfig)
    archive = tmp_path / "bundle.tar.gz"
    bundle.write_tar_gz(archive)
    logs = [path for path in bundle.files if path.endswith("/logs.txt")]
    assert len(logs) == len(HOSTILE)
    from kubewhy.sources.files import open_inputs

    with open_inputs([archive]) as inputs:
        pods = {(f.namespace, f.pod) for f in inputs.files if f.display.endswith("/logs.txt")}
    # Every pod's own name is given back, except a name cut for length (the manifest keeps it).
    assert {(name, name) for name in HOSTILE} <= pods


def test_diagnose_cluster_with_hostile_names_writes_nothing(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(tmp_path)
    with serve(hostile_cluster()) as (_, kubeconfig):
        diagnosis = diagnose(Request(cluster=ClusterSource(kubeconfig=kubeconfig)))
    assert {i.path.split("/")[0] for i in diagnosis.inputs} == {"cluster"}
    # Live evidence stays in memory: nothing in the temporary folder, the working folder or
    # where the names point.
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["scratch", "kubeconfig"])
    assert not Path("/tmp/kubewhy-escaped").exists()
    assert json.loads(diagnosis.model_dump_json())["inputs"]
