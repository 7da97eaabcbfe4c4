"""The kernel's reports as facts and as evidence of findings: the node's memory at an OOM, the
cgroup over its limit and whose it is, the biggest tasks and the victim, stuck tasks and what
their stacks wait in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubewhy.facts.catalog import is_catalogued
from kubewhy.kb.load import default_knowledge_base
from kubewhy.model.diagnosis import Diagnosis, Finding
from kubewhy.model.entities import Entity
from kubewhy.pipeline import Request, diagnose, observe

DATA = Path(__file__).parents[1] / "data" / "kernel"


def _folder(tmp_path: Path, *names: str) -> Path:
    for name in names:
        shutil.copy(DATA / name, tmp_path / name.replace("kernel_", "").replace(".txt", ".log"))
    return tmp_path


def _findings(diagnosis: Diagnosis, mode: str) -> list[Finding]:
    return [f for f in diagnosis.findings if f.failure_mode == mode]


def test_a_node_wide_oom_report_as_facts(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "kernel_global_oom_journal.txt")
    store = observe(Request(paths=(folder,)), default_knowledge_base()).facts.store
    node = Entity.for_node("worker-7")
    for entity in store.entities():
        for name in store.own(entity):
            assert is_catalogued(name), name
    ratio = store.fact(node, "node.memory_report.file_to_anon_ratio")
    assert ratio is not None and ratio.value == pytest.approx(
        (1193 + 1766) / (3769154 + 82761), abs=1e-6
    )
    assert ratio.evidence is not None and ratio.evidence.line == 16
    assert ratio.evidence.time is not None and ratio.evidence.time.month == 3
    free = store.value(node, "node.memory_report.free_to_min_ratio")
    assert free == pytest.approx((13312 + 61148 + 57128) / (128 + 25528 + 110548), abs=1e-6)
    assert store.value(node, "node.swap.total_bytes") == 0
    assert store.value(node, "node.oom.global_kills") == 1
    assert store.value(node, "kernel.release") == "5.15.0-1051-aws"
    java = Entity.process(48211, "java", "worker-7")
    assert store.value(java, "process.oom_killed") is True
    assert store.value(java, "process.rss_bytes") == 14444836 * 1024
    # a table row: rss in pages of 4 kB (the victim's total-vm over its row's pages)
    assert store.value(Entity.process(51032, "node", "worker-7"), "process.rss_bytes") == (
        180211 * 4096
    )


def test_a_node_wide_oom_names_the_biggest_task_and_the_thrashing(tmp_path: Path) -> None:
    diagnosis = diagnose(Request(paths=(_folder(tmp_path, "kernel_global_oom_journal.txt"),)))
    assert diagnosis.findings[0].failure_mode == "node-oom-kill"
    top = diagnosis.findings[0]
    assert top.culprit is not None and top.culprit.name == "java" and top.culprit.pid == 48211
    hang = _findings(diagnosis, "memory-pressure-node-hang")
    assert hang and hang[0].entity.name == "worker-7"
    assert hang[0].culprit is not None and hang[0].culprit.name == "java"
    texts = [e.text for e in hang[0].evidence]
    assert any("page cache" in t and "active_file:1193" in t for t in texts), texts


def test_a_pod_memcg_oom_names_the_pod_and_the_container(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "kernel_memcg_oom_kubepods_4_14.txt")
    store = observe(Request(paths=(folder,)), default_knowledge_base()).facts.store
    path = (
        "/kubepods/burstable/pod0330b2c1-a15b-4cdd-b5e5-72d4a90bee82/"
        "b27201334a41cd0749d053b18378d7ea65617b8e26277197ea25c974da1a5a8a"
    )
    [cgroup] = [e for e in store.entities("cgroup") if e.name == path]
    assert store.value(cgroup, "cgroup.pod_uid") == "0330b2c1-a15b-4cdd-b5e5-72d4a90bee82"
    assert str(store.value(cgroup, "cgroup.container_id")).startswith("b27201334a41")
    assert store.value(cgroup, "cgroup.oom_scope") == "container"
    assert store.value(cgroup, "cgroup.memory.limit_bytes") == 1 << 30
    assert store.value(cgroup, "cgroup.memory.oom_reports") == 1
    diagnosis = diagnose(Request(paths=(folder,)))
    assert diagnosis.findings[0].failure_mode == "container-oomkilled"
    assert not [f for f in _findings(diagnosis, "node-oom-kill") if f.tier == "confirmed"]


def test_a_memcg_oom_outside_containers_is_the_nodes_not_a_containers(tmp_path: Path) -> None:
    """A real report of a cgroup that is neither a pod's nor a container's: the OOM kill is a
    memory cgroup's on the node, and the container reading of its victim line is refuted."""
    folder = _folder(tmp_path, "kernel_memcg_oom_6_18.txt")
    diagnosis = diagnose(Request(paths=(folder,)))
    top = diagnosis.findings[0]
    assert top.failure_mode == "node-oom-kill" and top.tier == "confirmed"
    assert top.entity.kind == "cgroup" and top.entity.name == "/kwtest-memory-c11430bd"
    assert top.culprit is not None and top.culprit.name == "kwcap-hog"
    # what stays is a lead of the ambiguous usage line, no finding
    assert all(f.tier == "lead" for f in _findings(diagnosis, "container-oomkilled"))


def test_stuck_tasks_say_what_they_wait_on(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "kernel_stalls.txt")
    store = observe(Request(paths=(folder,)), default_knowledge_base()).facts.store
    [node] = store.entities("node")
    assert store.value(node, "node.stalls.blocked") == 3
    assert store.value(node, "node.stalls.lockups") == 1
    assert store.value(node, "node.stalls.netns") == 2
    assert store.value(node, "node.stalls.journal") == 1
    assert store.value(node, "node.stalls.memcg") == 1
    diagnosis = diagnose(Request(paths=(folder,)))
    hung = _findings(diagnosis, "hung-task-d-state")[0]
    assert hung.culprit is not None and hung.culprit.name == "kworker/u16:3"
    assert "rtnl_lock" in hung.culprit.why and "network namespace" in hung.culprit.why
    lockup = _findings(diagnosis, "soft-lockup-rcu-stall")[0]
    assert lockup.culprit is not None and lockup.culprit.name == "kubelet"
    assert "mem_cgroup_iter" in lockup.culprit.why
    netns = _findings(diagnosis, "unregister-netdevice-hang")
    assert netns and any("cleanup_net" in e.text for e in netns[0].evidence)
