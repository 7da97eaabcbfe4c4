"""Ranking: root causes above their consequences, triggers versus causes, cycles."""

from __future__ import annotations

from datetime import UTC, datetime

from kubewhy.kb.load import default_knowledge_base
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.reasoning.match import Hypothesis, Matched
from kubewhy.reasoning.rank import chain_order, rank

KB = default_knowledge_base()
EV = Evidence("kubelet.log", 1, None, "line")


def hyp(fm_id: str, subject: Entity, confidence: float) -> Hypothesis:
    h = Hypothesis(KB.get(fm_id), subject)
    h.add(Matched("s", confidence, False, [EV]))
    h.confidence = confidence
    return h


def test_victim_ranks_below_its_cause_on_the_same_node() -> None:
    node = Entity.for_node("n1")
    probe = hyp("probe-failure", Entity.pod("calico-node-1", "kube-system", node="n1"), 0.9)
    pids = hyp("node-pid-exhaustion", node, 0.6)
    ranked = rank([probe, pids])
    assert [r.hypothesis.fm.id for r in ranked] == ["node-pid-exhaustion", "probe-failure"]
    assert ranked[0].explained_by is None
    assert ranked[1].explained_by is pids
    assert "probe-failure" in ranked[0].why


def test_no_link_across_nodes() -> None:
    probe = hyp("probe-failure", Entity.pod("web-1", "prod", node="n2"), 0.9)
    pids = hyp("node-pid-exhaustion", Entity.for_node("n1"), 0.6)
    ranked = rank([probe, pids])
    assert all(r.explained_by is None for r in ranked)
    assert ranked[0].hypothesis is probe  # the stronger one first when unrelated


def test_trigger_does_not_demote_the_defect_it_sets_off() -> None:
    cluster = Entity.cluster()
    apiserver = Entity.component("kube-apiserver", "m1")
    etcd = hyp("etcd-unavailable", cluster, 0.95)
    leak = hyp("apiserver-goroutine-leak-oom", apiserver, 0.9)
    ranked = rank([etcd, leak])
    assert ranked[0].hypothesis is leak
    assert ranked[1].explained_by is leak
    chain = chain_order(leak, [etcd, leak])
    assert chain[0][0] is etcd and chain[0][1].startswith("Trigger:")
    assert chain[1][0] is leak


def test_explaining_more_raises_the_score() -> None:
    node = Entity.for_node("n1")
    pids = hyp("node-pid-exhaustion", node, 0.6)
    alone = rank([pids])[0].score
    probe = hyp("probe-failure", Entity.pod("p", "ns", node="n1"), 0.8)
    together = rank([pids, probe])[0].score
    assert together > alone


def test_an_unnamed_node_is_not_every_node() -> None:
    # Evidence from two named nodes and a pasted log that names none: the unnamed node's PID
    # exhaustion could be on either machine, so it explains neither node's probe failures.
    probe_n1 = hyp("probe-failure", Entity.pod("web-1", "prod", node="n1"), 0.9)
    probe_n2 = hyp("probe-failure", Entity.pod("web-2", "prod", node="n2"), 0.9)
    pids = hyp("node-pid-exhaustion", Entity.for_node("(unknown node)"), 0.6)
    ranked = rank([probe_n1, probe_n2, pids])
    assert all(r.explained_by is None for r in ranked)


def test_an_unnamed_node_is_the_one_named_node() -> None:
    probe = hyp("probe-failure", Entity.pod("web-1", "prod", node="n1"), 0.9)
    pids = hyp("node-pid-exhaustion", Entity.for_node("(unknown node)"), 0.6)
    ranked = rank([probe, pids])
    assert ranked[0].hypothesis is pids and ranked[1].explained_by is pids


def test_a_node_wide_root_comes_before_a_single_containers_when_about_as_strong() -> None:
    oom = hyp("container-oomkilled", Entity.container("app", "web-1", "prod", "n1"), 0.9)
    reboot = hyp("kernel-bug-node-reboot", Entity.for_node("n1"), 0.85)
    assert [r.hypothesis for r in rank([oom, reboot])] == [reboot, oom]
    # ...but not when the container's evidence is clearly the stronger.
    weak = hyp("kernel-bug-node-reboot", Entity.for_node("n1"), 0.5)
    assert [r.hypothesis for r in rank([oom, weak])] == [oom, weak]


def test_an_oom_kill_explains_its_own_workloads_crash_loop_only() -> None:
    # The OOM-killed container's own pod crash-loops: one fault, ranked as the OOM kill.
    own = hyp("container-oomkilled", Entity.container("api", "api-7d9f", "prod"), 0.9)
    looping = hyp("crashloop-backoff", Entity.pod("api-7d9f", "prod"), 0.9)
    ranked = rank([looping, own])
    assert ranked[1].hypothesis is looping and ranked[1].explained_by is own
    # A process named after the container (the kernel names the victim, not its pod) still is.
    java = hyp("container-oomkilled", Entity.process(30412, "java"), 0.9)
    java_pod = hyp("crashloop-backoff", Entity.pod("java-worker-5ab8c", "prod"), 0.9)
    assert rank([java_pod, java])[1].explained_by is java
    # Another workload's crash loop is not explained by it.
    other = hyp("crashloop-backoff", Entity.pod("order-service-7d4b9c8f6-5ab8c", "prod"), 0.9)
    assert all(r.explained_by is None for r in rank([other, java]))
    # Its own pod's crash loop is no reach: it does not score above an unrelated node fault.
    node = hyp("systemd-mount-unit-leak", Entity.for_node("n1"), 0.86)
    first = rank([own, looping, node])[0].hypothesis
    assert first is node


def test_past_findings_of_one_mode_on_one_node_fold_into_the_latest() -> None:
    def past(cgroup: str, hour: int) -> Hypothesis:
        h = Hypothesis(KB.get("node-oom-kill"), Entity.cgroup(cgroup, "n1"))
        when = datetime(2026, 12, 6, hour, tzinfo=UTC)
        h.add(Matched("s", 0.9, False, [Evidence("dmesg", 1, when, "line")], first=when, last=when))
        h.confidence, h.state = 0.9, "past"
        return h

    old, older, latest = past("/a", 10), past("/b", 9), past("/c", 11)
    active = hyp("node-oom-kill", Entity.cgroup("/d", "n1"), 0.9)
    elsewhere = past("/e", 8)
    elsewhere.subject = Entity.cgroup("/e", "n2")
    ranked = rank([old, older, latest, active, elsewhere])
    kept = {r.hypothesis.subject.name for r in ranked}
    # the active one stays, the latest past one stands for the two before it, another node's apart
    assert kept == {"/c", "/d", "/e"}
    (folded,) = [r for r in ranked if r.hypothesis is latest]
    assert "2 earlier past finding(s)" in folded.why


def test_the_node_the_evidence_centres_on_comes_before_a_neighbour() -> None:
    def cited(fm_id: str, subject: Entity, confidence: float, *sources: str) -> Hypothesis:
        h = Hypothesis(KB.get(fm_id), subject)
        h.add(Matched("s", confidence, False, [Evidence(s, 1, None, "line") for s in sources]))
        h.confidence = confidence
        return h

    # the node's journal, its kubelet config and a session on it: the evidence is about n1;
    # a pod on n2 with a typo'd image is real, but not what the evidence was collected for
    slow = cited("slow-image-pull", Entity.for_node("n1"), 0.7, "kubelet.log", "config", "term")
    typo = cited("image-pull-backoff", Entity.pod("web-1", "web", node="n2"), 0.98, "describe")
    ranked = rank([typo, slow])
    assert ranked[0].hypothesis is slow
    # without a clear centre the stronger finding leads
    even = cited("slow-image-pull", Entity.for_node("n1"), 0.7, "kubelet.log")
    assert rank([typo, even])[0].hypothesis is typo


def test_a_lead_beside_the_finding_it_would_explain_is_raised_to_a_cause() -> None:
    node = Entity.for_node("n1")
    limit = hyp("container-nofile-limit-too-high", node, 0.3)
    oom = hyp("container-oomkilled", Entity.pod("mysql-0", "db", node="n1"), 0.85)
    assert limit.tier == "lead"
    ranked = rank([oom, limit])
    assert ranked[0].hypothesis is limit
    assert limit.tier == "probable"
    assert ranked[1].explained_by is limit
    assert "would explain container-oomkilled" in ranked[0].why
    # the reason is the ranking's, not a version note of the finding's JSON
    assert limit.version_notes == []


def test_a_lead_stays_a_lead_without_its_consequence_or_elsewhere() -> None:
    limit = hyp("container-nofile-limit-too-high", Entity.for_node("n1"), 0.3)
    oom_elsewhere = hyp("container-oomkilled", Entity.pod("mysql-0", "db", node="n2"), 0.85)
    ranked = rank([oom_elsewhere, limit])
    assert limit.tier == "lead"
    assert ranked[0].hypothesis is oom_elsewhere
    alone = hyp("container-nofile-limit-too-high", Entity.for_node("n1"), 0.3)
    rank([alone])
    assert alone.tier == "lead"


def test_a_lead_of_supporting_signs_only_is_not_raised() -> None:
    node = Entity.for_node("n1")
    limit = Hypothesis(KB.get("container-nofile-limit-too-high"), node)
    limit.add(Matched("s", 0.3, True, [EV]))
    limit.confidence = 0.3
    oom = hyp("container-oomkilled", Entity.pod("mysql-0", "db", node="n1"), 0.85)
    rank([oom, limit])
    assert limit.tier == "lead"


def test_a_lead_with_a_sign_against_it_is_not_raised() -> None:
    # Sandboxes recreated again and again beside sandboxes that are never created at all: the
    # recreation is that failure's, and the mismatch stays a question.
    node = Entity.for_node("n1")
    mismatch = hyp("cgroup-driver-mismatch", node, 0.3)
    sandbox = hyp("pod-sandbox-creation-failed", node, 0.9)
    rank([sandbox, mismatch])
    assert mismatch.tier == "probable"  # raised: it would explain the sandbox failures
    refuted = hyp("cgroup-driver-mismatch", node, 0.3)
    refuted.add(Matched("sandbox-never-created", 0.4, False, [EV], refutes=True))
    ranked = rank([hyp("pod-sandbox-creation-failed", node, 0.9), refuted])
    assert refuted.tier == "lead"
    assert ranked[0].hypothesis.fm.id == "pod-sandbox-creation-failed"


def test_a_lead_that_restates_the_effect_is_not_raised_by_it() -> None:
    # CoreDNS pods crash-looping are a lead to the forwarding loop, not a sign of it beside
    # their own crash loop: the finding of that crash loop leaves the lead a lead. It is the
    # usual explanation of that finding, though: listed first, as the question to settle, with
    # the crash loop as its consequence.
    pod = Entity.pod("coredns-576cbf47c7-dkhx5", "kube-system", node="n1")
    loop = Hypothesis(KB.get("coredns-forward-loop"), pod)
    loop.add(Matched("coredns-pods-crashlooping", 0.2, False, [EV], restates_effect=True))
    loop.confidence = 0.2
    crash = hyp("crashloop-backoff", pod, 0.8)
    ranked = rank([crash, loop])
    assert loop.tier == "lead"
    assert [r.hypothesis for r in ranked] == [loop, crash]
    assert ranked[1].explained_by is loop
    # Elsewhere (another workload's crash loop) it explains nothing and stays behind.
    other = hyp("crashloop-backoff", Entity.pod("web-5d9c8f7b6-x2kq9", "web", node="n1"), 0.8)
    ranked = rank([other, loop])
    assert [r.hypothesis for r in ranked] == [other, loop]
    assert ranked[0].explained_by is None
    # A sign against it keeps it a question behind the finding.
    refuted = Hypothesis(KB.get("coredns-forward-loop"), pod)
    refuted.add(Matched("coredns-pods-crashlooping", 0.2, False, [EV], restates_effect=True))
    refuted.add(Matched("against", 0.3, False, [EV], refutes=True))
    refuted.confidence = 0.2
    ranked = rank([hyp("crashloop-backoff", pod, 0.8), refuted])
    assert ranked[0].hypothesis.fm.id == "crashloop-backoff"
    # The same lead with a sign of its own (the node's resolv.conf) is raised as before.
    loop.add(Matched("node-resolv-conf-searches-cluster", 0.2, False, [EV]))
    rank([crash, loop])
    assert loop.tier == "probable"


def test_one_fault_on_several_replicas_of_a_workload_is_one_finding() -> None:
    coredns = [
        hyp("crashloop-backoff", Entity.pod(name, "kube-system", node="n1"), 0.8)
        for name in ("coredns-576cbf47c7-dkhx5", "coredns-576cbf47c7-qlnqn")
    ]
    other = hyp(
        "crashloop-backoff", Entity.pod("metrics-server-5d9c8f7b6-x2kq9", "kube-system"), 0.8
    )
    ranked = rank([*coredns, other])
    assert [r.hypothesis.subject.name for r in ranked] == [
        "coredns-576cbf47c7-dkhx5",
        "metrics-server-5d9c8f7b6-x2kq9",
    ]
    assert "1 other replica(s) of this workload, folded" in ranked[0].why


def test_pods_of_one_name_without_a_replica_suffix_stay_apart() -> None:
    # "web" and "web-api" are two workloads; a bare name carries no controller's suffix.
    pods = [hyp("crashloop-backoff", Entity.pod(name, "prod"), 0.8) for name in ("web", "web-api")]
    assert len(rank(pods)) == 2
