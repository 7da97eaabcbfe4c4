"""The Grafana fleet dashboard (deploy/grafana/kubewhy-fleet.json): well formed, built only on
the agent's own metrics, and every query valid PromQL for promtool."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubewhy.agent.watch import new_metrics

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "kubewhy-fleet.json"
PROMQL_WORDS = {"count", "max", "sum", "rate", "time", "vector", "by", "or", "and"}
GRAFANA_VARS = {"$node": ".*", "$__rate_interval": "5m"}


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def expressions() -> list[str]:
    return [t["expr"] for p in dashboard()["panels"] for t in p["targets"]]


def agent_metric_names() -> set[str]:
    """What the agent exposes, as Prometheus sees it (counters with ``_total``)."""
    names = set()
    for family in new_metrics().registry.collect():
        names.add(family.name + ("_total" if family.type == "counter" else ""))
    return names


def test_the_dashboard_is_well_formed() -> None:
    board = dashboard()
    assert board["uid"] == "kubewhy-fleet" and isinstance(board["schemaVersion"], int)
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["node"]["definition"] == "label_values(kubewhy_info, node)"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    cells: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        assert panel["type"] in {"stat", "table", "timeseries"} and panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        mine = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs))


def test_queries_use_only_the_agents_metrics() -> None:
    exposed = agent_metric_names()
    used: set[str] = set()
    for expr in expressions():
        bare = re.sub(r"\{[^}]*\}|\[[^]]*\]|by \([^)]*\)|\"[^\"]*\"", " ", expr)
        words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare)) - PROMQL_WORDS
        assert words <= exposed, f"{expr}: not the agent's: {sorted(words - exposed)}"
        used |= words
    # The fleet view covers findings, risks, health and the API reporting.
    assert {
        "kubewhy_finding_confidence",
        "kubewhy_risk",
        "kubewhy_consecutive_failures",
        "kubewhy_events_total",
        "kubewhy_node_condition",
    } <= used


def test_queries_are_valid_promql(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("KUBEWHY_REQUIRE_PEERS"):
            pytest.fail("promtool is not installed (Debian: prometheus)")
        pytest.skip("promtool is not installed")
    rules = []
    for i, expr in enumerate(expressions()):
        query = expr
        for variable, value in GRAFANA_VARS.items():
            query = query.replace(variable, value)
        rules.append({"record": f"kubewhy:dashboard_query_{i}", "expr": query})
    file = tmp_path / "dashboard-queries.yml"
    file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    check = subprocess.run(
        [promtool, "check", "rules", str(file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"SUCCESS: {len(rules)} rules found" in check.stdout
