"""The kernel log as buffered in ``/dev/kmsg``, turned into dmesg-like ``[seconds] message`` lines.

``/dev/kmsg`` hands out one record per read (``priority,sequence,microseconds,flags;message``,
then optional continuation lines starting with a space that carry device properties). Opened
non-blocking, a read past the newest record fails with EAGAIN instead of waiting; EPIPE means
records were overwritten while reading and the next read goes on from the oldest kept one.
See https://www.kernel.org/doc/Documentation/ABI/testing/dev-kmsg.
"""

from __future__ import annotations

import errno
import os
import time
from collections import deque
from dataclasses import dataclass

from kubewhy.model.bundle import GapReason
from kubewhy.sources.node.reader import NodeReader, ReadTimeoutError, Unreadable, time_limit

KMSG_CAP = 16 << 20
_RECORD_MAX = 8192


@dataclass(frozen=True)
class KernelLog:
    text: bytes
    records: int
    truncated: bool
    seconds: float


def dmesg_line(record: bytes) -> bytes | None:
    """One ``/dev/kmsg`` record as a dmesg line; continuation lines are dropped.

    >>> dmesg_line(b"6,1234,5067123,-;Memory cgroup out of memory: Killed process 42 (x)\\n")
    b'[    5.067123] Memory cgroup out of memory: Killed process 42 (x)'
    >>> dmesg_line(b"6,99,1,-;pci 0000:00\\n SUBSYSTEM=pci\\n")
    b'[    0.000001] pci 0000:00'
    >>> dmesg_line(b"garbage") is None
    True
    """
    head, sep, rest = record.partition(b";")
    fields = head.split(b",")
    if not sep or len(fields) < 3 or not fields[2].isdigit():
        return None
    usec = int(fields[2])
    message = rest.split(b"\n", 1)[0]
    return b"[%5d.%06d] %s" % (usec // 1_000_000, usec % 1_000_000, message)


def read_kmsg(
    reader: NodeReader, cap: int = KMSG_CAP, seconds: float = 5.0
) -> KernelLog | Unreadable:
    """Everything buffered in the kernel ring, oldest first, keeping the newest ``cap`` bytes."""
    path = "/dev/kmsg"
    started = time.monotonic()
    try:
        fd = os.open(reader.host_path(path), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        reason: GapReason = "permission" if exc.errno in (errno.EACCES, errno.EPERM) else "absent"
        return Unreadable(path, reason, exc.strerror or str(exc))
    kept: deque[bytes] = deque()
    size = records = 0
    truncated = False
    try:
        with time_limit(seconds):
            while True:
                try:
                    record = os.read(fd, _RECORD_MAX)
                except BlockingIOError:
                    break
                except OSError as exc:
                    if exc.errno == errno.EPIPE:  # overwritten while reading: go on
                        continue
                    if exc.errno == errno.EINVAL:  # a record longer than the buffer
                        continue
                    raise
                if not record:
                    break
                line = dmesg_line(record)
                if line is None:
                    continue
                kept.append(line)
                records += 1
                size += len(line) + 1
                while size > cap:
                    size -= len(kept.popleft()) + 1
                    truncated = True
    except ReadTimeoutError:
        truncated = True
    except OSError as exc:
        return Unreadable(path, "error", exc.strerror or str(exc))
    finally:
        os.close(fd)
    text = b"\n".join(kept) + b"\n" if kept else b""
    return KernelLog(text, records, truncated, time.monotonic() - started)
