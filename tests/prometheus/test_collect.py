"""kubewhy reads a real Prometheus that scrapes real node-exporters."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from kubewhy.facts.store import FactStore
from kubewhy.kb.load import KnowledgeBase, load_knowledge_base
from kubewhy.kb.metrics import plan_queries
from kubewhy.model.entities import Entity
from kubewhy.pipeline import Request, diagnose, observe

from .peers import Peers, collect_prometheus, diagnose_prometheus, observe_prometheus

pytestmark = pytest.mark.peer
NODE_A = Entity.for_node("node-a")
NODE_B = Entity.for_node("node-b")


def _threads_now() -> int:
    return sum(len(os.listdir(f"/proc/{p}/task")) for p in os.listdir("/proc") if _alive(p))


def _alive(name: str) -> bool:
    return name.isdigit() and os.path.isdir(f"/proc/{name}/task")


def _int(store: FactStore, entity: Entity, name: str) -> int:
    value = store.value(entity, name)
    assert isinstance(value, int | float), f"{name} on {entity.ref()}: {value!r}"
    return int(value)


def test_reads_the_nodes_real_threads_and_limits(peers: Peers, kb: KnowledgeBase) -> None:
    before = _threads_now()
    gathered = observe_prometheus(peers.prometheus, "20s", None, kb)
    after = _threads_now()
    store = gathered.facts.store
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    threads_max = int(Path("/proc/sys/kernel/threads-max").read_text())
    assert _int(store, NODE_A, "sysctl.kernel.pid_max") == pid_max
    assert _int(store, NODE_A, "sysctl.kernel.threads_max") == threads_max
    threads = _int(store, NODE_A, "node.threads.total")
    # The peak over 20 s of a count that moves a little while tests run.
    assert 0.7 * min(before, after) <= threads <= 1.3 * max(before, after) + 50
    assert _int(store, NODE_A, "metrics.node_threads.max") == threads
    # Other programs come and go on a shared machine: any shape, but a shape.
    assert store.value(NODE_A, "metrics.node_threads.trend") in (
        "flat",
        "varying",
        "growing",
        "falling",
        "step",
    )
    assert _int(store, NODE_A, "node.pids.limit") == min(pid_max, threads_max)
    ratio = store.value(NODE_A, "node.pids.used_ratio")
    assert isinstance(ratio, float) and ratio == pytest.approx(
        threads / min(pid_max, threads_max), rel=0.01
    )
    # node-b exports no processes metrics, so none of these facts exist for it.
    assert store.value(NODE_B, "node.threads.total") is None
    fact = store.fact(NODE_A, "sysctl.kernel.pid_max")
    assert fact is not None and fact.evidence is not None
    assert "node_processes_max_processes" in fact.evidence.text


def test_a_missing_processes_collector_is_a_finding(peers: Peers, kb: KnowledgeBase) -> None:
    diagnosis = diagnose_prometheus(peers.prometheus, "20s", None, kb)
    gaps = [f for f in diagnosis.findings if f.failure_mode == "telemetry-gap-node-processes"]
    assert [f.entity.name for f in gaps] == ["node-b"]
    cited = " ".join(e.text for e in gaps[0].evidence)
    assert "node-b" in cited and "node_uname_info" in cited
    assert any("--collector.processes" in step for step in gaps[0].remediation)


def test_every_knowledge_base_query_runs(peers: Peers, kb: KnowledgeBase) -> None:
    bundle = collect_prometheus(peers.prometheus, "1m", None, kb)
    assert [g for g in bundle.manifest.gaps if g.reason != "absent"] == []
    assert len(bundle.manifest.artefacts) == len(plan_queries(kb))
    for artefact in bundle.manifest.artefacts:
        assert artefact.origin.startswith(f"GET {peers.prometheus}/api/v1/query")
        assert artefact.format == "prometheus-evidence"
    # cAdvisor's container_threads is served, kube-state-metrics is not: its absence is said.
    absent = {g.detail.split(":")[0] for g in bundle.manifest.gaps}
    assert "thread-leak-container/container-threads" not in absent


def test_too_many_series_are_cut_and_recorded(peers: Peers, kb: KnowledgeBase) -> None:
    bundle = collect_prometheus(peers.prometheus, "30s", None, kb, max_series=1)
    cut = [a for a in bundle.manifest.artefacts if a.truncated]
    assert cut, "no query returned two series (node-a and node-b both export meminfo)"
    assert any(
        g.reason == "too-large" and "kept the 1 highest" in g.detail for g in bundle.manifest.gaps
    )
    for artefact in cut:
        assert bundle.files[artefact.path].count(b'"metric"') == 1


def test_an_absent_metric_is_a_gap_with_its_reason(peers: Peers, tmp_path: Path) -> None:
    (tmp_path / "only-absent.yaml").write_text(
        """id: only-absent
title: a metric nobody exports
scope: node
summary: s
mechanism: m
facts:
  - {id: f, description: d, when: "metrics.kubewhy_test_nothing >= 1", weight: 0.5}
metrics:
  - id: nothing
    query: kubewhy_test_nothing
    fact: metrics.kubewhy_test_nothing
    entity: node
    absent_means: the test exporter does not serve it
remediation: [r]
prevention: {}
references: [{url: "https://prometheus.io/docs/prometheus/latest/querying/api/", note: n}]
"""
    )
    kb = load_knowledge_base(tmp_path)
    bundle = collect_prometheus(peers.prometheus, "30s", None, kb)
    assert [(g.reason, g.detail) for g in bundle.manifest.gaps] == [
        ("absent", "only-absent/nothing: no series; the test exporter does not serve it")
    ]
    gathered = observe_prometheus(peers.prometheus, "30s", None, kb)
    assert gathered.facts.store.value(Entity.cluster(), "metrics.nothing.absent") is True
    assert any("the test exporter does not serve it" in g.detail for g in gathered.read.gaps)


def test_a_written_bundle_diagnoses_the_same_offline(
    peers: Peers, kb: KnowledgeBase, tmp_path: Path
) -> None:
    bundle = collect_prometheus(peers.prometheus, "20s", None, kb)
    archive = tmp_path / "prom.tar.gz"
    bundle.write_tar_gz(archive)
    with tarfile.open(archive) as tar:
        assert "kubewhy-manifest.json" in tar.getnames()
    gathered = observe(Request(paths=(archive,)), kb)
    assert gathered.facts.store.value(NODE_A, "sysctl.kernel.pid_max") == int(
        Path("/proc/sys/kernel/pid_max").read_text()
    )
    findings = [f.failure_mode for f in diagnose(Request(paths=(archive,)), kb).findings]
    assert "telemetry-gap-node-processes" in findings
