"""``kubectl top`` tables read by the command that printed them.

The pod listing is real output pasted in cert-manager/cert-manager#3748 (a kind cluster with 90k
secrets); the node listings are built from kubectl's top printers (k8s.io/kubectl
pkg/metricsutil): ``CPU%``/``MEMORY%`` before 1.27, ``CPU(%)``/``MEMORY(%)`` after.
"""

from __future__ import annotations

from kubewhy.model.entities import Entity
from kubewhy.parsers.base import Context
from kubewhy.parsers.commands import facts_of

CERT_MANAGER_3748 = """\
NAMESPACE     NAME                                        CPU(cores)  MEMORY(bytes)
cert-manager  cert-manager-66b6d6bf59-jnjhg               1m          5207Mi
cert-manager  cert-manager-cainjector-856d4df858-k25kc    2m          2645Mi
kube-system   etcd-bomb-control-plane                     13m         717Mi
kube-system   kube-apiserver-bomb-control-plane           35m         8391Mi
"""


def _out(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), 2))


def _facts(command: str, text: str) -> dict[tuple[str, Entity], object]:
    facts = facts_of(command, _out(text), Context("terminal.txt"))
    assert facts is not None, command
    return {(f.name, f.entity): f.value for f in facts}


def test_pod_rows_give_each_pod_its_working_set_and_cpu() -> None:
    facts = _facts("kubectl top pod -A", CERT_MANAGER_3748)
    apiserver = Entity.pod("kube-apiserver-bomb-control-plane", "kube-system")
    assert facts[("pod.memory.working_set_bytes", apiserver)] == 8391 * 2**20
    assert facts[("pod.cpu.millicores", apiserver)] == 35
    assert len(facts) == 8


def test_a_namespace_option_places_rows_without_a_namespace_column() -> None:
    text = (
        "NAME                       CPU(cores)   MEMORY(bytes)\n"
        "coredns-5d78c9869d-x2k8q   3m           21Mi\n"
    )
    facts = _facts("kubectl -n kube-system top pods", text)
    pod = Entity.pod("coredns-5d78c9869d-x2k8q", "kube-system")
    assert facts[("pod.memory.working_set_bytes", pod)] == 21 * 2**20


def test_node_rows_in_both_header_styles() -> None:
    old = (
        "NAME     CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%\n"
        "node-1   1830m        91%    7412Mi          97%\n"
    )
    new = (
        "NAME     CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)\n"
        "node-1   2           50%      7012Mi          102%\n"
    )
    node = Entity.for_node("node-1")
    assert _facts("kubectl top node", old)[("node.memory.working_set_percent", node)] == 97
    facts = _facts("kubectl top nodes", new)
    assert facts[("node.memory.working_set_percent", node)] == 102
    assert facts[("node.cpu.used_percent", node)] == 50


def test_container_rows_and_cut_rows_give_nothing() -> None:
    containers = (
        "POD       NAME   CPU(cores)   MEMORY(bytes)\nweb-1     app    5m           120Mi\n"
    )
    assert _facts("kubectl top pod --containers", containers) == {}
    cut = "NAME     CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%\nnode-1   1830m        91%\n"
    assert _facts("kubectl top node", cut) == {}


def test_a_counted_listing_is_not_read_as_a_table() -> None:
    facts = facts_of("kubectl top pod -A | wc -l", _out("42\n"), Context("terminal.txt"))
    assert not any(f.name.startswith("pod.") for f in facts or [])
