"""The Prometheus alerts of these failure modes are valid rules for the real promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from kubewhy.kb.load import KnowledgeBase

from .helpers import load_with_stubs
from .test_failure_modes import REQUIRED_IDS


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return load_with_stubs(tmp_path_factory.mktemp("kb"))


def _rules(kb: KnowledgeBase) -> list[dict[str, object]]:
    rules: list[dict[str, object]] = []
    for fm_id in REQUIRED_IDS:
        for alert in kb.get(fm_id).prevention.alerts:
            expr = alert.expr
            for name, value in alert.thresholds.items():
                expr = expr.replace("{" + name + "}", repr(value))
            rules.append(
                {
                    "alert": alert.alert,
                    "expr": expr,
                    "for": alert.for_,
                    "labels": {"severity": alert.severity},
                    "annotations": {"summary": alert.summary, "description": alert.description},
                }
            )
    return rules


@pytest.mark.peer
def test_promtool_accepts_every_alert(kb: KnowledgeBase, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed")
    rules = _rules(kb)
    assert len(rules) >= len(REQUIRED_IDS)
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names)), "alert names must be unique"
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "kubewhy", "rules": rules}]}))
    done = subprocess.run(
        [promtool, "check", "rules", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules)} rules found" in done.stdout
