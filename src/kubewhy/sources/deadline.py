"""Deadlines that hold for a whole request and a whole source, not for one socket read.

A socket timeout bounds each read: a server that sends one byte every two seconds never trips
it, and a request can last for ever. Here a deadline is a point in time, kept per thread
(:func:`until`, :func:`within`; the nearest one wins), and every connection made under a deadline
is handed to one watchdog thread that shuts the socket down when the deadline passes, wherever
the reading code is blocked (status line, headers, body, TLS). Each connect and each socket
operation is also given no more than the time left. If no thread can be started (a node out of
PIDs), the per-operation bounds still hold.

>>> with within(5.0):
...     0 < remaining() <= 5.0
True
>>> remaining() is None
True
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator

_local = threading.local()


def _current() -> float | None:
    at: float | None = getattr(_local, "at", None)
    return at


def remaining() -> float | None:
    """Seconds left before this thread's deadline; None without one (may be <= 0)."""
    at = _current()
    return None if at is None else at - time.monotonic()


def expired() -> bool:
    left = remaining()
    return left is not None and left <= 0


@contextlib.contextmanager
def until(at: float | None) -> Iterator[None]:
    """Within the block, this thread's deadline is ``at`` (``time.monotonic()``) or nearer."""
    previous = _current()
    if at is not None and (previous is None or at < previous):
        _local.at = at
    try:
        yield
    finally:
        _local.at = previous


def within(seconds: float) -> contextlib.AbstractContextManager[None]:
    """A deadline ``seconds`` from now (or nearer, if one is already set)."""
    return until(time.monotonic() + seconds)


def op_timeout(most: float) -> float:
    """The timeout to give one socket operation: ``most``, or less when the deadline is nearer."""
    left = remaining()
    return most if left is None else max(0.001, min(most, left))


class _Watchdog:
    """One thread that shuts down sockets whose deadline has passed."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, socket.socket]] = []
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self._failed = False

    def guard(self, sock: socket.socket) -> None:
        """Shut ``sock`` down at this thread's deadline (if it has one)."""
        at = _current()
        if at is None or not self._started():
            return
        with self._lock:
            heapq.heappush(self._heap, (at, next(self._ids), sock))
            self._lock.notify()

    def abort_all(self) -> None:
        """Shut down every guarded socket now (the run is being interrupted)."""
        with self._lock:
            for _, _, sock in self._heap:
                _shutdown(sock)
            self._heap.clear()

    def _started(self) -> bool:
        if self._thread is not None:
            return True
        if self._failed:
            return False
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="kubewhy-deadline", daemon=True)
                try:
                    thread.start()
                except RuntimeError:  # no thread can be started: per-operation bounds remain
                    self._failed = True
                    return False
                self._thread = thread
        return True

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._heap:
                    self._lock.wait()
                at, _, sock = self._heap[0]
                delay = at - time.monotonic()
                if delay > 0:
                    self._lock.wait(delay)
                    continue
                heapq.heappop(self._heap)
            if sock.fileno() != -1:
                _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    # The base class's shutdown: for a TLS socket too, it wakes a blocked read at once.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


watchdog = _Watchdog()
