"""The release artefacts, built once per test session: wheel and sdist (``python -m build``),
then what is built from the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "seed000-calico-pid-exhaustion"


@dataclass
class Dist:
    wheel: Path
    sdist: Path


def clean_env(home: Path, path: str = "/usr/bin:/bin") -> dict[str, str]:
    """What a fresh login has: no venv, no PYTHONPATH, a home of its own."""
    env = {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8"}
    for name in ("PIP_CERT", "PIP_FIND_LINKS", "PIP_DEFAULT_TIMEOUT", "SSL_CERT_FILE"):
        if name in os.environ:  # how this machine reaches the package registry
            env[name] = os.environ[name]
    return env


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dist]:
    out = tmp_path_factory.mktemp("dist")
    # A copy of the tree without build leftovers: the sdist is built from what git tracks.
    source = tmp_path_factory.mktemp("source")
    files = subprocess.run(
        ["git", "ls-files", "-z", "--", ".", ":!:corpus"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        path = ROOT / name.decode()
        if path.is_file():
            (source / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name.decode())
    build = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    [wheel] = out.glob("*.whl")
    [sdist] = out.glob("*.tar.gz")
    yield Dist(wheel, sdist)
