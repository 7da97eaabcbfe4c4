"""The single-file build (PyInstaller, from the wheel) run from a clean folder with a bare PATH,
and its krew archive and manifest: valid by krew's rules, installable as kubectl sees plugins.

The build takes one to two minutes on two cores; it runs once per session."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubewhy import __version__

from .conftest import EXAMPLE, ROOT, Dist, clean_env

PACKAGING = ROOT / "packaging"
# The build (a venv, the wheel's dependencies, PyInstaller's analysis) is in the first test's setup.
pytestmark = pytest.mark.timeout(1800)


@dataclass
class SingleFile:
    executable: Path
    archive: Path
    seconds: float


@pytest.fixture(scope="session")
def single_file(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SingleFile]:
    out = tmp_path_factory.mktemp("single-file")
    started = time.monotonic()
    build = subprocess.run(
        [sys.executable, str(PACKAGING / "single_file.py"), str(dist.wheel), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    [archive] = out.glob("kubectl-kubewhy_linux_*.tar.gz")
    yield SingleFile(out / "kubewhy", archive, time.monotonic() - started)


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_runs_from_a_clean_folder_without_python(single_file: SingleFile, tmp_path: Path) -> None:
    folder = tmp_path / "clean"
    folder.mkdir()
    shutil.copy2(single_file.executable, folder / "kubewhy")
    # No Python on PATH, no venv, no PYTHONPATH: only what every Linux box has.
    env = clean_env(tmp_path / "home")
    env["PATH"] = "/nonexistent"
    version = _run(["./kubewhy", "--version"], folder, env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"kubewhy {__version__}"
    started = time.monotonic()
    run = _run(["./kubewhy", "diagnose", str(EXAMPLE), "-f", "json"], folder, env)
    took = time.monotonic() - started
    assert run.returncode == 1, run.stderr
    found = [f["failure_mode"] for f in json.loads(run.stdout)["findings"]]
    assert found[0] == "thread-leak-container", found
    # The HTML report's template travels inside the file too.
    page = _run(["./kubewhy", "diagnose", str(EXAMPLE), "-f", "html"], folder, env)
    assert page.returncode == 1, page.stderr
    assert "(thread-leak-container)" in page.stdout and "</html>" in page.stdout
    size = single_file.executable.stat().st_size / 1e6
    print(
        f"single file: {size:.1f} MB, built in {single_file.seconds:.0f} s, diagnose {took:.2f} s"
    )
    # It leaves nothing behind in the folder it runs from.
    assert sorted(p.name for p in folder.iterdir()) == ["kubewhy"]


def test_redacts_with_every_rule_without_python(single_file: SingleFile, tmp_path: Path) -> None:
    """Redaction's engine (RE2) and detect-secrets' plugins are imported by name at run time:
    the frozen file must carry them. A GitHub token is one only those plugins know."""
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    env = clean_env(tmp_path / "home")
    env["PATH"] = "/nonexistent"
    run = _run([str(single_file.executable), "diagnose", f"/nonexistent/{token}"], tmp_path, env)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "[REDACTED]" in run.stderr, run.stderr
    assert token not in run.stderr


def _krew_checks(plugin: dict[str, Any]) -> None:
    """krew's own validation of a manifest (internal/index/validation/validate.go)."""
    assert plugin["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert plugin["kind"] == "Plugin"
    name = plugin["metadata"]["name"]
    assert re.fullmatch(r"[\w-]+", name) and name == "kubewhy"
    spec = plugin["spec"]
    assert spec["shortDescription"] and not re.search(r"[\r\n]", spec["shortDescription"])
    assert re.fullmatch(r"v\d+\.\d+\.\d+", spec["version"])
    assert spec["platforms"]
    for platform in spec["platforms"]:
        assert platform["uri"] and platform["bin"]
        assert re.fullmatch(r"[a-f0-9]{64}", platform["sha256"])
        assert set(platform["selector"]["matchLabels"]) <= {"os", "arch"}
        for op in platform.get("files", []):
            assert op["from"] and op["to"]


def test_krew_archive_and_manifest(single_file: SingleFile, tmp_path: Path) -> None:
    written = subprocess.run(
        [
            sys.executable,
            str(PACKAGING / "krew_manifest.py"),
            *("--version", __version__, "--homepage", "https://kubewhy.invalid"),
            *("--url-base", "https://kubewhy.invalid/releases/download/v" + __version__),
            str(single_file.archive),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    plugin = yaml.safe_load(written)
    _krew_checks(plugin)
    [platform] = plugin["spec"]["platforms"]
    assert platform["sha256"] == hashlib.sha256(single_file.archive.read_bytes()).hexdigest()
    assert platform["uri"].endswith("/" + single_file.archive.name)
    # What krew would unpack: the plugin and its license, the plugin runnable as kubectl does.
    with tarfile.open(single_file.archive) as tar:
        assert sorted(tar.getnames()) == ["LICENSE", "kubectl-kubewhy"]
        tar.extractall(tmp_path / "plugin", filter="data")
    binary = tmp_path / "plugin" / platform["bin"]
    assert os.access(binary, os.X_OK)
    env = clean_env(tmp_path / "home", path=f"{tmp_path / 'plugin'}:/usr/bin:/bin")
    kubectl = shutil.which("kubectl")
    command = [kubectl, "kubewhy", "--help"] if kubectl else [str(binary), "--help"]
    shown = _run(command, tmp_path, env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Usage: kubectl kubewhy")
