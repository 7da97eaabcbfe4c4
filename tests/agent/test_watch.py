"""The node agent for real: it diagnoses this machine, serves metrics on 127.0.0.1, and stops."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from kubewhy.agent.watch import _source_health, new_metrics
from kubewhy.model.bundle import Gap
from kubewhy.model.diagnosis import InputRef


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return str(answer.read().decode())


def test_watch_exports_this_machines_risks() -> None:
    port = _free_port()
    agent = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubewhy",
            "watch",
            "--interval",
            "1",
            "--runs",
            "3",
            "--listen",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        text = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                text = _scrape(port)
            except OSError:
                text = ""
            if "kubewhy_last_run_timestamp_seconds " in text and not text.count(
                "kubewhy_last_run_timestamp_seconds 0.0"
            ):
                break
            if agent.poll() is not None:
                pytest.fail(f"agent exited early: {agent.stderr.read() if agent.stderr else ''}")
            time.sleep(0.3)
        assert 'kubewhy_info{version="' in text
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as health:
            assert health.status == 200 and health.read().startswith(b"ok: ")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/findings.json", timeout=5) as page:
            report = json.loads(page.read())
        assert {"kubewhy_version", "findings", "risks"} <= set(report)
        assert "kubewhy_run_duration_seconds" in text
        # Every source the run read is exported as up.
        assert "kubewhy_source_up{" in text and "} 1.0" in text
        pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
        if pid_max <= 65536:
            # A real risk of this machine must be exported, labelled with its failure mode.
            assert "kubewhy_risk{entity=" in text and 'failure_mode="node-pid-exhaustion"' in text
        assert agent.wait(timeout=60) == 0
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait(timeout=10)


def test_healthz_fails_when_the_node_cannot_be_read(tmp_path: Path) -> None:
    port = _free_port()
    agent = subprocess.Popen(
        [
            *(sys.executable, "-m", "kubewhy", "watch", "--root", str(tmp_path / "no-host")),
            *("--interval", "1", "--listen", f"127.0.0.1:{port}", "--unhealthy-after", "2"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        codes: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and 503 not in codes:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as a:
                    codes.append(a.status)
            except urllib.error.HTTPError as exc:
                codes.append(exc.code)
                assert b"the last 2 runs failed" in exc.read()
            except OSError:
                pass
            time.sleep(0.2)
        assert codes and codes[-1] == 503, codes
    finally:
        agent.terminate()
        agent.wait(timeout=30)
    assert agent.returncode == 0
    log = [json.loads(line) for line in (agent.stderr.read() if agent.stderr else "").splitlines()]
    assert log and all(line["msg"] == "run failed" for line in log)


def test_a_source_not_read_is_exported_down_with_its_reason() -> None:
    metrics = new_metrics()
    gaps = [Gap(origin="/proc", reason="unreadable", detail="permission denied")]
    _source_health(metrics, [InputRef(path="/sys", format="node-tree")], gaps)
    text = generate_latest(metrics.registry).decode()
    assert 'kubewhy_source_up{reason="unreadable",source="/proc"} 0.0' in text
    assert 'kubewhy_source_up{reason="",source="/sys"} 1.0' in text
