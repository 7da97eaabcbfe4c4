"""Hypotheses from facts and hits: supporting symptoms never raise a finding alone; known bugs
move the confidence with the version in the evidence."""

from __future__ import annotations

from kubewhy.facts.store import FactStore
from kubewhy.kb.load import default_knowledge_base
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.model.hits import SymptomHit
from kubewhy.reasoning.match import Hypothesis, apply_known_bugs, hypotheses

KB = default_knowledge_base()


def ev(text: str) -> Evidence:
    return Evidence("evidence.txt", 1, None, text)


def test_supporting_fact_alone_gives_no_finding() -> None:
    store = FactStore()
    node = Entity.for_node("n1")
    store.add(Fact("sysctl.kernel.pid_max", node, 32768, ev("kernel.pid_max = 32768")))
    found = {h.fm.id for h in hypotheses(KB, store, [])}
    assert "node-pid-exhaustion" not in found


def test_primary_fact_with_support_reinforces() -> None:
    store = FactStore()
    node = Entity.for_node("n1")
    store.add(Fact("sysctl.kernel.pid_max", node, 32768, ev("kernel.pid_max = 32768")))
    store.add(Fact("node.pids.used_ratio", node, 0.97, ev("ps -eLf | wc -l: 31800")))
    by_id = {h.fm.id: h for h in hypotheses(KB, store, [])}
    h = by_id["node-pid-exhaustion"]
    assert {"pids-nearly-full", "pid-max-low"} <= set(h.matched)
    assert h.confidence > KB.get("node-pid-exhaustion").facts[0].weight


def test_log_hits_become_hypotheses_on_the_subject_node() -> None:
    store = FactStore()
    kubelet = Entity.component("kubelet", "n1")
    hit = SymptomHit("node-pid-exhaustion", "go-newosproc", kubelet)
    hit.add(ev("runtime: failed to create new OS thread (have 5 already; errno=11)"), {})
    (h,) = [h for h in hypotheses(KB, store, [hit]) if h.fm.id == "node-pid-exhaustion"]
    assert h.subject == Entity.for_node("n1")


def test_known_bug_version_moves_confidence_and_says_so() -> None:
    fm = KB.get("kubelet-api-throttling")
    node = Entity.for_node("n1")
    notes = {}
    for version in ("v1.11.2", "v1.28.3"):
        store = FactStore()
        store.add(Fact("node.kubelet_version", node, version, ev(f"Kubelet Version: {version}")))
        h = Hypothesis(fm, node)
        factor = apply_known_bugs(h, store)
        notes[version] = (factor, h.version_notes, set(h.matched))
    assert notes["v1.11.2"][0] == 1.0 and "known-bug:kubelet" in notes["v1.11.2"][2]
    assert any("is affected" in n for n in notes["v1.11.2"][1])
    assert notes["v1.28.3"][0] == 0.5
    assert any("already has the fix (fixed in 1.27.0)" in n for n in notes["v1.28.3"][1])
