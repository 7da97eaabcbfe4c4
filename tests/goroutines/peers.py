"""Build and run the Go programs under ``go/`` and capture their goroutine dumps.

Each program prints ``PORT <n>`` once it is in the state under test, serves net/http/pprof on
127.0.0.1, and prints a full traceback on SIGQUIT.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

GO_DIR = Path(__file__).parent / "go"
PROGRAMS = ("distributor", "convoy", "healthy", "chanleak", "lockconvoy", "busy")
BUILD_TIMEOUT = 120.0
START_TIMEOUT = 10.0
HTTP_TIMEOUT = 5.0
EXIT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Dumps:
    """The three dumps of one run of a program."""

    sigquit: str
    debug2: str
    debug1: str


def go_binary() -> str | None:
    return shutil.which("go")


def build_cache() -> Path:
    """The Go build cache of these tests: kept in the temporary directory between runs, since
    compiling net/http from scratch takes a minute (KUBEWHY_GOCACHE overrides it)."""
    chosen = os.environ.get("KUBEWHY_GOCACHE")
    return Path(chosen) if chosen else Path(tempfile.gettempdir()) / "kubewhy-go-build-cache"


def build_all(out_dir: Path) -> dict[str, Path]:
    """Build every program into ``out_dir``; -trimpath keeps machine paths out of the dumps."""
    env = dict(os.environ)
    env.update(
        GOCACHE=str(build_cache()),
        GOPATH=str(out_dir / "gopath"),
        GOFLAGS="-mod=mod",
        GO111MODULE="on",
        GOTOOLCHAIN="local",
        CGO_ENABLED="0",
    )
    binaries = {}
    for name in PROGRAMS:
        binary = out_dir / name
        built = subprocess.run(
            ["go", "build", "-trimpath", "-o", str(binary), "."],
            cwd=GO_DIR / name,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        if built.returncode != 0:
            raise RuntimeError(f"go build of {name} failed: {built.stderr.strip()}")
        binaries[name] = binary
    return binaries


def _read_port(process: subprocess.Popen[bytes]) -> int:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(START_TIMEOUT):
            raise TimeoutError("program did not print its port in time")
    line = process.stdout.readline().decode()
    if not line.startswith("PORT "):
        raise RuntimeError(f"unexpected first line {line!r}")
    return int(line.split()[1])


def _fetch(port: int, debug: int) -> str:
    url = f"http://127.0.0.1:{port}/debug/pprof/goroutine?debug={debug}"
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT) as answer:
        return str(answer.read().decode())


def capture(binary: Path, *args: str) -> Dumps:
    """Run ``binary``, take its pprof dumps, then SIGQUIT it and take its traceback.

    The process is killed and reaped whatever happens."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [str(binary), *args], stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL
        )
        try:
            port = _read_port(process)
            debug2 = _fetch(port, 2)
            debug1 = _fetch(port, 1)
            process.send_signal(signal.SIGQUIT)
            process.wait(timeout=EXIT_TIMEOUT)
            stderr.seek(0)
            sigquit = stderr.read().decode(errors="replace")
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=EXIT_TIMEOUT)
            if process.stdout:
                process.stdout.close()
    return Dumps(sigquit=sigquit, debug2=debug2, debug1=debug1)
