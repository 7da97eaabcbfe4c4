"""Totals derived in the store: pod counts across every pods listing, the worst instance of a
component, node counts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from kubewhy.facts.derive import derive_facts
from kubewhy.facts.nodes import NodeNames
from kubewhy.facts.store import FactStore
from kubewhy.kb.load import default_knowledge_base
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, ParseResult
from kubewhy.parsers.objects import ObjectsFormat
from kubewhy.parsers.sysctl import fact_name
from kubewhy.pipeline import Request, observe

DATA = Path(__file__).parents[1] / "parsers" / "data"
FORMAT = ObjectsFormat()


def _store(*results: ParseResult) -> FactStore:
    """What the pipeline does with parse results, without its log scanning."""
    store, nodes = FactStore(), NodeNames()
    for result in results:
        nodes.observe_entities(result.entities)
        nodes.observe_entities(f.entity for f in result.facts)
    for result in results:
        store.extend(result.facts)
        for entity in result.entities:
            store.add_entity(entity)
    derive_facts(store, nodes)
    return store


def _parse(obj: object, source: str, namespace: str | None = None) -> ParseResult:
    return FORMAT.parse(json.dumps(obj), Context(source, namespace=namespace))


def _pod(name: str, node: str, phase: str = "Running", **status: Any) -> dict[str, Any]:
    running = {"name": "app", "ready": True, "restartCount": 0, "state": {"running": {}}}
    return {
        "metadata": {"name": name},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "app:1"}]},
        "status": {"phase": phase, "containerStatuses": [running], **status},
    }


def _pod_list(*pods: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PodList", "apiVersion": "v1", "items": list(pods)}


def _value(store: FactStore, entity: Entity, name: str) -> object:
    return store.value(entity, name)


def test_pods_of_two_namespace_files_on_one_node_add_up() -> None:
    creating = {"name": "app", "ready": False, "restartCount": 0}
    creating["state"] = {"waiting": {"reason": "ContainerCreating"}}
    team_a = _pod_list(
        _pod("web-1", "n1"),
        _pod("web-2", "n1"),
        _pod("web-3", "n1", "Pending", containerStatuses=[creating]),
        _pod("db-1", "n2"),
    )
    team_b = _pod_list(
        _pod("api-1", "n1"),
        _pod("api-2", "n1", "Pending", containerStatuses=[creating]),
        _pod("api-3", "n1", "Pending"),  # Pending with its container running: stale status
    )
    store = _store(
        _parse(team_a, "team-a/pods.json", "team-a"), _parse(team_b, "team-b/pods.json", "team-b")
    )
    n1, n2 = Entity.for_node("n1"), Entity.for_node("n2")
    assert _value(store, n1, "node.pods.count") == 6
    assert _value(store, n2, "node.pods.count") == 1
    assert _value(store, n1, "node.pods.pending") == 3
    assert _value(store, n1, "node.pods.waiting_container_creating") == 2
    assert _value(store, n1, "node.pods.pending_with_running_containers") == 1
    assert _value(store, n2, "node.pods.pending") == 0
    assert _value(store, Entity.cluster(), "cluster.pods.count") == 7
    # One count per node, whatever the number of files: no "last file wins".
    assert len(store.facts(n1, "node.pods.count")) == 1
    count = store.fact(n1, "node.pods.count")
    assert count is not None and count.evidence is not None
    assert "count=6" in count.evidence.text


def test_pod_list_counts() -> None:
    result = FORMAT.parse((DATA / "pods_list.json").read_text(), Context("pods_list.json"))
    store = _store(result)
    node_a, master = Entity.for_node("node-a"), Entity.for_node("master-1")
    assert _value(store, Entity.cluster(), "cluster.pods.count") == 8
    assert _value(store, node_a, "node.pods.count") == 5
    assert _value(store, master, "node.pods.count") == 2
    assert _value(store, node_a, "node.pods.pending") == 2
    assert _value(store, node_a, "node.pods.pending_with_running_containers") == 1
    assert _value(store, node_a, "node.pods.waiting_container_creating") == 2
    assert _value(store, node_a, "node.coredns_pods") == 2
    assert _value(store, master, "node.coredns_pods") == 0


def test_a_count_from_describe_node_is_kept() -> None:
    store = FactStore()
    node = Entity.for_node("n1")
    store.add(Fact("node.pods.count", node, 4, Evidence("describe.txt", 9, None, "(4 in total)")))
    result = _parse(_pod_list(_pod("web-1", "n1")), "pods.json", "prod")
    store.extend(result.facts)
    derive_facts(store, NodeNames())
    assert store.value(node, "node.pods.count") == 4


def _apiserver(master: str, oom: bool, restarts: int) -> dict[str, Any]:
    last = {"terminated": {"reason": "OOMKilled" if oom else "Error", "exitCode": 137}}
    return {
        "metadata": {
            "name": f"kube-apiserver-{master}",
            "namespace": "kube-system",
            "labels": {"component": "kube-apiserver"},
        },
        "spec": {"nodeName": master, "containers": [{"name": "kube-apiserver"}]},
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "kube-apiserver",
                    "ready": True,
                    "restartCount": restarts,
                    "state": {"running": {}},
                    "lastState": last if restarts else {},
                }
            ],
        },
    }


def test_an_oom_killed_apiserver_on_any_master_is_seen() -> None:
    pods = _pod_list(
        _apiserver("master-1", False, 0),
        _apiserver("master-2", True, 7),
        _apiserver("master-3", False, 2),
    )
    store = _store(_parse(pods, "kube-system/pods.json", "kube-system"))
    (component,) = store.entities("component")
    assert store.value(component, "component.oom_killed") is True
    assert store.value(component, "component.restarts") == 7
    fact = store.fact(component, "component.oom_killed")
    assert fact is not None and fact.evidence is not None
    assert "kube-apiserver-master-2" in fact.evidence.text
    # The same pods with no OOM kill at all: still False.
    calm = _pod_list(_apiserver("master-1", False, 0), _apiserver("master-2", False, 1))
    store = _store(_parse(calm, "kube-system/pods.json", "kube-system"))
    (component,) = store.entities("component")
    assert store.value(component, "component.oom_killed") is False
    assert store.value(component, "component.restarts") == 1


def test_nodes_are_counted_once_across_sources() -> None:
    dump = (DATA / "cluster_info_dump_stdout.txt").read_text()
    node = (DATA / "node_kube_worker_1.yaml").read_text()
    store = _store(
        FORMAT.parse(dump, Context("dump.txt")),
        FORMAT.parse(node, Context("node.yaml")),
        FORMAT.parse(node, Context("node-again.yaml")),
    )
    assert _value(store, Entity.cluster(), "cluster.nodes.count") == 3


def test_a_dump_with_one_pods_file_per_namespace(tmp_path: Path) -> None:
    """Through the whole pipeline: the real layout of ``kubectl cluster-info dump``."""
    (tmp_path / "nodes.json").write_text(
        json.dumps(
            {"kind": "NodeList", "apiVersion": "v1", "items": [{"metadata": {"name": "n1"}}]}
        )
    )
    for namespace, names in (("team-a", ["a-1", "a-2", "a-3"]), ("team-b", ["b-1", "b-2"])):
        (tmp_path / namespace).mkdir()
        pods = _pod_list(*(_pod(name, "n1") for name in names))
        (tmp_path / namespace / "pods.json").write_text(json.dumps(pods))
    store = observe(Request(paths=(tmp_path,)), default_knowledge_base()).facts.store
    assert store.value(Entity.for_node("n1"), "node.pods.count") == 5
    assert store.value(Entity.cluster(), "cluster.pods.count") == 5
    assert len(store.entities("pod")) == 5


def test_reboots_counted_by_several_files_keep_the_largest() -> None:
    from kubewhy.facts.derive import derive_facts
    from kubewhy.facts.nodes import NodeNames
    from kubewhy.facts.store import FactStore
    from kubewhy.model.entities import Entity
    from kubewhy.model.evidence import Evidence
    from kubewhy.model.facts import Fact

    store = FactStore()
    node = Entity.for_node("n1")
    store.add(Fact("node.reboots", node, 3, Evidence("kube-system/events.json", None, None, "3")))
    store.add(Fact("node.reboots", node, 1, Evidence("default/events.json", None, None, "1")))
    names = NodeNames()
    names.add("n1")
    derive_facts(store, names)
    assert store.value(node, "node.reboots") == 3


def _rp_filter(*values: tuple[str, int]) -> FactStore:
    """A node's rp_filter settings as ``sysctl -a`` lists them, then derived."""
    store, names = FactStore(), NodeNames()
    node = Entity.for_node("n1")
    names.add("n1")
    for interface, value in values:
        key = f"net.ipv4.conf.{interface}.rp_filter"
        line = f"{key} = {value}"
        store.add(Fact(fact_name(key), node, value, Evidence("sysctl.txt", None, None, line)))
    derive_facts(store, names)
    return store


def test_rp_filter_is_the_larger_of_all_and_the_interface() -> None:
    node = Entity.for_node("n1")
    # all = 1: every interface is strict unless it says loose (flannel/1 is flannel.1's key).
    store = _rp_filter(("all", 1), ("eth0", 0), ("flannel/1", 0), ("cni0", 2), ("lo", 0))
    assert store.value(node, "node.rp_filter.strict") is True
    assert store.value(node, "node.rp_filter.strict_interfaces") == "eth0,flannel.1"
    fact = store.fact(node, "node.rp_filter.strict")
    assert fact is not None and fact.evidence is not None
    assert fact.evidence.text == "net.ipv4.conf.all.rp_filter = 1"
    # all = 0: only the interfaces set to 1 are strict, cited by their own line.
    store = _rp_filter(("all", 0), ("eth0", 1), ("eth1", 0))
    assert store.value(node, "node.rp_filter.strict_interfaces") == "eth0"
    fact = store.fact(node, "node.rp_filter.strict")
    assert fact is not None and fact.evidence is not None
    assert fact.evidence.text == "net.ipv4.conf.eth0.rp_filter = 1"
    # loose everywhere, or only all known and it is strict
    assert _rp_filter(("all", 2), ("eth0", 1)).value(node, "node.rp_filter.strict") is False
    strict_all = _rp_filter(("all", 1))
    assert strict_all.value(node, "node.rp_filter.strict_interfaces") == "all"
    # without conf.all nothing is known
    assert _rp_filter(("eth0", 1)).fact(node, "node.rp_filter.strict") is None


def test_a_node_agents_memory_from_a_real_process_listing(tmp_path: Path) -> None:
    # A real process whose program is named kubelet (a copy of sleep), listed by a real
    # `ps aux` under a prompt naming the node: its RSS becomes the kubelet component's there.
    program = tmp_path / "kubelet"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    agent = subprocess.Popen([str(program), "60"])
    try:
        time.sleep(0.2)
        # A wide terminal, as people paste from: ps cuts command lines at COLUMNS.
        wide = {**os.environ, "COLUMNS": "4096"}
        listing = subprocess.run(
            ["ps", "aux"], capture_output=True, text=True, check=True, timeout=30, env=wide
        ).stdout
    finally:
        agent.kill()
        agent.wait(timeout=10)
    row = next(line for line in listing.splitlines() if f" {agent.pid} " in f" {line} ")
    rss_kib = int(row.split()[5])
    (tmp_path / "terminal.txt").write_text(f"root@node-7:~# ps aux\n{listing}")
    store = observe(
        Request(paths=(tmp_path / "terminal.txt",)), default_knowledge_base()
    ).seen.store
    kubelet = store.canonical(Entity.component("kubelet", "node-7"))
    assert store.value(kubelet, "component.rss_bytes") == rss_kib * 1024
