"""Bounded, timed reads of a node's files through a root folder.

Every read goes through :class:`NodeReader`: the path is taken below ``root`` (``/`` on the node,
``/host`` in a DaemonSet, a captured tree in tests), the bytes read are capped, and in the main
thread a SIGALRM interval timer bounds the time of each read, so a hung file (a stuck NFS mount,
a wedged sysfs attribute) costs a timeout, never the collection. No thread and no process is
started. Failures come back as :class:`Unreadable` with the gap reason the manifest records.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "proc").mkdir(), (root / "proc" / "uptime").write_text("12.5 20.1\\n")
>>> reader = NodeReader(root)
>>> reader.read("/proc/uptime").data
b'12.5 20.1\\n'
>>> reader.read("/proc/missing").reason
'absent'
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from kubewhy.model.bundle import GapReason

DEFAULT_TIMEOUT = 2.0
DEFAULT_CAP = 1 << 20  # 1 MiB: every kernel file kubewhy reads is far smaller
_CHUNK = 1 << 16


class ReadTimeoutError(Exception):
    """Raised from the SIGALRM handler inside a read that took too long."""


@dataclass(frozen=True, slots=True)
class Content:
    data: bytes
    truncated: bool
    seconds: float

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Unreadable:
    origin: str
    reason: GapReason
    detail: str


def _reason_of(exc: OSError) -> GapReason:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ESRCH):
        return "absent"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission"
    return "error"


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise ReadTimeoutError


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`ReadTimeoutError` in the block after ``seconds`` (main thread only; elsewhere
    the block runs unbounded, since signals reach only the main thread)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class NodeReader:
    """Reads files of a node below ``root`` with a size cap and a timeout per read."""

    def __init__(
        self, root: Path, timeout: float = DEFAULT_TIMEOUT, deadline: float | None = None
    ) -> None:
        self.root = root
        self.timeout = timeout
        # time.monotonic() after which nothing more is read (the node source's own deadline).
        self.deadline = deadline
        self._alarm_ready = threading.current_thread() is threading.main_thread()
        if self._alarm_ready:
            self._previous = signal.getsignal(signal.SIGALRM)

    def host_path(self, path: str) -> Path:
        """The local path of a node path (``/proc/meminfo`` -> ``<root>/proc/meminfo``)."""
        return self.root / path.lstrip("/")

    def _budget(self) -> float:
        """Seconds the next read may take: its own timeout, and what is left of the deadline."""
        if self.deadline is None:
            return self.timeout
        return min(self.timeout, self.deadline - time.monotonic())

    def read(self, path: str, cap: int = DEFAULT_CAP) -> Content | Unreadable:
        local = self.host_path(path)
        started = time.monotonic()
        budget = self._budget()
        if budget <= 0:
            return Unreadable(path, "timeout", "the node source's deadline had passed")
        try:
            with time_limit(budget):
                data, truncated = _read_capped(local, cap)
        except ReadTimeoutError:
            return Unreadable(path, "timeout", f"no answer in {self.timeout:g} s")
        except OSError as exc:
            return Unreadable(path, _reason_of(exc), exc.strerror or str(exc))
        return Content(data, truncated, time.monotonic() - started)

    def read_quick(self, path: str, cap: int = 16 << 10) -> bytes | None:
        """Small per-process or per-cgroup reads: None on any failure, no gap (a process that
        exits during the walk is normal). Still bounded in size and time."""
        result = self.read(path, cap)
        return result.data if isinstance(result, Content) else None

    def listdir(self, path: str) -> list[str] | Unreadable:
        budget = self._budget()
        if budget <= 0:
            return Unreadable(path, "timeout", "the node source's deadline had passed")
        try:
            with time_limit(budget):
                return os.listdir(self.host_path(path))
        except ReadTimeoutError:
            return Unreadable(path, "timeout", f"no answer in {self.timeout:g} s")
        except OSError as exc:
            return Unreadable(path, _reason_of(exc), exc.strerror or str(exc))


def _read_capped(path: Path, cap: int) -> tuple[bytes, bool]:
    # O_NONBLOCK makes FIFOs and character devices that wait for data return at once.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            try:
                chunk = os.read(fd, min(_CHUNK, cap + 1 - size))
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
        return data[:cap], len(data) > cap
    finally:
        os.close(fd)
