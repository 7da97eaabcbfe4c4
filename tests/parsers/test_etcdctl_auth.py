"""A real etcd with authentication on, asked for its health without credentials: every member
answers "user name is empty" and etcdctl says "unhealthy cluster", yet the members are up. The
etcd and etcdctl of the machine (Debian's etcd-server, etcd-client) run on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.prometheus.peers import stop

from kubewhy.parsers.base import Context
from kubewhy.parsers.etcdctl import ETCDCTL
from kubewhy.pipeline import Request, diagnose

pytestmark = pytest.mark.skipif(
    not (shutil.which("etcd") and shutil.which("etcdctl"))
    and not os.environ.get("KUBEWHY_REQUIRE_PEERS"),
    reason="etcd and etcdctl are not installed",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ctl(
    endpoint: str, *args: str, user: str | None = "root:secret"
) -> subprocess.CompletedProcess[str]:
    command = ["etcdctl", f"--endpoints={endpoint}", "--dial-timeout=3s", "--command-timeout=5s"]
    if user:
        command.append(f"--user={user}")
    env = {**os.environ, "ETCDCTL_API": "3"}
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=20, env=env, check=False
    )


@pytest.fixture()
def etcd_with_auth(tmp_path: Path) -> Iterator[str]:
    client, peer = _free_port(), _free_port()
    endpoint = f"http://127.0.0.1:{client}"
    process = subprocess.Popen(
        [
            "etcd",
            "--name=auth-test",
            f"--data-dir={tmp_path / 'data'}",
            f"--listen-client-urls={endpoint}",
            f"--advertise-client-urls={endpoint}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=auth-test=http://127.0.0.1:{peer}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while _ctl(endpoint, "endpoint", "health", user=None).returncode != 0:
            assert time.monotonic() < deadline, "etcd did not start"
            time.sleep(0.2)
        for args in (
            ("user", "add", "root:secret"),
            ("user", "grant-role", "root", "root"),
            ("auth", "enable"),
        ):
            done = _ctl(endpoint, *args, user=None)
            assert done.returncode == 0, done.stderr
        yield endpoint
    finally:
        stop(process)


def test_members_that_refuse_missing_credentials_are_up(
    etcd_with_auth: str, tmp_path: Path
) -> None:
    asked = _ctl(etcd_with_auth, "endpoint", "health", "-w", "table", user=None)
    output = asked.stdout + asked.stderr
    assert asked.returncode != 0 and "user name is empty" in output  # what etcdctl says
    facts = {f.name: f.value for f in ETCDCTL.parse(output, Context("health.txt")).facts}
    assert facts["etcd.endpoints"] == 1
    assert facts["etcd.endpoints_unhealthy"] == 0
    (tmp_path / "endpoint-health.txt").write_text(output)
    found = diagnose(Request(paths=(tmp_path / "endpoint-health.txt",), jobs=1)).findings
    assert all(f.tier == "lead" for f in found if f.failure_mode == "etcd-unavailable")
