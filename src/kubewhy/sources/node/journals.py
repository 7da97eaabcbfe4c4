"""Journals of the node agents, through ``journalctl``, only where journald has a journal.

This is the one place the node collector starts a process: one ``journalctl`` at a time, with
a timeout and a line limit. When the node cannot fork (its PID space or its pids cgroup is
full) the journal is recorded as a ``cannot-fork`` gap and collection goes on.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from kubewhy.sources.node.reader import NodeReader, Unreadable

JOURNAL_UNITS = ("kubelet", "containerd", "docker", "crio")
MAX_LINES = 50_000
TIMEOUT = 20.0


@dataclass(frozen=True)
class Journal:
    name: str  # kubelet, containerd, ..., kernel
    command: list[str]
    data: bytes
    returncode: int
    seconds: float


def _has_journal_files(folder: Path) -> bool:
    """A journal folder holds ``<machine-id>/*.journal`` files (two levels, no deeper walk)."""
    try:
        for entry in os.scandir(folder):
            if entry.name.endswith(".journal"):
                return True
            if entry.is_dir(follow_symlinks=False):
                with os.scandir(entry.path) as inner:
                    if any(e.name.endswith(".journal") for e in inner):
                        return True
    except OSError:
        return False
    return False


def journal_location(reader: NodeReader) -> list[str] | Unreadable:
    """journalctl options that reach the node's journal, or why there is none."""
    live = reader.host_path("/run/systemd/journal/socket").exists()
    persistent = reader.host_path("/var/log/journal")
    stored = _has_journal_files(persistent)
    if str(reader.root) in ("/", ""):
        if live or stored:
            return []
    elif stored:
        return ["--directory", str(persistent)]
    return Unreadable("journald", "absent", "journald is not running and keeps no journal here")


def _run(command: list[str]) -> tuple[bytes, int] | Unreadable:
    origin = " ".join(command)
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Unreadable(origin, "timeout", f"no answer in {TIMEOUT:g} s")
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.ENOMEM):
            return Unreadable(origin, "cannot-fork", exc.strerror or str(exc))
        return Unreadable(origin, "error", exc.strerror or str(exc))
    return done.stdout, done.returncode


def read_journals(reader: NodeReader, since: str) -> tuple[list[Journal], list[Unreadable]]:
    location = journal_location(reader)
    if isinstance(location, Unreadable):
        return [], [location]
    binary = shutil.which("journalctl")
    if binary is None:
        return [], [Unreadable("journalctl", "absent", "journalctl is not installed")]
    base = [binary, *location, "--since", since, "-o", "short-iso", "--no-pager", "-n"]
    base.append(str(MAX_LINES))
    journals: list[Journal] = []
    gaps: list[Unreadable] = []
    wanted = [(unit, ["-u", unit]) for unit in JOURNAL_UNITS] + [("kernel", ["-k"])]
    for name, selector in wanted:
        command = [*base, *selector]
        started = time.monotonic()
        result = _run(command)
        if isinstance(result, Unreadable):
            gaps.append(result)
            if result.reason == "cannot-fork":
                break  # every further journalctl would fail the same way
            continue
        data, code = result
        if not data.strip() or data.startswith(b"-- No entries --"):
            gaps.append(Unreadable(" ".join(command), "absent", f"no {name} entries since {since}"))
            continue
        journals.append(Journal(name, command, data, code, time.monotonic() - started))
    return journals, gaps
