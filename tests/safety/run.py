"""Running kubewhy as a separate process the way a user would, measured: exit code, output,
wall time, the CPU time it used and its own peak RSS, optionally under a memory or
file-descriptor limit.

CPU time is what bounds are checked against: it is the work kubewhy did, the same on an idle
laptop and on a CI runner shared by other jobs, where the wall time of the same run doubles."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
_RSS = "\n@@peak-rss-kb "


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float = 0.0


def env(**extra: str) -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join([str(SRC), out.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out.update(extra)
    return out


def run_kubewhy(
    *args: str,
    memory_mb: int = 0,
    nofile: int = 0,
    timeout: float = 60.0,
    extra_env: dict[str, str] | None = None,
    signal_after: tuple[float, int] | None = None,
) -> Ran:
    """``python -m kubewhy ARGS``; ``memory_mb`` caps its data segment (RLIMIT_DATA),
    ``nofile`` its file descriptors; ``signal_after=(seconds, SIG)`` sends it a signal."""
    command = [sys.executable, str(HERE / "measure.py"), str(memory_mb), str(nofile)]
    command += [sys.executable, "-m", "kubewhy", *args]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(**(extra_env or {})),
        start_new_session=True,
    )
    try:
        if signal_after is not None:
            time.sleep(signal_after[0])
            process.send_signal(signal_after[1])
        out, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:  # still running: end the whole session, by its id
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    text = err.decode(errors="replace")
    stderr, _, measured = text.rpartition(_RSS)
    peak, _, cpu = measured.strip().partition(" cpu-seconds ")
    return Ran(
        process.returncode,
        out.decode(errors="replace"),
        stderr.strip(),
        time.monotonic() - started,
        float(peak or 0) / 1024,
        float(cpu or 0),
    )
