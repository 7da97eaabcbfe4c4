"""The knowledge base's causal graph: the links the ranking walks to put roots above victims.

The graph is data spread over many YAML files; these checks keep its shape sound as failure
modes are added (no cause loops, no link between a failure mode and its own special case, the
resource exhaustions reach the symptoms they are known to produce) and its drawing current."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.kb.load import KnowledgeBase, default_knowledge_base
from kubewhy.reports.explain import render_graph

GRAPH_DOC = Path(__file__).resolve().parents[2] / "docs" / "causal-graph.md"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return default_knowledge_base()


def _cause_edges(kb: KnowledgeBase) -> dict[str, set[str]]:
    """Only ``causes`` links: a ``triggers`` link may close a loop on purpose (a failure sets
    off a latent bug that in turn feeds the failure), and it does not rank the trigger first."""
    return {
        fm.id: {link.failure_mode for link in fm.causes if link.kind == "causes"}
        for fm in kb.failure_modes.values()
    }


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(edges[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges[node])
    return seen


def test_no_failure_mode_causes_itself_through_a_loop(kb: KnowledgeBase) -> None:
    edges = _cause_edges(kb)
    loops = sorted(fm_id for fm_id in edges if fm_id in _reachable(edges, fm_id))
    assert loops == [], f"cause loops through {loops}: a loop leaves no root to rank first"


def test_a_special_case_is_not_linked_to_its_general_mode(kb: KnowledgeBase) -> None:
    # A special failure mode replaces its general one when both are found; a cause link
    # between them would rank one as the other's victim instead.
    edges = _cause_edges(kb)
    wrong = [
        (fm.id, general)
        for fm in kb.failure_modes.values()
        for general in fm.subsumes
        if general in edges[fm.id] or fm.id in edges[general]
    ]
    assert wrong == []


# Resource exhaustions and the symptoms each is known to end in on a node (incidents.md and the
# kubelet's and runtimes' documented behaviour): if the chain breaks, the ranking would leave
# the exhaustion beside its victims instead of above them.
EXHAUSTION_REACHES = {
    "zombie-processes": {"node-pid-exhaustion", "container-runtime-hung", "crashloop-backoff"},
    "thread-leak-container": {"node-pid-exhaustion", "pids-cgroup-limit", "probe-failure"},
    "node-pid-exhaustion": {"container-runtime-fork-failure", "pod-sandbox-creation-failed"},
    "memory-pressure-node-hang": {"pleg-unhealthy", "probe-failure", "soft-lockup-rcu-stall"},
    "memcg-zombie-cgroups": {"soft-lockup-rcu-stall", "pleg-unhealthy"},
    "inode-exhaustion": {"pod-sandbox-creation-failed", "disk-pressure-eviction"},
    "etcd-slow-disk": {"etcd-leader-churn", "apiserver-overload"},
    "conntrack-table-full": {"dns-timeout"},
}


@pytest.mark.parametrize("root", sorted(EXHAUSTION_REACHES))
def test_exhaustion_reaches_the_symptoms_it_produces(kb: KnowledgeBase, root: str) -> None:
    missing = EXHAUSTION_REACHES[root] - _reachable(_cause_edges(kb), root)
    assert missing == set(), f"{root} no longer leads to {sorted(missing)}"


def test_every_link_states_its_mechanism(kb: KnowledgeBase) -> None:
    short = [
        (fm.id, link.failure_mode)
        for fm in kb.failure_modes.values()
        for link in fm.causes
        if len(link.statement.split()) < 6
    ]
    assert short == []


def test_the_drawn_graph_is_current(kb: KnowledgeBase) -> None:
    assert GRAPH_DOC.read_text(encoding="utf-8") == render_graph(kb), (
        "docs/causal-graph.md is stale: run `kubewhy rules --graph > docs/causal-graph.md`"
    )
