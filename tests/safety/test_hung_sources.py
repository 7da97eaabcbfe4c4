"""Silent, trickling and refusing peers (Prometheus and an API server) are given up on within
the deadline, with the right reason, exit 3 when nothing could be read, and Ctrl-C, SIGTERM and
SIGHUP end a run at once (exit 130), temporary folders removed."""

from __future__ import annotations

import signal
import tarfile
from pathlib import Path

import pytest

from .peers import bad_peer, kubeconfig_for
from .run import run_kubewhy

TIMEOUT = 4.0
# Start-up (imports, the knowledge base) and exit, on a shared 2-core machine.
SLACK = 8.0
REASONS = {"trickle": "timeout", "silent": "timeout", "refuse": "refused"}


@pytest.mark.parametrize("kind", sorted(REASONS))
def test_a_bad_prometheus_is_given_up_within_the_deadline(kind: str) -> None:
    with bad_peer(kind) as url:
        ran = run_kubewhy("diagnose", "--prometheus", url, "--timeout", str(TIMEOUT), timeout=90)
    assert ran.code == 3, (ran.code, ran.stderr)
    assert ran.seconds < TIMEOUT + SLACK, ran.seconds
    [line] = ran.stderr.splitlines()
    assert f"prometheus ({REASONS[kind]}:" in line, line
    assert ran.stdout == ""


@pytest.mark.parametrize("kind", sorted(REASONS))
def test_a_bad_api_server_is_given_up_within_the_deadline(kind: str, tmp_path: Path) -> None:
    with bad_peer(kind) as url:
        kubeconfig = kubeconfig_for(url, str(tmp_path / "kubeconfig"))
        ran = run_kubewhy(
            "diagnose",
            "--cluster",
            "--kubeconfig",
            kubeconfig,
            "--timeout",
            str(TIMEOUT),
            timeout=90,
        )
    assert ran.code == 3, (ran.code, ran.stderr)
    assert ran.seconds < TIMEOUT + SLACK, ran.seconds
    [line] = ran.stderr.splitlines()
    assert f"cluster ({REASONS[kind]}:" in line, line


def test_some_evidence_read_is_a_report_with_the_gap(tmp_path: Path) -> None:
    log = tmp_path / "kubelet.log"
    log.write_text("I0907 07:04:17.611412 1 kubelet.go:1] PLEG is not healthy\n")
    with bad_peer("refuse") as url:
        ran = run_kubewhy("diagnose", str(log), "--prometheus", url, "--format", "json")
    assert ran.code in (0, 1), ran.stderr
    assert '"reason": "refused"' in ran.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_a_hung_source_ends_the_run_and_removes_temp(
    sig: int, tmp_path: Path
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    archive = tmp_path / "evidence.tgz"
    log = tmp_path / "kubelet.log"
    log.write_text("I0907 07:04:17.611412 1 kubelet.go:1] hello\n")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(log, arcname="logs/kubelet.log")
    with bad_peer("trickle") as url:
        ran = run_kubewhy(
            "diagnose",
            str(archive),
            "--prometheus",
            url,
            "--timeout",
            "120",
            extra_env={"TMPDIR": str(scratch)},
            signal_after=(4.0, sig),
            timeout=60,
        )
    assert ran.code == 130, (ran.code, ran.stderr)
    assert ran.seconds < 4.0 + 5.0, ran.seconds
    assert "interrupted" in ran.stderr and "Traceback" not in ran.stderr
    assert list(scratch.iterdir()) == [], "temporary folder left behind"


def test_nothing_at_all_to_read_exits_3(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.log").write_text("\n\n")
    ran = run_kubewhy("diagnose", str(empty))
    assert ran.code == 3 and "could not read any evidence" in ran.stderr
    ran = run_kubewhy("diagnose", "--node", "--root", str(empty))
    assert ran.code == 3 and "node" in ran.stderr, ran.stderr
