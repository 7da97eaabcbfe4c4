"""A site's own rules (--kb-dir, KUBEWHY_KB_PATH) and suppressions change the output as the README
says, through the command line as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED000 = ROOT / "examples" / "seed000-calico-pid-exhaustion"
SEED003 = ROOT / "examples" / "seed003-kernel-bug-reboot"

LOCAL_RULE = """\
id: payments-license-expired
title: The payments service's vendor license expired
scope: pod
summary: >
  The vendor SDK inside payments refuses to start once its license file is past its date.
mechanism: >
  The SDK checks the license at start-up and exits; the pod restarts forever.
logs:
  - id: sdk-license-expired
    description: the vendor SDK reports an expired license
    pattern: 'VENDORSDK: license expired on \\d{4}-\\d{2}-\\d{2}'
    weight: 0.9
    examples:
      - 'E1203 10:00:01.000000 1 main.go:42] VENDORSDK: license expired on 2026-11-30'
remediation:
  - "kubectl -n payments rollout restart deploy/payments   # after renewing the license"
prevention:
  settings:
    - alert 30 days before the license date
references:
  - url: https://kubernetes.io/docs/concepts/configuration/secret/
    note: where the license file lives
"""
LOG_LINE = "E1203 10:00:01.000000 1 main.go:42] VENDORSDK: license expired on 2026-11-30\n"


def kubewhy(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KUBEWHY_")}
    return subprocess.run(
        [sys.executable, "-m", "kubewhy", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**environ, **(env or {})},
    )


def modes(run: subprocess.CompletedProcess[str], key: str = "findings") -> list[str]:
    report: dict[str, Any] = json.loads(run.stdout)
    return [f["failure_mode"] for f in report[key]]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "payments-license-expired.yaml").write_text(LOCAL_RULE)
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "payments.log").write_text(LOG_LINE)
    return tmp_path


def test_a_local_rule_directory_adds_a_failure_mode(site: Path) -> None:
    without = kubewhy("diagnose", str(site / "evidence"), "-f", "json")
    assert without.returncode == 0 and modes(without) == []
    with_flag = kubewhy(
        "diagnose", str(site / "evidence"), "-f", "json", "--kb-dir", str(site / "rules")
    )
    assert with_flag.returncode == 1, with_flag.stderr
    assert modes(with_flag) == ["payments-license-expired"]
    # The environment variable takes a path list, like PATH; an empty directory adds nothing.
    (site / "empty").mkdir()
    env = {"KUBEWHY_KB_PATH": f"{site / 'empty'}{os.pathsep}{site / 'rules'}"}
    with_env = kubewhy("diagnose", str(site / "evidence"), "-f", "json", env=env)
    assert modes(with_env) == ["payments-license-expired"]
    listed = kubewhy("rules", "-f", "json", env=env)
    assert "payments-license-expired" in {r["id"] for r in json.loads(listed.stdout)}
    page = kubewhy("explain", "payments-license-expired", env=env)
    assert page.returncode == 0 and "vendor SDK" in page.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("weight: 0.9", "weight: 9"), "payments-license-expired: logs.0.weight"),
        (
            (
                "scope: pod",
                "scope: pod\nfacts: [{id: f, description: d, when: 'no.such > 1', weight: 0.5}]",
            ),
            "unknown facts",
        ),
        (("VENDORSDK: license", "(?<=VENDOR)SDK: license"), "payments-license-expired"),
        (("id: payments-license-expired", "id: other-id"), "differs from the file name"),
    ],
)
def test_a_broken_local_rule_is_refused_like_a_built_in_one(
    site: Path, change: tuple[str, str], message: str
) -> None:
    rule = site / "rules" / "payments-license-expired.yaml"
    rule.write_text(LOCAL_RULE.replace(*change))
    run = kubewhy("diagnose", str(site / "evidence"), "--kb-dir", str(site / "rules"))
    assert run.returncode == 2
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_a_missing_rule_directory_is_one_line(tmp_path: Path) -> None:
    run = kubewhy("rules", "--kb-dir", str(tmp_path / "nope"))
    assert run.returncode == 2
    assert run.stderr.strip() == f"kubewhy: local rules {tmp_path / 'nope'}: not a directory"


def _suppressions(path: Path, *items: str) -> Path:
    path.write_text("suppressions:\n" + "".join(items))
    return path


def test_a_suppression_moves_a_finding_out_of_the_findings(tmp_path: Path) -> None:
    file = _suppressions(
        tmp_path / "s.yaml",
        "  - rule: probe-failure\n    entity: pod/calico-node-*\n    namespace: kube-system\n"
        "    expires: 2099-01-01\n    reason: calico probes tuned in CHG-1\n",
    )
    plain = kubewhy("diagnose", str(SEED000), "-f", "json")
    assert "probe-failure" in modes(plain)
    run = kubewhy("diagnose", str(SEED000), "-f", "json", "--suppressions", str(file))
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    kept = [(f["failure_mode"], f["entity"]["kind"]) for f in report["findings"]]
    assert ("probe-failure", "pod") not in kept
    # Only the selected entity: the same rule elsewhere (the node, the kubelet) stays.
    assert ("thread-leak-container", "container") in kept
    assert [f["rank"] for f in report["findings"]] == list(range(1, len(report["findings"]) + 1))
    [silenced] = report["suppressed"]
    assert silenced["failure_mode"] == "probe-failure"
    assert silenced["suppressed"] == {
        "rule": "probe-failure",
        "entity": "pod/calico-node-*",
        "namespace": "kube-system",
        "expires": "2099-01-01T23:59:59Z",
        "reason": "calico probes tuned in CHG-1",
    }
    text = kubewhy("diagnose", str(SEED000), "--suppressions", str(file)).stdout
    assert "suppressed: probe-failure on pod/calico-node-4xkzq until 2099-01-01" in text


def test_a_suppression_of_everything_found_exits_0(tmp_path: Path) -> None:
    rules = sorted(set(modes(kubewhy("diagnose", str(SEED000), "-f", "json"))))
    assert "thread-leak-container" in rules
    file = _suppressions(
        tmp_path / "s.yaml",
        *(f"  - {{rule: {r}, expires: 2099-01-01, reason: drill}}\n" for r in rules),
    )
    run = kubewhy("diagnose", str(SEED000), "-f", "json", "--suppressions", str(file))
    assert run.returncode == 0, run.stderr
    assert modes(run) == [] and sorted(set(modes(run, "suppressed"))) == rules


def test_expired_or_elsewhere_suppressions_do_not_apply(tmp_path: Path) -> None:
    file = _suppressions(
        tmp_path / "s.yaml",
        "  - {rule: probe-failure, expires: 2020-01-01, reason: old}\n",
        "  - {rule: node-pid-exhaustion, entity: node/other-*, expires: 2099-01-01, reason: x}\n",
        "  - {rule: thread-leak-container, namespace: prod, expires: 2099-01-01, reason: x}\n",
    )
    env = {"KUBEWHY_SUPPRESSIONS": str(file)}
    run = kubewhy("diagnose", str(SEED000), "-f", "json", env=env)
    assert {"probe-failure", "node-pid-exhaustion", "thread-leak-container"} <= set(modes(run))
    assert json.loads(run.stdout)["suppressed"] == []
    assert "suppression of probe-failure on * expired on 2020-01-01" in run.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("suppressions: [{rule: no-such-rule, expires: 2099-01-01, reason: x}]", "no failure mode"),
        ("suppressions: [{rule: probe-failure, reason: x}]", "suppressions.0.expires"),
        ("suppressions: [{rule: probe-failure, expires: 2099-01-01}]", "suppressions.0.reason"),
        (
            "suppressions: [{rule: probe-failure, entity: node, expires: 2099-01-01, reason: x}]",
            "use kind/name",
        ),
        ("suppressions: [{rule: x, expires: [", "not valid YAML"),
    ],
)
def test_a_bad_suppression_file_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(content)
    run = kubewhy("diagnose", str(SEED000), "--suppressions", str(file))
    assert run.returncode == 2
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_audit_marks_suppressed_risks_and_hides_them_in_text(tmp_path: Path) -> None:
    file = _suppressions(
        tmp_path / "s.yaml",
        "  - rule: kernel-bug-node-reboot\n    entity: node/host-*\n"
        "    expires: 2099-01-01\n    reason: kdump rollout in Q1\n",
    )
    run = kubewhy("audit", str(SEED003), "-f", "json", "--suppressions", str(file))
    assert run.returncode == 1, run.stderr
    risks = json.loads(run.stdout)
    silenced = [r for r in risks if r["suppressed"]]
    assert {(r["failure_mode"], r["risk"]) for r in silenced} == {
        ("kernel-bug-node-reboot", "no-kdump"),
        ("kernel-bug-node-reboot", "xenial-kernel"),
    }
    assert risks[-len(silenced) :] == silenced, "active risks first"
    text = kubewhy("audit", str(SEED003), "--suppressions", str(file)).stdout
    assert "no-kdump" not in text.replace("kernel-oops-panic", "")
    assert "2 suppressed risk(s) not shown" in text
