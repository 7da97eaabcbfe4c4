"""``kubewhy alerts``: every rule passes promtool and evaluates without error in Prometheus."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from kubewhy.errors import UsageError
from kubewhy.kb.load import KnowledgeBase
from kubewhy.prevent import (
    parse_durations,
    parse_overrides,
    parse_threshold_file,
    render_alerts,
    rule_groups,
)

from .peers import PROMTOOL, Peers, get_json, need, wait_until


def _promtool_check(path: Path) -> str:
    need(PROMTOOL is not None, "promtool is not installed")
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, "check", "rules", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _rules(groups: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {r["alert"]: r for g in groups for r in g["rules"]}  # type: ignore[attr-defined]


def test_every_failure_mode_with_metric_evidence_has_an_alert(kb: KnowledgeBase) -> None:
    without = [fm.id for fm in kb if fm.metrics and not fm.prevention.alerts]
    assert without == [], f"metric evidence but no alert to see it coming: {without}"


def test_rule_files_pass_promtool(kb: KnowledgeBase, tmp_path: Path) -> None:
    plain = tmp_path / "rules.yml"
    plain.write_text(
        render_alerts(kb, "prometheus", {"ratio": 0.7}, {"KubewhyZombieProcesses": "0s"})
    )
    count = sum(len(fm.prevention.alerts) for fm in kb)
    assert f"SUCCESS: {count} rules found" in _promtool_check(plain)
    operator = yaml.safe_load(render_alerts(kb, "prometheusrule", {}))
    assert operator["apiVersion"] == "monitoring.coreos.com/v1"
    assert operator["kind"] == "PrometheusRule"
    inner = tmp_path / "operator-groups.yml"
    inner.write_text(yaml.safe_dump({"groups": operator["spec"]["groups"]}))
    assert f"SUCCESS: {count} rules found" in _promtool_check(inner)


def test_rules_carry_severity_failure_mode_and_runbook(kb: KnowledgeBase) -> None:
    groups = rule_groups(kb, {})
    assert {g["name"] for g in groups} == {f"kubewhy-{fm.id}" for fm in kb if fm.prevention.alerts}
    for group in groups:
        for rule in group["rules"]:
            fm_id = group["name"].removeprefix("kubewhy-")
            assert rule["labels"] == {"severity": rule["labels"]["severity"], "failure_mode": fm_id}
            assert rule["annotations"]["runbook"] == f"kubewhy explain {fm_id}"
            assert not re.search(r"\{[a-z_]+\}", rule["expr"]), rule["expr"]


def test_thresholds_default_shared_and_per_alert(kb: KnowledgeBase) -> None:
    default = _rules(rule_groups(kb, {}))["KubewhyNodePidUsageHigh"]
    assert str(default["expr"]).endswith("> 0.8")
    shared = _rules(rule_groups(kb, {"ratio": 0.5}))
    assert str(shared["KubewhyNodePidUsageHigh"]["expr"]).endswith("> 0.5")
    both = _rules(rule_groups(kb, {"ratio": 0.5, "KubewhyNodePidUsageHigh.ratio": 0.65}))
    assert str(both["KubewhyNodePidUsageHigh"]["expr"]).endswith("> 0.65")
    timed = _rules(rule_groups(kb, {}, {"KubewhyNodePidUsageHigh": "0s"}))
    assert timed["KubewhyNodePidUsageHigh"]["for"] == "0s"


def test_bad_overrides_are_usage_errors(kb: KnowledgeBase) -> None:
    with pytest.raises(UsageError, match="no alert has a threshold named nonsense"):
        rule_groups(kb, {"nonsense": 1})
    with pytest.raises(UsageError, match=r"KubewhyNodePidUsageHigh\.threads"):
        rule_groups(kb, {"KubewhyNodePidUsageHigh.threads": 1})
    with pytest.raises(UsageError):
        parse_overrides(["ratio"])
    with pytest.raises(UsageError, match="not a number"):
        parse_overrides(["ratio=high"])
    with pytest.raises(UsageError):
        parse_durations(["KubewhyNodePidUsageHigh=soon"])
    with pytest.raises(UsageError, match="no alert named KubewhyNope"):
        rule_groups(kb, {}, {"KubewhyNope": "1m"})
    with pytest.raises(UsageError):
        render_alerts(kb, "nagios", {})
    with pytest.raises(UsageError, match="not valid YAML"):
        parse_threshold_file("ratio: [")
    assert parse_threshold_file("") == {}


def test_every_rule_evaluates_in_prometheus(peers: Peers, kb: KnowledgeBase) -> None:
    names = {a.alert for fm in kb for a in fm.prevention.alerts}

    def evaluated() -> bool:
        rules = [
            r
            for g in get_json(f"{peers.prometheus}/api/v1/rules")["data"]["groups"]
            for r in g["rules"]
        ]
        return {r["name"] for r in rules} == names and all(r["health"] != "unknown" for r in rules)

    assert wait_until(evaluated, timeout=15), "the rules were not all loaded and evaluated"
    groups = get_json(f"{peers.prometheus}/api/v1/rules")["data"]["groups"]
    broken = {
        r["name"]: r.get("lastError") for g in groups for r in g["rules"] if r["health"] != "ok"
    }
    assert broken == {}


DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def test_shipped_example_rules_are_current_and_valid(kb: KnowledgeBase, tmp_path: Path) -> None:
    """deploy/prometheus holds ``kubewhy alerts`` output; regenerate it when alerts change:
    ``kubewhy alerts -o deploy/prometheus/kubewhy-rules.yml`` (and ``--format prometheusrule``)."""
    plain = DEPLOY / "kubewhy-rules.yml"
    _promtool_check(plain)
    names = {a.alert for fm in kb for a in fm.prevention.alerts}
    assert set(_rules(yaml.safe_load(plain.read_text())["groups"])) == names
    operator = yaml.safe_load((DEPLOY / "kubewhy-prometheusrule.yaml").read_text())
    assert operator["kind"] == "PrometheusRule"
    assert set(_rules(operator["spec"]["groups"])) == names
