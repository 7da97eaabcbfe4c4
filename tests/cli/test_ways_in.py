"""Ways evidence gets in: standard input (``-``), Go-style durations for --since/--until, and
the Prometheus credentials' environment variables named in --help."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED000 = ROOT / "examples" / "seed000-calico-pid-exhaustion"


def kubewhy(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kubewhy", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )


def test_a_journal_piped_in_is_diagnosed_and_cited_as_stdin() -> None:
    journal = (SEED000 / "journalctl-u-kubelet.txt").read_bytes()
    run = kubewhy("diagnose", "-", "--format", "json", stdin=journal)
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["inputs"] and all(i["path"].startswith("stdin") for i in report["inputs"])
    assert "node-pid-exhaustion" in [f["failure_mode"] for f in report["findings"]]
    sources = {e["source"] for f in report["findings"] for e in f["evidence"]}
    assert sources and all(s.startswith("stdin") for s in sources)


def test_an_archive_piped_in_is_opened_like_one_named() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(SEED000, arcname="seed000")
    run = kubewhy("diagnose", "-", "--format", "json", stdin=buffer.getvalue())
    report = json.loads(run.stdout)
    assert report["findings"][0]["failure_mode"] == "thread-leak-container"
    assert all(i["path"].startswith("stdin!/seed000/") for i in report["inputs"])


def test_standard_input_is_read_once() -> None:
    run = kubewhy("diagnose", "-", "-", stdin=b"")
    assert run.returncode == 2 and b"once" in run.stderr and b"Traceback" not in run.stderr


def test_since_takes_a_go_duration(tmp_path: Path) -> None:
    # Two OOM kills in the kernel's journal wording (written for this test): 3 h and 1 h ago.
    now = datetime.now(UTC).replace(microsecond=0)
    lines = [
        f"{(now - timedelta(hours=h)).isoformat()} n1 kernel: Out of memory: Killed process "
        f"{1000 + h} (java) total-vm:100kB, anon-rss:90kB, file-rss:0kB\n"
        for h in (3, 1)
    ]
    log = tmp_path / "kernel.log"
    log.write_text("".join(lines))
    run = kubewhy("diagnose", str(log), "--format", "json", "--since", "1h30m")
    assert run.returncode == 1, run.stderr
    assert json.loads(run.stdout)["lines_outside_window"] == 1
    wrong = kubewhy("diagnose", str(log), "--since", "1h30")
    assert wrong.returncode == 2 and b"1h30m" in wrong.stderr


def test_help_names_the_prometheus_credentials_variables() -> None:
    from kubewhy.sources.prometheus.client import PASSWORD_ENV, TOKEN_ENV, USER_ENV

    for command in (("diagnose",), ("audit",), ("collect", "prometheus")):
        run = kubewhy(*command, "--help")
        text = b" ".join(run.stdout.split()).decode()
        for name in (TOKEN_ENV, USER_ENV, PASSWORD_ENV):
            assert name in text, (command, name)


def test_since_reaches_the_node_journals(monkeypatch: pytest.MonkeyPatch) -> None:
    from kubewhy.kb.load import default_knowledge_base
    from kubewhy.model.times import TimeWindow
    from kubewhy.pipeline import NodeSource, _collect_node
    from kubewhy.sources import node

    seen: dict[str, object] = {}
    monkeypatch.setattr(node, "collect_node", lambda *a, **k: seen.update(k))
    since = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    _collect_node(NodeSource(), default_knowledge_base(), TimeWindow(since, None))
    assert seen["journal_since"] == f"@{int(since.timestamp())}"
