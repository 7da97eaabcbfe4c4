"""Hypotheses from facts and hits: supporting symptoms never raise a finding alone; known bugs
move the confidence with the version in the evidence."""

from __future__ import annotations

import ast
import random
from collections.abc import Callable
from pathlib import Path

from kubewhy.facts.catalog import with_sources
from kubewhy.facts.store import FactStore
from kubewhy.kb.checks import CHECKS, Observed
from kubewhy.kb.conditions import Condition
from kubewhy.kb.load import default_knowledge_base
from kubewhy.kb.schema import Scope
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.model.hits import SymptomHit
from kubewhy.pipeline import Request, observe
from kubewhy.reasoning.match import (
    LEAD_FLOOR,
    Hypothesis,
    Matched,
    apply_known_bugs,
    hypotheses,
    subjects_where,
)
from kubewhy.reasoning.match import (
    _confidence as confidence_of,
)

KB = default_knowledge_base()


def ev(text: str) -> Evidence:
    return Evidence("evidence.txt", 1, None, text)


def test_supporting_fact_alone_gives_no_finding() -> None:
    store = FactStore()
    node = Entity.for_node("n1")
    store.add(Fact("sysctl.kernel.pid_max", node, 32768, ev("kernel.pid_max = 32768")))
    found = {h.fm.id for h in hypotheses(KB, Observed(store))}
    assert "node-pid-exhaustion" not in found


def test_primary_fact_with_support_reinforces() -> None:
    store = FactStore()
    node = Entity.for_node("n1")
    store.add(Fact("sysctl.kernel.pid_max", node, 32768, ev("kernel.pid_max = 32768")))
    store.add(Fact("node.pids.used_ratio", node, 0.97, ev("ps -eLf | wc -l: 31800")))
    by_id = {h.fm.id: h for h in hypotheses(KB, Observed(store))}
    h = by_id["node-pid-exhaustion"]
    assert {"pids-nearly-full", "pid-max-low"} <= set(h.matched)
    assert h.confidence > KB.get("node-pid-exhaustion").facts[0].weight


def test_pod_scoped_signs_are_read_on_the_node_when_no_pod_is_known() -> None:
    store = FactStore()
    node = Entity.for_node("n1")
    search = "search default.svc.cluster.local svc.cluster.local"
    store.add(Fact("node.resolv_conf.cluster_search", node, "svc.cluster.local", ev(search)))
    found = {(h.fm.id, h.subject) for h in hypotheses(KB, Observed(store))}
    assert ("coredns-forward-loop", node) in found
    # With pods in the evidence the sign is theirs to show: the node is not a subject of its own.
    pod = Entity.pod("web-1", "default", "n1")
    store.add(Fact("pod.phase", pod, "Running", ev("Status:  Running")))
    found = {(h.fm.id, h.subject) for h in hypotheses(KB, Observed(store))}
    assert ("coredns-forward-loop", node) not in found
    assert ("coredns-forward-loop", pod) not in found


def test_log_hits_become_hypotheses_on_the_subject_node() -> None:
    store = FactStore()
    kubelet = Entity.component("kubelet", "n1")
    hit = SymptomHit("node-pid-exhaustion", "go-newosproc", kubelet)
    hit.add(ev("runtime: failed to create new OS thread (have 5 already; errno=11)"), {})
    (h,) = [h for h in hypotheses(KB, Observed(store, [hit])) if h.fm.id == "node-pid-exhaustion"]
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
    assert any("fixed in 1.27.0, you run v1.11.2" in n for n in notes["v1.11.2"][1])
    assert notes["v1.28.3"][0] == 0.5
    assert any("already has the fix (fixed in 1.27.0)" in n for n in notes["v1.28.3"][1])


def test_a_bug_known_in_every_release_is_a_note_not_a_sign() -> None:
    # unregister-netdevice-hang's kernel bug names no affected range: any kernel version matches,
    # so the version tells nothing about this node and must not add to the hypothesis.
    fm = KB.get("unregister-netdevice-hang")
    (bug,) = fm.known_bugs
    assert bug.match is None and bug.affected_from is None and bug.fixed_in is None
    node = Entity.for_node("n1")
    store = FactStore()
    store.add(Fact("kernel.release", node, "5.15.0-91-generic", ev("Linux 5.15.0-91")))
    h = Hypothesis(fm, node)
    assert apply_known_bugs(h, store) == 1.0
    assert "known-bug:kernel" not in h.matched
    assert any("no fixed release known, you run 5.15.0-91-generic" in n for n in h.version_notes)


# --- indexed evaluation == evaluating every candidate ------------------------------------------

KINDS = ["node", "pod", "container", "component", "cgroup"]
NODES = ["n1", "n2", "n3"]


def _constants(cond: Condition) -> list[Value]:
    found: list[Value] = []
    for part in ast.walk(cond.tree):
        if isinstance(part, ast.Constant) and isinstance(part.value, int | float | str):
            found.append(part.value)
    return found


class RandomStore:
    """A store filled at random, with its own record of what every view must be."""

    def __init__(self, rng: random.Random, names: list[str], values: list[Value]) -> None:
        self.store = FactStore()
        self.last: dict[tuple[object, ...], dict[str, Value]] = {}
        for _ in range(rng.randint(5, 120)):
            kind = rng.choice([*KINDS, "cluster"])
            node = rng.choice([*NODES, None])
            if kind == "cluster":
                entity = Entity.cluster()
            elif kind == "node":
                entity = Entity.for_node(rng.choice(NODES))
            else:
                name = f"{kind}-{rng.randint(0, 15)}"
                entity = Entity(kind, name, "ns" if kind in ("pod", "container") else None, node)
            if rng.random() < 0.3:
                self.store.add_entity(entity)
                continue
            name = rng.choice(names)
            value = rng.choice(values)
            self.store.add(Fact(name, entity, value, ev(f"{name}={value}")))
            key = (entity.kind, entity.namespace, entity.name, entity.pid)
            self.last.setdefault(key, {})[name] = value

    def own(self, entity: Entity) -> dict[str, Value]:
        return dict(self.last.get((entity.kind, entity.namespace, entity.name, entity.pid), {}))

    def view(self, entity: Entity) -> dict[str, Value]:
        entity = self.store.canonical(entity)
        merged = self.own(Entity.cluster())
        if entity.kind != "node" and entity.node:
            merged.update(self.own(Entity.for_node(entity.node)))
        merged.update(self.own(entity))
        return merged

    def brute_force(self, cond: Condition, scope: Scope) -> set[Entity]:
        candidates = (
            [Entity.cluster()] if scope == Scope.CLUSTER else self.store.entities(scope.value)
        )
        return {e for e in candidates if cond.evaluate(self.view(e))}


RANDOM_CONDITIONS = [
    "a >= 2",
    "absent(a)",
    "has(b) and not has(c)",
    "absent(a) and absent(b)",
    "a > 1 or absent(c)",
    "not (b == 'x')",
    "a + b >= 3 or c in ('x', 'y')",
    "absent(a) or a < 2",
    "not a",
    # True, 1 and 1.0 are equal values but not the same text.
    "matches(a, 'True') or matches(b, '^1$')",
]


def test_indexed_conditions_match_brute_force_on_random_stores() -> None:
    rng = random.Random(20240611)
    conditions = [Condition.parse(c) for c in RANDOM_CONDITIONS]
    for _ in range(300):
        model = RandomStore(rng, ["a", "b", "c", "d"], [0, 1, 2, 3, 1.0, "x", "y", True, False])
        for cond in conditions:
            for scope in Scope:
                expected = model.brute_force(cond, scope)
                assert subjects_where(cond, scope, model.store) == expected, (cond.source, scope)


def test_knowledge_base_conditions_match_brute_force() -> None:
    conditions = {(fm.scope, KB.condition(s.when)) for fm in KB for s in fm.facts}
    names = sorted({n for _, c in conditions for n in c.names})
    values: list[Value] = [0, 1, True, False]
    for _, cond in conditions:
        for constant in _constants(cond):
            values.append(constant)
            if isinstance(constant, int | float) and not isinstance(constant, bool):
                values.extend([constant + 1, constant - 1, constant * 2])
    rng = random.Random(7)
    for _ in range(60):
        model = RandomStore(rng, names, values)
        for scope, cond in conditions:
            assert subjects_where(cond, scope, model.store) == model.brute_force(cond, scope)


def _summary(hyps: list[Hypothesis]) -> list[tuple[object, ...]]:
    return [
        (h.fm.id, h.subject, sorted(h.matched), h.confidence, [e.text for e in h.evidence()])
        for h in hyps
    ]


def _brute_force_hypotheses(
    store: FactStore, view: Callable[[Entity], dict[str, Value]]
) -> list[Hypothesis]:
    """The hypotheses of facts and checks, every candidate visited (no log hits)."""
    found: dict[tuple[str, Entity], Hypothesis] = {}
    for fm in KB:
        candidates = [Entity.cluster()] if fm.scope == Scope.CLUSTER else store.entities(fm.scope)
        for subject in candidates:
            for symptom in fm.facts:
                if symptom.refutes:
                    continue
                cond = KB.condition(symptom.when)
                if cond.evaluate(view(subject)):
                    h = found.setdefault((fm.id, subject), Hypothesis(fm, subject))
                    evidence = store.evidence(subject, with_sources(sorted(cond.names)))
                    h.add(Matched(symptom.id, symptom.weight, symptom.supporting, evidence))
            for chk in fm.checks:
                evidence = CHECKS[chk.check](Observed(store), subject)
                if evidence:
                    h = found.setdefault((fm.id, subject), Hypothesis(fm, subject))
                    h.add(Matched(chk.id, chk.weight, chk.supporting, evidence, len(evidence)))
    # refuting signs lower what other signs raised, on each hypothesis's own subject
    for h in found.values():
        for symptom in h.fm.facts:
            cond = KB.condition(symptom.when)
            if symptom.refutes and cond.evaluate(view(h.subject)):
                evidence = store.evidence(h.subject, with_sources(sorted(cond.names)))
                h.add(Matched(symptom.id, symptom.weight, False, evidence, refutes=True))
    active = []
    for h in found.values():
        factor = apply_known_bugs(h, store)
        h.confidence = round(min(confidence_of(h), 0.99) * factor, 3)
        # Supporting facts alone are context, never a lead (no log line says anything happened).
        primary = any(not m.supporting and not m.refutes for m in h.matched.values())
        if primary and h.confidence >= LEAD_FLOOR:
            active.append(h)  # findings and leads alike
    return active


def test_hypotheses_equal_brute_force_on_random_stores() -> None:
    names = sorted({n for fm in KB for s in fm.facts for n in KB.condition(s.when).names})
    values: list[Value] = [0, 1, True, False]
    for fm in KB:
        for s in fm.facts:
            for constant in _constants(KB.condition(s.when)):
                values.append(constant)
                if isinstance(constant, int | float) and not isinstance(constant, bool):
                    values.extend([constant + 1, constant * 2])
    rng = random.Random(11)
    compared = 0
    for _ in range(40):
        model = RandomStore(rng, names, values)
        expected = _summary(_brute_force_hypotheses(model.store, model.view))
        assert _summary(hypotheses(KB, Observed(model.store))) == expected
        compared += len(expected)
    assert compared > 20  # the random stores did produce findings


def test_a_listening_stub_is_a_lead_unless_a_resolv_conf_shows_no_loopback_server() -> None:
    node = Entity.for_node("n1")

    def found(*facts: tuple[str, Value]) -> set[str]:
        store = FactStore()
        rows = "udp   UNCONN 0  0   127.0.0.53%lo:53   0.0.0.0:*"
        store.add(Fact("node.dns_stub_listening", node, "127.0.0.53", ev(rows)))
        for name, value in facts:
            store.add(Fact(name, node, value, ev("nameserver 10.0.0.2")))
        return {h.fm.id for h in hypotheses(KB, Observed(store))}

    assert "host-loopback-stub-resolver" in found()
    assert "host-loopback-stub-resolver" not in found(("node.resolv_conf.nameserver_count", 1))
    upstream = found(("node.kubelet_resolv_conf.nameserver_count", 2))
    assert "host-loopback-stub-resolver" not in upstream


def test_a_line_that_names_no_pod_joins_the_one_pod_named_with_the_same_failure(
    tmp_path: Path,
) -> None:
    # A describe fragment without the pod's name (as pasted) and the pod listing that names it:
    # one fault, one finding, about the pod.
    (tmp_path / "get-pods.txt").write_text(
        "NAME                        READY   STATUS      RESTARTS      AGE\n"
        "billing-api-6d9f7c7b5-x2x4l   0/1     OOMKilled   4 (57s ago)   2m4s\n"
    )
    (tmp_path / "describe-pod.txt").write_text(
        "    Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137\n"
    )
    paths = [tmp_path / "get-pods.txt", tmp_path / "describe-pod.txt"]
    found = [
        h
        for h in hypotheses(KB, observe(Request(paths=paths), KB).seen)
        if h.fm.id == "container-oomkilled"
    ]
    assert [h.subject.name for h in found] == ["billing-api-6d9f7c7b5-x2x4l"]
    assert {ev.source.rsplit("/", 1)[-1] for ev in found[0].evidence()} == {
        "get-pods.txt",
        "describe-pod.txt",
    }
    # The fragment named no place: it does not make the pod's node the evidence's centre.
    assert found[0].unplaced_sources == {str(tmp_path / "describe-pod.txt")}


def test_an_etcd_certificate_checked_against_another_members_name_is_the_clients_fault(
    tmp_path: Path,
) -> None:
    # public: jhunt/k8s-boshrelease#24: each member's certificate names its own address; the
    # API server's etcd client checked it against the first endpoint's.
    wrong_name = (
        "W1111 19:32:12.443121    3194 clientconn.go:1120] grpc: addrConn.createTransport failed"
        " to connect to {https://10.128.4.18:2379 0  <nil>}. Err :connection error: desc ="
        ' "transport: authentication handshake failed: x509: certificate is valid for 127.0.0.1,'
        ' 10.128.4.18, not 10.128.4.17". Reconnecting...\n'
    )
    # The same line where the certificate does not name the member dialled: a certificate that
    # lacks the name (a SAN mismatch), not the client.
    missing_name = wrong_name.replace("10.128.4.18, not", "10.128.4.99, not")

    def modes(text: str) -> set[str]:
        (tmp_path / "kube-apiserver.log").write_text(text)
        seen = observe(Request(paths=[tmp_path / "kube-apiserver.log"]), KB).seen
        return {h.fm.id for h in hypotheses(KB, seen) if h.tier != "lead"}

    found = modes(wrong_name)
    assert "apiserver-etcd-client-balancer-servername-bug" in found
    assert "apiserver-cert-san-mismatch" not in found
    found = modes(missing_name)
    assert "apiserver-etcd-client-balancer-servername-bug" not in found
    assert "apiserver-cert-san-mismatch" in found


def test_probes_of_one_address_compared(tmp_path: Path) -> None:
    # Sessions in the shape of public ones (squat/kilo#289; zhangguanzhang's VXLAN write-up),
    # written for this test: ping answered, then TCP to the same address with three endings.
    ping = (
        "root@n1:~# ping -c 1 10.4.0.1\n"
        "PING 10.4.0.1 (10.4.0.1) 56(84) bytes of data.\n"
        "64 bytes from 10.4.0.1: icmp_seq=1 ttl=64 time=0.5 ms\n"
    )

    def leads(session: str) -> dict[str, str]:
        (tmp_path / "terminal.txt").write_text(ping + session)
        seen = observe(Request(paths=[tmp_path / "terminal.txt"]), KB).seen
        return {h.fm.id: h.tier for h in hypotheses(KB, seen)}

    silent = leads("root@n1:~# curl 10.4.0.1:2380\n^C\n")
    assert silent.get("vxlan-checksum-offload-drop") == "lead"
    assert "pod-network-mtu-mismatch" not in silent
    stalled = leads(
        "root@n1:~# telnet 10.4.0.1 10250\nTrying 10.4.0.1...\nConnected to 10.4.0.1.\n"
        "root@n1:~# curl -k https://10.4.0.1:10250\n^C\n"
    )
    assert stalled.get("pod-network-mtu-mismatch") == "lead"
    assert "vxlan-checksum-offload-drop" not in stalled
    rejected = leads(
        "root@n1:~# nc -zv 10.4.0.1 10250\n"
        "nc: connect to 10.4.0.1 port 10250 (tcp) failed: No route to host\n"
    )
    assert rejected.get("host-firewall-blocks-pod-traffic") in ("probable", "confirmed")
    # ping lost too: a host that is down or unrouted, none of the three
    (tmp_path / "terminal.txt").write_text(
        "root@n1:~# ping -c 1 10.4.0.1\nPING 10.4.0.1 (10.4.0.1) 56(84) bytes of data.\n"
        "1 packets transmitted, 0 received, 100% packet loss, time 0ms\n"
        "root@n1:~# curl 10.4.0.1:2380\n^C\n"
    )
    seen = observe(Request(paths=[tmp_path / "terminal.txt"]), KB).seen
    found = {h.fm.id for h in hypotheses(KB, seen)}
    assert not found & {"vxlan-checksum-offload-drop", "host-firewall-blocks-pod-traffic"}


def test_a_stop_that_waits_for_an_exit_already_delivered_is_the_runtime_hung(
    tmp_path: Path,
) -> None:
    # public: containerd/containerd#2744 (containerd 1.1.4): the TaskExit of the container was
    # handled, and its stop still waited out its timeout.
    cid = "99a97d5c709457dfd4b281869e7c40b15dcc6d86617628210b90c5054c9b6c33"
    exited = (
        f"INFO[2018-12-03T21:09:13.541933086Z] TaskExit event &TaskExit{{ContainerID:{cid},"
        f"ID:{cid},Pid:3602,ExitStatus:143,ExitedAt:2018-12-03 21:09:13.487617708 +0000 UTC,}}\n"
    )
    waited = "".join(
        f"ERRO[2018-12-03T21:09:{s}.488485051Z] An error occurs during waiting for container"
        f' "{cid}" to be {how}  error="wait container \\"{cid}\\" stop timeout"\n'
        for s, how in (("23", "stopped"), ("53", "killed"))
    )

    def top(text: str) -> str:
        (tmp_path / "containerd.log").write_text(text)
        seen = observe(Request(paths=[tmp_path / "containerd.log"]), KB).seen
        found = sorted(hypotheses(KB, seen), key=lambda h: -h.confidence)
        return found[0].fm.id

    assert top(waited) == "runtime-task-exit-event-lost"
    assert top(exited + waited) == "container-runtime-hung"
    # another container's exit says nothing of this one's
    assert top(exited.replace(cid, "f" * 64) + waited) == "runtime-task-exit-event-lost"
