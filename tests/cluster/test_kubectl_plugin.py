"""``kubectl kubewhy`` as a user runs it: through the real kubectl (plugin discovery on PATH)
against the recorded API server, with kubectl's conventions (-o FORMAT, --as, -n,
--request-timeout, --context)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from .apiserver import Faults
from .conftest import Serve, seed

BIN = Path(sys.executable).parent


def kubectl_kubewhy(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Through kubectl when it is installed (as users run it), else the plugin executable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBEWHY_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    kubectl = shutil.which("kubectl", path=env["PATH"])
    if kubectl is None and os.environ.get("KUBEWHY_REQUIRE_PEERS"):
        pytest.fail("kubectl is not installed")
    command = [kubectl, "kubewhy"] if kubectl else [str(BIN / "kubectl-kubewhy")]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


def test_help_names_the_plugin_as_kubectl_shows_it() -> None:
    run = kubectl_kubewhy("--help")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Usage: kubectl kubewhy [OPTIONS] [target]")
    for flag in ("-o, --output", "-n, --namespace", "--context", "--as", "--request-timeout"):
        assert flag in run.stdout


def test_output_formats_and_impersonation(serve: Serve) -> None:
    with serve(seed("seed000")) as (api, kubeconfig):
        common = ["node/node-xx", "--kubeconfig", kubeconfig, "--context", "recorded"]
        as_json = kubectl_kubewhy(*common, "--as", "jane@example.com", "-o", "json")
        assert as_json.returncode == 1, as_json.stderr
        assert api.seen and {s.impersonate for s in api.seen} == {"jane@example.com"}
        api.seen.clear()
        as_yaml = kubectl_kubewhy(*common, "--output=yaml")
        as_html = kubectl_kubewhy(*common, "-o", "html")
        assert {s.impersonate for s in api.seen} == {None}
    report = json.loads(as_json.stdout)
    found = [f["failure_mode"] for f in report["findings"]]
    assert "probe-failure" in found or "node-pid-exhaustion" in found, found
    assert [f["failure_mode"] for f in yaml.safe_load(as_yaml.stdout)["findings"]] == found
    page = as_html.stdout
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert 'id="verdict"' in page and "<script" not in page
    assert not Path("json").exists(), "-o is the format, never a file name"


def test_namespace_flag_scopes_a_pod_target(serve: Serve) -> None:
    with serve(seed("seed000")) as (api, kubeconfig):
        run = kubectl_kubewhy(
            "pod/calico-node-7xq2m",
            "-n",
            "kube-system",
            "--kubeconfig",
            kubeconfig,
            "--context",
            "recorded",
            "-o",
            "json",
        )
    assert run.returncode in (0, 1), run.stderr
    assert api.requests("/api/v1/namespaces/kube-system/pods/calico-node-7xq2m")


def test_request_timeout_bounds_each_request(serve: Serve) -> None:
    faults = Faults(slow={"/api/v1/nodes/node-xx/proxy/metrics": 4.0})
    with serve(seed("seed000"), faults) as (_, kubeconfig):
        started = time.monotonic()
        run = kubectl_kubewhy(
            "node/node-xx",
            "--kubeconfig",
            kubeconfig,
            "--context",
            "recorded",
            "--request-timeout",
            "1s",
            "-o",
            "json",
        )
        took = time.monotonic() - started
    gaps = json.loads(run.stdout)["gaps"]
    assert any(g["reason"] == "timeout" and "/proxy/metrics" in g["origin"] for g in gaps), gaps
    assert took < 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "wide"], "'wide' is not one of"),
        (["--request-timeout", "soon"], "--request-timeout 'soon'"),
        (["deployment/web", "--kubeconfig", "/nonexistent"], "kubewhy:"),
    ],
)
def test_bad_flags_are_one_line(args: list[str], message: str) -> None:
    run = kubectl_kubewhy(*args)
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr, run.stderr
