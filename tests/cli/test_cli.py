"""The command line as a user meets it: exit codes, one-line errors, the JSON contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED000 = ROOT / "examples" / "seed000-calico-pid-exhaustion"
HEALTHY = ROOT / "examples" / "healthy-node"


def kubewhy(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubewhy", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_findings_exit_1_and_json_contract() -> None:
    run = kubewhy("diagnose", str(SEED000), "--format", "json")
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert set(report) >= {"kubewhy_version", "inputs", "findings", "timeline", "missing_evidence"}
    assert all({"path", "format"} <= set(i) for i in report["inputs"])
    first = report["findings"][0]
    assert first["rank"] == 1
    for key in (
        "failure_mode",
        "title",
        "confidence",
        "entity",
        "culprit",
        "chain",
        "evidence",
        "remediation",
        "prevention",
        "references",
    ):
        assert key in first
    assert 0 <= first["confidence"] <= 1
    assert set(first["entity"]) >= {"kind", "name", "namespace"}
    ids = {e["id"] for e in first["evidence"]}
    for link in first["chain"]:
        assert set(link) >= {"failure_mode", "statement", "evidence"}
        assert set(link["evidence"]) <= ids
    for entry in report["timeline"]:
        assert entry["time"].endswith("Z")
    ranks = [f["rank"] for f in report["findings"]]
    assert ranks == sorted(ranks)


def test_healthy_exits_0() -> None:
    run = kubewhy("diagnose", str(HEALTHY))
    assert run.returncode == 0, run.stdout
    assert run.stdout.startswith("NO FINDING: ")


@pytest.mark.parametrize(
    "args",
    [
        ["diagnose", "/nonexistent/evidence"],
        ["diagnose"],
        ["explain", "no-such-failure-mode"],
        ["diagnose", "--timezone", "somewhere", str(SEED000)],
        ["no-such-command"],
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args: list[str]) -> None:
    run = kubewhy(*args)
    assert run.returncode == 2, (run.stdout, run.stderr)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines, "no error message"
    assert "Traceback" not in run.stderr
    assert len(lines) <= 3


def test_broken_archive_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "evidence.tgz"
    broken.write_bytes(b"\x1f\x8b\x08\x00 this is not gzip")
    run = kubewhy("diagnose", str(broken))
    # Nothing of what was asked could be read: exit 3, one line naming it, no "all clear".
    assert run.returncode == 3, (run.stdout, run.stderr)
    assert "evidence.tgz" in run.stderr and "Traceback" not in run.stderr
    assert run.stdout == ""


def test_goroutines_follows_the_exit_codes_of_every_command(tmp_path: Path) -> None:
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("nothing of Go here\n")
    unread = kubewhy("goroutines", str(not_a_dump))
    assert unread.returncode == 3 and "no goroutines found" in unread.stderr, unread.stderr
    missing = kubewhy("goroutines", str(tmp_path / "missing.txt"))
    assert missing.returncode == 2 and "no such file" in missing.stderr, missing.stderr


def test_archives_give_the_same_findings_as_the_folder(tmp_path: Path) -> None:
    tgz = tmp_path / "seed.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(SEED000, arcname="seed")
    archive = tmp_path / "seed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in SEED000.rglob("*"):
            if path.is_file():
                zf.write(path, f"seed/{path.relative_to(SEED000)}")
    folder = json.loads(kubewhy("diagnose", str(SEED000), "-f", "json").stdout)
    for packed in (tgz, archive):
        report = json.loads(kubewhy("diagnose", str(packed), "-f", "json").stdout)
        assert [f["failure_mode"] for f in report["findings"]] == [
            f["failure_mode"] for f in folder["findings"]
        ]


def test_archive_with_path_traversal_is_contained(tmp_path: Path) -> None:
    import io

    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        data = b"I0907 07:04:17.611412       1 x.go:1] hello\n"
        for name in ("../escaped.log", "/abs/escaped.log", "ok/kubelet.log"):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("ok/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/shadow"
        tar.addfile(link)
    run = kubewhy("diagnose", str(evil), "-f", "json")
    assert run.returncode in (0, 1), run.stderr
    report = json.loads(run.stdout)
    # Member names are data: unsafe ones are read under encoded names, the link is not followed.
    paths = sorted(i["path"] for i in report["inputs"])
    assert paths == [
        "evil.tar!/%2E%2E/escaped.log",
        "evil.tar!/abs/escaped.log",
        "evil.tar!/ok/kubelet.log",
    ]
    assert not (tmp_path / "escaped.log").exists()
    details = " ".join(g["detail"] for g in report["gaps"])
    assert "1 links not extracted" in details and "encoded names" in details


def test_output_file_and_markdown(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    run = kubewhy("diagnose", str(SEED000), "--format", "markdown", "-o", str(out))
    assert run.returncode == 1
    text = out.read_text()
    for heading in (
        "## Summary",
        "## Impact",
        "## Timeline",
        "## Detection",
        "## Root cause and trigger",
        "#### Why-analysis",
        "## Resolution",
        "## Follow-up actions",
        "## References",
    ):
        assert heading in text


def test_rules_and_explain_render_every_failure_mode() -> None:
    from kubewhy.kb.load import default_knowledge_base
    from kubewhy.reports.explain import render_explain

    rules = json.loads(kubewhy("rules", "--format", "json").stdout)
    assert len(rules) >= 40
    kb = default_knowledge_base()
    assert {r["id"] for r in rules} == set(kb.failure_modes)
    for rule in rules:
        page = render_explain(kb, kb.get(rule["id"]))
        for heading in (
            "## Meaning",
            "## Diagnosis",
            "## Mitigation",
            "## Prevention",
            "## References",
        ):
            assert heading in page, (rule["id"], heading)
    # And once through the command line, as a user calls it.
    page = kubewhy("explain", rules[0]["id"])
    assert page.returncode == 0 and "## Meaning" in page.stdout


def test_kubectl_plugin_reports_a_bad_kubeconfig_in_one_line() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from kubewhy.cli.kubectl_plugin import run_plugin; "
            "run_plugin(['node/x', '--kubeconfig', '/nonexistent/kubeconfig'])",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert "kubeconfig" in run.stderr and "Traceback" not in run.stderr


def test_since_and_until_bound_the_log_lines_read(tmp_path: Path) -> None:
    # Two OOM kills in the kernel's journal wording (written for this test), four hours apart:
    # a window around the second reads only it, and the report counts what it left out.
    log = tmp_path / "kernel.log"
    log.write_text(
        "2026-01-10T10:00:00+00:00 n1 kernel: Out of memory: Killed process 1234 (java) "
        "total-vm:100kB, anon-rss:90kB, file-rss:0kB\n"
        "2026-01-10T14:00:00+00:00 n1 kernel: Out of memory: Killed process 1235 (java) "
        "total-vm:100kB, anon-rss:90kB, file-rss:0kB\n"
    )
    args = ("diagnose", str(log), "--format", "json")
    everything = json.loads(kubewhy(*args).stdout)
    assert everything["findings"][0]["first_seen"].startswith("2026-01-10T10:00")
    window = json.loads(
        kubewhy(*args, "--since", "2026-01-10T12:00:00Z", "--until", "2026-01-10T15:00:00Z").stdout
    )
    assert window["lines_outside_window"] == 1
    assert window["findings"][0]["first_seen"].startswith("2026-01-10T14:00")
    nothing = kubewhy(*args, "--until", "2026-01-10T09:00:00Z")
    assert json.loads(nothing.stdout)["findings"] == [] and nothing.returncode == 0
    backwards = kubewhy(*args, "--since", "2026-01-10T12:00:00Z", "--until", "2026-01-10T11:00:00Z")
    assert backwards.returncode == 2 and "not before" in backwards.stderr
    assert "Traceback" not in backwards.stderr


def test_version_flag_prints_the_package_version() -> None:
    from kubewhy import __version__

    run = kubewhy("--version")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"kubewhy {__version__}"


def test_shell_completion_completes_commands_and_options() -> None:
    # The protocol the script from `kubewhy --show-completion bash` speaks to the command.
    env = {**os.environ, "_KUBEWHY_COMPLETE": "complete_bash"}
    for words, cword, expected in (
        ("kubewhy diag", "1", "diagnose"),
        ("kubewhy diagnose --for", "2", "--format"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "kubewhy"],
            env={**env, "COMP_WORDS": words, "COMP_CWORD": cword},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        assert expected in run.stdout.split(), run.stdout
    script = kubewhy("--show-completion", "bash")
    assert "_KUBEWHY_COMPLETE=complete_bash" in script.stdout
