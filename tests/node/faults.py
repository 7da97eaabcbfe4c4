"""Cgroups and processes that tests create, and their certain cleanup.

Every cgroup is made under a name starting with ``kwtest-`` and removed by path; every process
is ended by its PID (and its process group), never by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

CGROUP_V1 = Path("/sys/fs/cgroup")


def own_v1_cgroup(controller: str) -> str:
    """This process's cgroup path in a v1 controller's hierarchy ("/" when at the root)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    raise LookupError(controller)


def v1_hierarchy(controller: str) -> Path | None:
    base = CGROUP_V1 / controller
    if (
        base.is_dir()
        and (base / "cgroup.procs").exists()
        and not (base / "cgroup.controllers").exists()
    ):
        return base
    return None


def _pids_in(cgroup: Path) -> list[int]:
    try:
        return [int(p) for p in (cgroup / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def kill_pid(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def remove_cgroup(cgroup: Path) -> None:
    """Kill what is left inside (by PID), then remove the directory, retrying briefly while the
    kernel finishes tearing the tasks down."""
    for child in sorted((p for p in cgroup.glob("*/") if p.is_dir()), reverse=True):
        remove_cgroup(child)
    deadline = time.monotonic() + 10
    while True:
        for pid in _pids_in(cgroup):
            kill_pid(pid)
        try:
            cgroup.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def new_cgroup(controller: str, below_own: bool = False) -> Iterator[tuple[Path, str]]:
    """A fresh v1 cgroup of ``controller``: (directory, path relative to the hierarchy root)."""
    base = v1_hierarchy(controller)
    if base is None:
        raise LookupError(f"no cgroup v1 {controller} hierarchy")
    parent = own_v1_cgroup(controller) if below_own else "/"
    rel = f"{parent.rstrip('/')}/kwtest-{controller}-{uuid.uuid4().hex[:8]}"
    directory = base / rel.lstrip("/")
    directory.mkdir()
    try:
        yield directory, rel
    finally:
        remove_cgroup(directory)


def spawn_in_cgroup(
    cgroups: list[Path], argv: list[str], **kwargs: object
) -> subprocess.Popen[bytes]:
    """Start ``argv`` inside ``cgroups``: a shell joins them, then execs the program (same PID,
    so joining needs no extra task)."""
    joins = " && ".join(f"echo $$ > {c / 'cgroup.procs'}" for c in cgroups)
    script = f'{joins} && exec "$@"'
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        ["/bin/sh", "-c", script, "sh", *argv],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        **kwargs,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a test process and its session by PID; reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    kill_pid(process.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def wait_until(predicate: object, timeout: float = 10.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(step)
    return False
