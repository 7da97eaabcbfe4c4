"""A user's install: the wheel with pipx, the sdist with pip, each into a fresh environment, then
kubewhy diagnosing an incident from there. Python 3.12 and 3.13 too, where installed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from kubewhy import __version__
from kubewhy.kb.load import builtin_dir

from .conftest import EXAMPLE, Dist, clean_env

INSTALL_TIMEOUT = 600
# Building the wheel and installing its dependencies into fresh environments takes minutes.
pytestmark = pytest.mark.timeout(1200)


def _run(
    command: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


def _diagnoses_the_example(bin_dir: Path, env: dict[str, str]) -> None:
    version = _run([str(bin_dir / "kubewhy"), "--version"], env)
    assert version.returncode == 0 and version.stdout.strip() == f"kubewhy {__version__}"
    run = _run([str(bin_dir / "kubewhy"), "diagnose", str(EXAMPLE), "--format", "json"], env)
    assert run.returncode == 1, run.stderr
    found = [f["failure_mode"] for f in json.loads(run.stdout)["findings"]]
    assert found[0] == "thread-leak-container", found
    # The HTML report's template is package data: an install without it could not render.
    page = _run([str(bin_dir / "kubewhy"), "diagnose", str(EXAMPLE), "--format", "html"], env)
    assert page.returncode == 1, page.stderr
    assert 'id="verdict">Root cause: ' in page.stdout and "(thread-leak-container)" in page.stdout
    rules = _run([str(bin_dir / "kubewhy"), "rules", "--format", "json"], env)
    assert len(json.loads(rules.stdout)) == len(list(builtin_dir().glob("*.yaml")))
    plugin = _run([str(bin_dir / "kubectl-kubewhy"), "--help"], env)
    assert plugin.stdout.startswith("Usage: kubectl kubewhy"), plugin.stdout + plugin.stderr


def test_the_wheel_carries_the_knowledge_base_and_both_commands(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        scripts = wheel.read(entry_points).decode()
    yamls = {f"kubewhy/kb/failure_modes/{p.name}" for p in builtin_dir().glob("*.yaml")}
    assert yamls and yamls <= names
    assert "kubewhy/py.typed" in names
    assert "kubewhy/reports/templates/report.html.j2" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "kubewhy = kubewhy.cli.main:run" in scripts
    assert "kubectl-kubewhy = kubewhy.cli.kubectl_plugin:run_plugin" in scripts
    assert not any(n.startswith(("tests/", "corpus/", "examples/")) for n in names)


def test_pipx_installs_the_wheel_and_it_diagnoses(dist: Dist, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    env |= {"PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin")}
    env |= {"PIPX_MAN_DIR": str(tmp_path / "man")}
    started = time.monotonic()
    install = _run(
        [sys.executable, "-m", "pipx", "install", "--python", sys.executable, str(dist.wheel)],
        env,
        INSTALL_TIMEOUT,
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    print(f"pipx install: {time.monotonic() - started:.1f} s")
    _diagnoses_the_example(tmp_path / "bin", env)


def _real(python: str) -> str | None:
    """The interpreter itself behind a launcher (pyenv's shims), None when it does not run."""
    done = subprocess.run(
        [python, "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout.strip() or None if done.returncode == 0 else None


def _interpreters() -> list[str]:
    """This Python, and 3.12/3.13 when they are installed and run."""
    found = [sys.executable]
    for name in ("python3.12", "python3.13"):
        path = shutil.which(name)
        real = _real(path) if path else None
        if real:
            found.append(real)
    return found


def _venv_install(python: str, artefact: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    venv = tmp_path / "venv"
    made = _run([python, "-m", "venv", str(venv)], env)
    assert made.returncode == 0, made.stderr
    started = time.monotonic()
    install = _run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(artefact)], env, INSTALL_TIMEOUT
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    version = _run([str(venv / "bin" / "python"), "-c", "import sys; print(sys.version)"], env)
    took = time.monotonic() - started
    print(f"pip install {artefact.name} on Python {version.stdout.split()[0]}: {took:.1f} s")
    _diagnoses_the_example(venv / "bin", env)


def test_pip_installs_the_sdist_into_a_fresh_venv(dist: Dist, tmp_path: Path) -> None:
    _venv_install(sys.executable, dist.sdist, tmp_path)


@pytest.mark.parametrize("python", _interpreters()[1:] or [None])
def test_the_wheel_on_newer_pythons(dist: Dist, tmp_path: Path, python: str | None) -> None:
    if python is None:
        pytest.skip("no Python 3.12 or 3.13 installed (python3.12, python3.13 on PATH)")
    _venv_install(python, dist.wheel, tmp_path)
