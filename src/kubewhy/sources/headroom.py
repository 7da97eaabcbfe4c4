"""How many more tasks (processes and threads) this process may start: the tightest of its pids
cgroups (v1 or v2, every level up to the root) and, for a user that is not root, RLIMIT_NPROC.

A pool of worker processes needs a task per worker and a few threads to run it; on a node at its
PID limit, starting one half way leaves a pool that never finishes. The pipeline asks here first
and scans in its own process when the room is not there.
"""

from __future__ import annotations

import contextlib
import os
import resource
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def spare_tasks() -> int | None:
    """Tasks that may still be started; None when nothing limits them (or nothing says)."""
    spare: list[int] = []
    for directory in _own_pids_cgroups():
        limit = _read(directory / "pids.max")
        current = _read(directory / "pids.current")
        if limit is not None and current is not None:
            spare.append(limit - current)
    if os.geteuid() != 0:
        soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
        if soft != resource.RLIM_INFINITY:
            spare.append(soft - _own_user_tasks())
    return min(spare) if spare else None


def _own_pids_cgroups() -> list[Path]:
    """This process's pids cgroup and its ancestors (v1 ``pids`` controller, or v2)."""
    found: list[Path] = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "pids" in controllers.split(","):
                base = CGROUP_ROOT / "pids"
            elif controllers == "":
                base = CGROUP_ROOT
            else:
                continue
            here = base / path.lstrip("/")
            while True:
                found.append(here)
                if here == base:
                    break
                here = here.parent
    return found


def _read(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _own_user_tasks() -> int:
    """Tasks of this user (RLIMIT_NPROC counts them all); a rough count from /proc."""
    uid, count = os.getuid(), 0
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if entry.stat().st_uid == uid:
                        count += len(os.listdir(f"/proc/{entry.name}/task"))
    return count


def cap_memory(size: int) -> None:
    """Limit this process's data segment to ``size`` bytes (``--limit memory=SIZE``): beyond it
    an allocation fails with MemoryError, which costs the input being read, never the run."""
    if size <= 0:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = size if hard == resource.RLIM_INFINITY else min(size, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
