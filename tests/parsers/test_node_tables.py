"""kubectl get nodes: each row a node with its Ready condition, kubelet version and, with
``-o wide``, its address, OS image, kernel and runtime. Tables marked "public" are as posted in
the thread named."""

from __future__ import annotations

from kubewhy.parsers.base import Context
from kubewhy.parsers.registry import detect
from kubewhy.parsers.tables import TABLES

# public: jonlangemak/ansible_kubernetes#6 (kubectl 1.7: no ROLES column)
OLD_LAYOUT = """\
NAME      STATUS     AGE       VERSION
k8s-2     NotReady   5d        v1.7.0
k8s-3     NotReady   5d        v1.7.0
"""
# public: projectcalico/calico#7727 (-o wide; OS-IMAGE holds spaces)
WIDE = """\
NAME    STATUS   ROLES           AGE   VERSION    INTERNAL-IP     EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION      CONTAINER-RUNTIME
node1   Ready    control-plane   80m   v1.25.11   192.168.72.40   <none>        Ubuntu 22.04.2 LTS   5.15.0-76-generic   containerd://1.6.23
"""  # noqa: E501
# built in kubectl's layout: a cordoned node, a node whose status was never posted, a row that
# lost its status
CORDONED = """\
NAME     STATUS                     ROLES    AGE   VERSION
w-1      Ready,SchedulingDisabled   <none>   12d   v1.29.4
w-2      Unknown                    <none>   12d   v1.29.4
w-3
"""


def _facts(text: str) -> dict[tuple[str, str], object]:
    result = TABLES.parse(text, Context("get-nodes.txt"))
    return {(f.entity.name, f.name): f.value for f in result.facts}


def test_the_old_layout_gives_each_node_not_ready() -> None:
    facts = _facts(OLD_LAYOUT)
    assert facts[("k8s-2", "node.condition.Ready")] == "False"
    assert facts[("k8s-3", "node.ready")] is False
    assert facts[("k8s-2", "node.kubelet_version")] == "v1.7.0"


def test_wide_rows_give_the_node_facts_a_describe_gives() -> None:
    facts = _facts(WIDE)
    assert facts[("node1", "node.ready")] is True
    assert facts[("node1", "node.address")] == "192.168.72.40"
    assert facts[("node1", "os.pretty_name")] == "Ubuntu 22.04.2 LTS"
    assert facts[("node1", "kernel.release")] == "5.15.0-76-generic"
    assert facts[("node1", "node.container_runtime")] == "containerd://1.6.23"


def test_a_cordoned_node_keeps_its_readiness_and_a_broken_row_is_counted() -> None:
    result = TABLES.parse(CORDONED, Context("get-nodes.txt"))
    facts = {(f.entity.name, f.name): f.value for f in result.facts}
    assert facts[("w-1", "node.condition.Ready")] == "True"
    assert facts[("w-2", "node.condition.Ready")] == "Unknown"
    assert not any(name == "w-3" for name, _ in facts)
    assert result.malformed == 1


def test_node_tables_are_detected_and_namespace_lists_are_not() -> None:
    assert detect(OLD_LAYOUT.splitlines()).name == "table"
    assert detect(WIDE.splitlines()).name == "table"
    namespaces = ["NAME              STATUS   AGE", "kube-system       Active   3d"]
    assert detect(namespaces).name != "table"
