"""The generic goroutine findings in the ranking: links that hold only in some components, a
known bug that replaces the generic finding on its own component only, and the evidence asked
for when a victim is found alone."""

from __future__ import annotations

from kubewhy.facts.store import FactStore
from kubewhy.kb.load import default_knowledge_base
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.reasoning.assemble import missing_evidence
from kubewhy.reasoning.match import Hypothesis, Matched
from kubewhy.reasoning.rank import rank

KB = default_knowledge_base()
EV = Evidence("goroutines.txt", None, None, "line")


def hyp(
    fm_id: str,
    subject: Entity,
    confidence: float,
    blamed: dict[str, int] | None = None,
    evidence: Evidence = EV,
) -> Hypothesis:
    h = Hypothesis(KB.get(fm_id), subject)
    h.add(Matched("s", confidence, False, [evidence], blamed=dict(blamed or {})))
    h.confidence = confidence
    return h


def explained(hyps: list[Hypothesis]) -> dict[str, str | None]:
    return {
        r.hypothesis.fm.id: r.explained_by.fm.id if r.explained_by else None for r in rank(hyps)
    }


def test_a_convoy_in_the_kubelet_explains_pleg_and_one_elsewhere_does_not() -> None:
    node = Entity.for_node("n1")
    pleg = hyp("pleg-unhealthy", node, 0.9)
    in_kubelet = hyp("lock-convoy", Entity.component("kubelet", "n1"), 0.86)
    assert explained([pleg, in_kubelet])["pleg-unhealthy"] == "lock-convoy"
    in_etcd = hyp("lock-convoy", Entity.component("etcd", "n1"), 0.86)
    assert explained([pleg, in_etcd])["pleg-unhealthy"] is None


def test_a_convoy_in_the_apiserver_explains_its_overload() -> None:
    apiserver = Entity.component("kube-apiserver", "m1")
    overload = hyp("apiserver-overload", apiserver, 0.7)
    convoy = hyp("lock-convoy", apiserver, 0.86)
    assert explained([overload, convoy])["apiserver-overload"] == "lock-convoy"


def test_a_leak_explains_the_oom_kill_of_its_own_component_only() -> None:
    leak = hyp("goroutine-leak", Entity.component("kube-apiserver", "m1"), 0.85)
    own = hyp(
        "container-oomkilled",
        Entity.container("kube-apiserver", "kube-apiserver-m1", "kube-system", "m1"),
        0.9,
    )
    other = hyp("container-oomkilled", Entity.container("app", "web-1", "prod", "m1"), 0.9)
    assert explained([leak, own])["container-oomkilled"] == "goroutine-leak"
    assert explained([leak, other])["container-oomkilled"] is None
    # The kernel's OOM killer names its victim: the kubelet, run outside any container.
    kubelet_leak = hyp("goroutine-leak", Entity.component("kubelet", "n1"), 0.85)
    killed = hyp("node-oom-kill", Entity.cgroup("/system.slice", "n1"), 0.9, {"kubelet": 1})
    assert explained([kubelet_leak, killed])["node-oom-kill"] == "goroutine-leak"


def test_a_known_leak_replaces_the_generic_finding_on_its_component_only() -> None:
    apiserver = Entity.component("kube-apiserver", "m1")
    known = hyp("apiserver-goroutine-leak-oom", apiserver, 0.99)
    generic = hyp("goroutine-leak", apiserver, 0.85)
    elsewhere = hyp("goroutine-leak", Entity.component("kubelet", "n1"), 0.85)
    ranked = [(r.hypothesis.fm.id, r.hypothesis.subject.name) for r in rank([generic, known])]
    assert ranked == [("apiserver-goroutine-leak-oom", "kube-apiserver")]
    ranked = [(r.hypothesis.fm.id, r.hypothesis.subject.name) for r in rank([elsewhere, known])]
    assert ("goroutine-leak", "kubelet") in ranked


def test_a_known_leak_seen_only_in_logs_leaves_the_dumps_leak_standing() -> None:
    """The API server's OOM kills in its log suggest the known leak; the dump shows another
    site. The dump's leak is not the known one's to replace."""
    apiserver = Entity.component("kube-apiserver", "m1")
    oom_line = Evidence("kube-apiserver.log", 12, None, "Killed process 3187 (kube-apiserver)")
    known = hyp("apiserver-goroutine-leak-oom", apiserver, 0.6, evidence=oom_line)
    generic = hyp("goroutine-leak", apiserver, 0.85)
    assert {r.hypothesis.fm.id for r in rank([generic, known])} == {
        "apiserver-goroutine-leak-oom",
        "goroutine-leak",
    }


def test_a_hung_cni_call_replaces_the_convoys_on_its_node_only() -> None:
    hang = hyp("cni-plugin-hang", Entity.for_node("n1"), 0.95)
    here = hyp("lock-convoy", Entity.component("terwayd", "n1"), 0.9)
    there = hyp("lock-convoy", Entity.component("kube-apiserver", "m1"), 0.9)
    found = {(r.hypothesis.fm.id, r.hypothesis.subject.name) for r in rank([hang, here, there])}
    assert found == {("cni-plugin-hang", "n1"), ("lock-convoy", "kube-apiserver")}


def test_a_victim_alone_asks_for_a_goroutine_dump_only_where_the_link_can_hold() -> None:
    store = FactStore()
    apiserver_oom = hyp(
        "container-oomkilled",
        Entity.container("kube-apiserver", "kube-apiserver-m1", "kube-system", "m1"),
        0.9,
    )
    app_oom = hyp("container-oomkilled", Entity.container("app", "web-1", "prod", "n1"), 0.9)

    def asks(h: Hypothesis) -> str:
        return " ".join(missing_evidence(rank([h]), KB, store))

    assert "goroutine-leak:" in asks(apiserver_oom)
    assert "goroutine-leak:" not in asks(app_oom)
    assert "lock-convoy:" not in asks(hyp("probe-failure", Entity.pod("web-1", "prod"), 0.9))


def test_a_special_leak_that_is_only_a_lead_leaves_the_finding_standing() -> None:
    """A dump's goroutine count alone hints at the DeleteCollection leak (a lead); the dump's
    own pile-up elsewhere is a finding and stays one."""
    apiserver = Entity.component("kube-apiserver", "m1")
    known = hyp("apiserver-goroutine-leak-oom", apiserver, 0.3)
    found = hyp("apiserver-goroutine-leak", apiserver, 0.85)
    assert known.tier == "lead" and found.tier != "lead"
    ranked = [(r.hypothesis.fm.id, r.hypothesis.tier) for r in rank([found, known])]
    assert ranked[0] == ("apiserver-goroutine-leak", found.tier)


def test_the_api_servers_own_leak_replaces_the_generic_one_and_the_known_one_replaces_it() -> None:
    apiserver = Entity.component("kube-apiserver", "m1")
    generic = hyp("goroutine-leak", apiserver, 0.85)
    own = hyp("apiserver-goroutine-leak", apiserver, 0.85)
    known = hyp("apiserver-goroutine-leak-oom", apiserver, 0.99)
    assert [r.hypothesis.fm.id for r in rank([generic, own])] == ["apiserver-goroutine-leak"]
    assert [r.hypothesis.fm.id for r in rank([generic, own, known])] == [
        "apiserver-goroutine-leak-oom"
    ]
