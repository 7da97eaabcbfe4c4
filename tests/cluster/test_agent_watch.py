"""``kubewhy watch`` end to end, as the DaemonSet runs it: a node tree under --root (as /host),
the recorded API server as the cluster. A thread leak appears, is reported as a condition and an
Event, goes away, and then the node cannot be read: /healthz turns 503."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .apiserver_writes import WritableApiServer
from .conftest import seed

SCOPE = (
    "/kubepods.slice/kubepods-burstable.slice/"
    "kubepods-burstable-pod3d1f2c1e_6a8b_4b27_9f39_1c0f7f8e2a11.slice/"
    f"cri-containerd-{'4f0c' * 16}.scope"
)


def _write(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def _java_threads(root: Path, threads: int) -> None:
    status = (
        f"Name:\tjava\nState:\tS (sleeping)\nPPid:\t1\nUid:\t0\t0\t0\t0\nNSpid:\t300\n"
        f"Threads:\t{threads}\nVmRSS:\t  2048 kB\n"
    )
    _write(root, "/proc/300/status", status)


def node_tree(root: Path, threads: int) -> Path:
    """A node whose pid_max is 49152 and whose one java container runs ``threads`` threads."""
    _write(root, "/proc/meminfo", "MemTotal: 8000000 kB\nMemAvailable: 4000000 kB\n")
    _write(root, "/proc/vmstat", "nr_free_pages 100000\noom_kill 0\n")
    _write(root, "/proc/uptime", "3600.50 7000.00\n")
    _write(root, "/proc/loadavg", "0.10 0.20 0.30 1/200 999\n")
    _write(root, "/proc/sys/kernel/pid_max", "49152\n")
    _write(root, "/proc/sys/kernel/threads-max", "1545000\n")
    _write(root, "/proc/sys/kernel/hostname", "node-xx\n")
    _write(root, "/proc/1/status", "Name:\tsystemd\nState:\tS (x)\nPPid:\t0\nThreads:\t1\n")
    _write(root, "/proc/1/cgroup", "0::/\n")
    _write(root, "/proc/300/cgroup", f"0::{SCOPE}\n")
    _write(root, "/proc/300/cmdline", "java\0-jar\0app.jar")
    _java_threads(root, threads)
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


def _until(what: str, check: Callable[[], bool], agent: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if check():
            return
        assert agent.poll() is None, f"the agent exited while waiting for {what}"
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _conditions(api: WritableApiServer) -> list[dict[str, dict[str, Any]]]:
    return [
        {c["type"]: c for c in p.body["status"]["conditions"]}
        for p in api.patches("/api/v1/nodes/node-xx/status")
    ]


def test_watch_reports_conditions_events_and_health(tmp_path: Path) -> None:
    root = node_tree(tmp_path / "host", threads=46000)
    port = _free_port()
    with WritableApiServer(seed("seed000")) as api:
        kubeconfig = api.kubeconfig(tmp_path)
        agent = subprocess.Popen(
            [
                *(sys.executable, "-m", "kubewhy", "watch", "--root", str(root)),
                *("--interval", "1", "--listen", f"127.0.0.1:{port}"),
                *("--node-name", "node-xx", "--node-conditions", "--events"),
                *("--kubeconfig", str(kubeconfig), "--context", "recorded"),
                "--unhealthy-after=2",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("KUBEWHY_")},
        )
        try:
            # 1. The leak: a condition, one Warning, the findings served.
            _until("the PID condition", lambda: bool(_conditions(api)), agent)
            pid = _conditions(api)[0]["KubewhyPIDPressure"]
            assert (pid["status"], pid["reason"]) == ("True", "NodePidExhaustion")
            code, body = _get(port, "/findings.json")
            assert code == 200
            assert "node-pid-exhaustion" in [
                f["failure_mode"] for f in json.loads(body)["findings"]
            ]
            assert _get(port, "/healthz")[0] == 200
            # 2. Still there next run: no new Event (a transition only), the condition refreshed.
            _until("a second patch", lambda: len(_conditions(api)) >= 2, agent)
            warnings = api.posts("/api/v1/namespaces/default/events")
            assert [w.body["reason"] for w in warnings] == ["NodePidExhaustion"]
            # 3. The leak ends: the condition turns False, a Normal Event says so.
            _java_threads(root, 40)
            _until(
                "the PID condition to clear",
                lambda: _conditions(api)[-1]["KubewhyPIDPressure"]["status"] == "False",
                agent,
            )
            _until("the Normal event", lambda: len(api.posts("/api/v1/namespaces/")) == 2, agent)
            gone = api.posts("/api/v1/namespaces/default/events")[-1].body
            assert (gone["type"], gone["reason"]) == ("Normal", "NodePidExhaustionGone")
            # 4. The node can no longer be read: two failed runs make /healthz fail.
            shutil.rmtree(root / "proc")
            _until("/healthz 503", lambda: _get(port, "/healthz")[0] == 503, agent)
            assert b"cannot read the node's /proc" in _get(port, "/healthz")[1]
            metrics = _get(port, "/metrics")[1].decode()
            in_a_row = re.search(r"^kubewhy_consecutive_failures (\d+)\.0$", metrics, re.M)
            assert in_a_row and int(in_a_row.group(1)) >= 2, metrics
            assert 'kubewhy_events_total{result="sent"} 2.0' in metrics
        finally:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(timeout=30)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait(timeout=10)
        assert agent.returncode == 0
    lines = [
        json.loads(line) for line in (agent.stderr.read() if agent.stderr else "").splitlines()
    ]
    runs = [line for line in lines if line.get("msg") == "run"]
    failed = [line for line in lines if line.get("msg") == "run failed"]
    assert runs and runs[0]["root_causes"] == ["node-pid-exhaustion"]
    assert runs[0]["conditions_patched"] == 1 and runs[0]["events_sent"] == 1
    assert failed and "cannot read the node's /proc" in failed[0]["error"]
    assert [line["run"] for line in lines] == list(range(1, len(lines) + 1)), "one line per run"


def test_watch_honours_the_suppression_file_read_before_each_run(tmp_path: Path) -> None:
    root = node_tree(tmp_path / "host", threads=46000)
    suppressions = tmp_path / "suppressions.yaml"
    suppressions.write_text(
        "suppressions:\n  - {rule: node-pid-exhaustion, entity: node/node-xx,"
        " expires: 2099-01-01, reason: capacity ticket CAP-9}\n"
    )
    port = _free_port()
    agent = subprocess.Popen(
        [
            *(sys.executable, "-m", "kubewhy", "watch", "--root", str(root)),
            *("--interval", "1", "--listen", f"127.0.0.1:{port}"),
            *("--suppressions", str(suppressions)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("KUBEWHY_")},
    )
    try:

        def report() -> dict[str, Any]:
            code, body = _get(port, "/findings.json") if _up(port) else (0, b"{}")
            data: dict[str, Any] = json.loads(body) if code == 200 else {}
            return data

        _until("a suppressed finding", lambda: bool(report().get("suppressed")), agent)
        first = report()
        assert first["findings"] == []
        assert first["suppressed"][0]["suppressed"]["reason"] == "capacity ticket CAP-9"
        assert 'kubewhy_suppressed{kind="finding"} 1.0' in _get(port, "/metrics")[1].decode()
        # The file is read again: once emptied, the finding is back on the next run.
        suppressions.write_text("suppressions: []\n")
        _until("the finding back", lambda: bool(report().get("findings")), agent)
        assert report()["findings"][0]["failure_mode"] == "node-pid-exhaustion"
    finally:
        agent.terminate()
        agent.wait(timeout=30)


def _up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
