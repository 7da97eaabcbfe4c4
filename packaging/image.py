"""Build the Containerfile's image without a registry, and run it against this host.

Debian's packages are the only source: the root filesystem comes from ``debootstrap`` (Debian 12,
``minbase``, python3 and python3-venv), kubewhy and its dependencies are installed into
``/opt/kubewhy`` from wheels the host downloaded (CPython 3.11 on both), and ``buildah`` assembles
the OCI image from that tree. Everything lives in a private storage root under ``--work``
(vfs driver), so nothing touches the machine's own images; the result is also written as an OCI
archive. Needs root (debootstrap, chroot, buildah mount).

    python packaging/image.py dist/kubewhy-0.1.0-py3-none-any.whl --work /tmp/img --out dist/
    python packaging/image.py WHEEL --work DIR --run    # and run it: diagnose --node --root /host

The Debian tree is cached (``--cache``, default ~/.cache/kubewhy/image): debootstrap takes
minutes, the rest of the build well under one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
STEP_TIMEOUT = 1200
RUN_TIMEOUT = 300
ENTRYPOINT = ["/opt/kubewhy/bin/kubewhy"]
CMD = ["watch", "--root", "/host", "--listen", "0.0.0.0:9808"]
# crun refuses some hosts' cgroup layouts; runc and cgroupfs work where systemd is not PID 1.
PODMAN_FLAGS = ("--runtime", "runc", "--cgroup-manager", "cgroupfs")
CONTAINERS_CONF = '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n'


class StepError(Exception):
    """One step of the build refused or failed: its name and the tool's last words."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


@dataclass
class Build:
    work: Path
    cache: Path
    version: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def storage(self) -> list[str]:
        """containers/storage options for buildah and podman: private, vfs."""
        root = self.work / "storage"
        return [
            *("--root", str(root / "root"), "--runroot", str(root / "run")),
            *("--storage-driver", "vfs"),
        ]

    @property
    def env(self) -> dict[str, str]:
        conf = self.work / "containers.conf"
        conf.write_text(CONTAINERS_CONF)
        return {**os.environ, "CONTAINERS_CONF": str(conf)}

    @property
    def image(self) -> str:
        return f"localhost/kubewhy:{self.version}"

    def run(
        self,
        step: str,
        command: Sequence[str],
        timeout: float = STEP_TIMEOUT,
        ok: tuple[int, ...] = (0,),
    ) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        try:
            done = subprocess.run(
                list(command),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=self.env,
            )
        except FileNotFoundError:
            raise StepError(step, f"{command[0]} is not installed") from None
        except subprocess.TimeoutExpired:
            raise StepError(step, f"no end after {timeout:.0f} s") from None
        self.timings[step] = self.timings.get(step, 0.0) + time.monotonic() - started
        if done.returncode not in ok:
            tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-6:])
            raise StepError(step, f"exit {done.returncode}: {tail}")
        return done


def debian_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror this machine's apt uses (deb822 ``URIs:`` or one-line ``deb URL``)."""
    for path in sorted(sources.glob("sources.list.d/*.sources")):
        found = re.search(r"^URIs:\s*(\S+)", path.read_text(), re.M)
        if found and "security" not in found.group(1):
            return found.group(1)
    listing = sources / "sources.list"
    if listing.exists():
        found = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+\S+", listing.read_text(), re.M)
        if found:
            return found.group(1)
    raise StepError("debootstrap", "no Debian mirror in the apt sources")


def debian_tree(build: Build) -> Path:
    """The cached Debian root filesystem as a tarball (debootstrap on a cache miss)."""
    mirror = debian_mirror()
    key = hashlib.sha256(f"{SUITE} {' '.join(PACKAGES)} {mirror}".encode()).hexdigest()[:12]
    tarball = build.cache / f"debian-{SUITE}-{key}.tar"
    if tarball.exists():
        return tarball
    build.cache.mkdir(parents=True, exist_ok=True)
    target = build.work / "debootstrap"
    shutil.rmtree(target, ignore_errors=True)
    build.run(
        "debootstrap",
        [
            *("debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}"),
            *(SUITE, str(target), mirror),
        ],
    )
    partial = tarball.with_suffix(".partial")
    with tarfile.open(partial, "w") as tar:
        tar.add(target, arcname=".")
    partial.rename(tarball)
    shutil.rmtree(target, ignore_errors=True)
    return tarball


def install_kubewhy(build: Build, rootfs: Path, wheel: Path) -> None:
    """kubewhy and its dependencies into /opt/kubewhy, from wheels downloaded on the host."""
    wheels = rootfs / "tmp" / "wheels"
    wheels.mkdir(parents=True)
    build.run(
        "download wheels",
        [
            *(sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"),
            *("--python-version", "3.11", "--dest", str(wheels), str(wheel)),
        ],
    )
    build.run("venv", ["chroot", str(rootfs), "python3", "-m", "venv", "/opt/kubewhy"])
    build.run(
        "pip install",
        [
            *("chroot", str(rootfs), "/opt/kubewhy/bin/pip", "install", "--quiet"),
            *("--no-index", "--no-cache-dir", "--find-links", "/tmp/wheels", "kubewhy"),
        ],
    )
    build.run(
        "pip uninstall pip",
        ["chroot", str(rootfs), "/opt/kubewhy/bin/pip", "uninstall", "-y", "-q", "pip"],
    )
    shutil.rmtree(wheels)
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
        shutil.rmtree(rootfs / junk, ignore_errors=True)
        (rootfs / junk).mkdir(parents=True, exist_ok=True)


def assemble(build: Build, rootfs: Path, archive: Path) -> None:
    """buildah: an image from scratch holding ``rootfs``, configured like the Containerfile's."""
    buildah = ["buildah", *build.storage]
    container = build.run("buildah from", [*buildah, "from", "scratch"]).stdout.strip()
    try:
        mount = Path(build.run("buildah mount", [*buildah, "mount", container]).stdout.strip())
        build.run("buildah copy", ["cp", "-a", f"{rootfs}/.", str(mount)])
        config = [
            *("--entrypoint", json.dumps(ENTRYPOINT), "--cmd", " ".join(CMD)),
            *("--env", "PATH=/opt/kubewhy/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            *("--env", "PYTHONDONTWRITEBYTECODE=1"),
            *("--label", "org.opencontainers.image.title=kubewhy"),
            *("--label", f"org.opencontainers.image.version={build.version}"),
            *("--label", "org.opencontainers.image.licenses=Apache-2.0"),
        ]
        build.run("buildah config", [*buildah, "config", *config, container])
        build.run("buildah commit", [*buildah, "commit", "--quiet", container, build.image])
        archive.unlink(missing_ok=True)
        build.run(
            "buildah push",
            [*buildah, "push", "--quiet", build.image, f"oci-archive:{archive}:{build.image}"],
        )
    finally:
        subprocess.run([*buildah, "rm", container], capture_output=True, timeout=120, check=False)


def run_image(
    build: Build, *args: str, ok: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    """The image run by podman (runc, cgroupfs, vfs), the host mounted read-only at /host;
    ``ok``: the exit codes that are not a failure (diagnose exits 1 when it finds something)."""
    podman = ["podman", *build.storage, *PODMAN_FLAGS]
    return build.run(
        f"podman run {args[0] if args else ''}".strip(),
        [
            *podman,
            *("run", "--rm", "--network", "none", "--read-only", "--pid", "host"),
            *("--volume", "/:/host:ro", build.image, *args),
        ],
        RUN_TIMEOUT,
        ok,
    )


def cleanup(build: Build) -> None:
    """Every image, container and layer this build made: they live in its storage root."""
    subprocess.run(
        ["buildah", *build.storage, "rm", "--all"], capture_output=True, timeout=120, check=False
    )
    storage = build.work / "storage"
    if storage.exists():
        # vfs layers hold read-only files and mount points; unmount whatever is left first.
        subprocess.run(
            ["podman", *build.storage, "system", "reset", "--force"],
            capture_output=True,
            timeout=300,
            check=False,
        )
        shutil.rmtree(storage, ignore_errors=True)


def build_image(wheel: Path, work: Path, cache: Path, out: Path, version: str) -> Build:
    build = Build(work, cache, version)
    work.mkdir(parents=True, exist_ok=True)
    tarball = debian_tree(build)
    rootfs = work / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    rootfs.mkdir()
    started = time.monotonic()
    with tarfile.open(tarball) as tar:
        # The tree is Debian's own, made by this script: device nodes and owners kept.
        tar.extractall(rootfs, filter="fully_trusted")
    build.timings["unpack"] = time.monotonic() - started
    install_kubewhy(build, rootfs, wheel)
    out.mkdir(parents=True, exist_ok=True)
    assemble(build, rootfs, out / f"kubewhy-{version}.oci.tar")
    shutil.rmtree(rootfs, ignore_errors=True)
    return build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("dist"))
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "kubewhy" / "image")
    parser.add_argument("--run", action="store_true", help="run it: diagnose --node --root /host")
    parser.add_argument("--keep", action="store_true", help="keep the image in --work's storage")
    args = parser.parse_args()
    version = args.wheel.name.split("-")[1]
    build = Build(args.work, args.cache, version)
    try:
        build = build_image(args.wheel, args.work, args.cache, args.out, version)
        if args.run:
            print(run_image(build, "diagnose", "--node", "--root", "/host", ok=(0, 1)).stdout)
    except StepError as exc:
        raise SystemExit(f"image: {exc}") from None
    finally:
        if not args.keep:
            cleanup(build)
        for step, seconds in build.timings.items():
            print(f"{step}: {seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
