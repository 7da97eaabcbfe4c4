"""Each seed incident, diagnosed from recorded API answers alone, as far as they allow.

The answers are reconstructions (see data/PROVENANCE.md) served by the recorded API server; the
path from kubeconfig to findings is the production one (the pipeline's cluster source).
"""

from __future__ import annotations

from pathlib import Path

from kubewhy.kb.load import default_knowledge_base
from kubewhy.model.diagnosis import Diagnosis
from kubewhy.pipeline import ClusterSource, Request, diagnose, observe

from .apiserver import Faults, Scenario
from .conftest import Serve, seed


def _diagnose(
    serve: Serve, scenario: Scenario, target: str | None, faults: Faults | None = None
) -> Diagnosis:
    with serve(scenario, faults) as (_, kubeconfig):
        source = ClusterSource(target, kubeconfig=kubeconfig, context="recorded")
        return diagnose(Request(cluster=source))


def _modes(diagnosis: Diagnosis) -> list[str]:
    return [f.failure_mode for f in diagnosis.findings]


def _asks(diagnosis: Diagnosis) -> list[str]:
    """Missing evidence that is a request for more, not a report of a failed read."""
    return [m for m in diagnosis.missing_evidence if not m.startswith("gap:")]


def test_seed000_thread_leak_seen_through_the_kubelet(serve: Serve) -> None:
    diagnosis = _diagnose(serve, seed("seed000"), "node/node-xx")
    assert _modes(diagnosis)[0] == "thread-leak-container"
    culprit = diagnosis.findings[0].culprit
    assert culprit is not None and "order-service" in culprit.name
    assert {"node-pid-exhaustion", "probe-failure"} <= set(_modes(diagnosis))
    cited = [e.source for f in diagnosis.findings for e in f.evidence]
    assert any(s.endswith("metrics-cadvisor.txt") for s in cited)
    assert diagnosis.missing_evidence


def test_seed000_without_node_proxy_still_sees_the_fork_failures(serve: Serve) -> None:
    faults = Faults(forbidden=["/api/v1/nodes/node-xx/proxy"])
    diagnosis = _diagnose(serve, seed("seed000"), "node/node-xx", faults)
    modes = _modes(diagnosis)
    assert "probe-failure" in modes and "thread-leak-container" not in modes
    probe = next(f for f in diagnosis.findings if f.failure_mode == "probe-failure")
    assert any("Resource temporarily unavailable" in e.text for e in probe.evidence)
    assert any("nodes/proxy" in g.origin and g.reason == "permission" for g in diagnosis.gaps)
    assert diagnosis.missing_evidence


def test_seed002_apiserver_oomkilled(serve: Serve) -> None:
    diagnosis = _diagnose(serve, seed("seed002"), None)
    modes = _modes(diagnosis)
    assert "apiserver-goroutine-leak-oom" in modes
    oom = [f for f in diagnosis.findings if f.failure_mode == "container-oomkilled"]
    assert oom and "kube-apiserver" in oom[0].entity.name
    assert any("reason=OOMKilled exitCode=137" in e.text for f in oom for e in f.evidence)
    assert "etcd-unavailable" in modes  # controller-manager's lost leases, from its logs
    assert _asks(diagnosis)


def test_seed002_top_is_the_apiserver_leak(serve: Serve) -> None:
    diagnosis = _diagnose(serve, seed("seed002"), None)
    assert _modes(diagnosis)[0] == "apiserver-goroutine-leak-oom"


def test_seed004_pleg_not_healthy(serve: Serve) -> None:
    diagnosis = _diagnose(serve, seed("seed004"), "node/cn-hangzhou.10.0.0.77")
    kb = default_knowledge_base()
    pleg_causes = {
        fm.id
        for fm in kb.failure_modes.values()
        if any(link.failure_mode == "pleg-unhealthy" for link in fm.causes)
    }
    modes = _modes(diagnosis)
    assert "pleg-unhealthy" in modes
    assert modes[0] in {"pleg-unhealthy"} | pleg_causes
    assert diagnosis.findings[0].entity.name == "cn-hangzhou.10.0.0.77"
    assert _asks(diagnosis)  # the node-level evidence that would tell the causes apart


def test_seed001_pending_pods_with_running_containers(serve: Serve) -> None:
    diagnosis = _diagnose(serve, seed("seed001"), "node/10.0.0.23")
    assert _modes(diagnosis)[:1] == ["kubelet-api-throttling"]
    assert _asks(diagnosis)


def test_seed001_in_one_namespace(serve: Serve) -> None:
    """The same node with only its default-namespace pods: the counts are complete."""
    scenario = seed("seed001")
    scenario.pods = [p for p in scenario.pods if p["metadata"]["namespace"] == "default"]
    diagnosis = _diagnose(serve, scenario, "node/10.0.0.23")
    assert _modes(diagnosis)[0] == "kubelet-api-throttling"
    finding = diagnosis.findings[0]
    assert finding.entity.name == "10.0.0.23"
    assert any("kubeAPIQPS" in e.text for e in finding.evidence)


def test_seed003_reboots_top_is_the_kernel_bug(serve: Serve) -> None:
    diagnosis = _diagnose(serve, seed("seed003"), None)
    assert _modes(diagnosis)[:1] == ["kernel-bug-node-reboot"]
    assert _asks(diagnosis)


def test_seed003_reboots_are_counted(serve: Serve, tmp_path: Path) -> None:
    from kubewhy.model.entities import Entity

    with serve(seed("seed003")) as (_, kubeconfig):
        source = ClusterSource(kubeconfig=kubeconfig, context="recorded")
        gathered = observe(Request(cluster=source), default_knowledge_base())
    store = gathered.facts.store
    assert store.value(Entity.cluster(), "cluster.reboots") == 4
    assert store.value(Entity.for_node("k8s-node-07"), "kernel.release") == ("4.4.0-104-generic")
    assert any(h.failure_mode == "kernel-bug-node-reboot" for h in gathered.seen.hits)
