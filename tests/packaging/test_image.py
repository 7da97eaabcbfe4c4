"""The container image, built without a registry (packaging/image.py: debootstrap, buildah) and run
with podman (runc, cgroupfs, vfs) to diagnose this host through a read-only /host mount.

Slow and guarded: it needs root, debootstrap, buildah, podman and runc (CI installs them: Makefile
``peers``), and takes about 3 minutes with the Debian tree cached (~/.cache/kubewhy/image), 6 to 8
minutes on a fresh machine (debootstrap). A step the machine refuses fails the test with that
step's name (``image.StepError``)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from kubewhy import __version__

from .conftest import ROOT, Dist


def _load_script(path: Path) -> ModuleType:
    """packaging/ holds scripts, not a package: load one by its path."""
    spec = importlib.util.spec_from_file_location("kubewhy_packaging_image", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


image = _load_script(ROOT / "packaging" / "image.py")

TOOLS = ("debootstrap", "buildah", "podman", "runc", "chroot")
pytestmark = pytest.mark.timeout(2400)


def _guard() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    why = f"needs root and {', '.join(missing)}" if missing else "needs root"
    if os.geteuid() == 0 and not missing:
        return
    if os.environ.get("KUBEWHY_REQUIRE_PEERS"):
        pytest.fail(f"the image build {why}")
    pytest.skip(f"the image build {why}")


@pytest.fixture(scope="module")
def built(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Iterator[image.Build]:
    _guard()
    work = tmp_path_factory.mktemp("image")
    cache = Path(os.environ.get("KUBEWHY_IMAGE_CACHE", Path.home() / ".cache/kubewhy/image"))
    build = image.Build(work, cache, __version__)
    try:
        build = image.build_image(dist.wheel, work, cache, work / "out", __version__)
        yield build
    except image.StepError as exc:
        pytest.fail(f"image build step refused or failed: {exc}")
    finally:
        image.cleanup(build)
        print("image build:", ", ".join(f"{k} {v:.0f} s" for k, v in build.timings.items()))


def _member(tar: tarfile.TarFile, name: str) -> Any:
    member = tar.extractfile(name)
    assert member is not None, name
    return json.load(member)


def _blob(descriptor: dict[str, str]) -> str:
    return "blobs/sha256/" + descriptor["digest"].removeprefix("sha256:")


def test_the_oci_archive_carries_the_containerfiles_configuration(built: image.Build) -> None:
    archive = built.work / "out" / f"kubewhy-{__version__}.oci.tar"
    print(f"OCI archive: {archive.stat().st_size / 1e6:.0f} MB")
    with tarfile.open(archive) as tar:
        layout = _member(tar, "oci-layout")
        index = _member(tar, "index.json")
        manifest = _member(tar, _blob(index["manifests"][0]))
        config = _member(tar, _blob(manifest["config"]))
    assert layout["imageLayoutVersion"] == "1.0.0"
    assert config["config"]["Entrypoint"] == image.ENTRYPOINT
    assert config["config"]["Cmd"] == image.CMD
    assert config["config"]["Labels"]["org.opencontainers.image.version"] == __version__


def test_the_image_diagnoses_the_host_through_a_read_only_mount(built: image.Build) -> None:
    version = image.run_image(built, "--version")
    assert version.stdout.strip() == f"kubewhy {__version__}"
    args = ("diagnose", "--node", "--root", "/host", "--format", "json")
    run = image.run_image(built, *args, ok=(0, 1))  # 1: this host has findings
    report = json.loads(run.stdout)
    read = {i["path"] for i in report["inputs"]}
    # The host's kernel and processes, read through /host.
    assert {"node/proc/meminfo", "node/kubewhy/processes.json"} <= read, sorted(read)
    assert not [g for g in report["gaps"] if g["origin"] == "/proc"], report["gaps"]
