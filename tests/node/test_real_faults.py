"""Real faults on this machine, diagnosed by ``kubewhy diagnose --node --format json``.

Each fault lives in a cgroup the test creates below the v1 hierarchies and removes afterwards,
with every process it starts ended by PID. Needs root and cgroup v1 pids and memory hierarchies
(skipped otherwise, failed with KUBEWHY_REQUIRE_PEERS=1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubewhy.kb.load import default_knowledge_base
from kubewhy.model.entities import Entity
from kubewhy.pipeline import NodeSource, Request, diagnose, observe
from kubewhy.reasoning.match import hypotheses
from kubewhy.sources.node import collect_node

from .conftest import diagnose_node_json, findings_of, need
from .faults import new_cgroup, remove_cgroup, spawn_in_cgroup, stop, v1_hierarchy, wait_until

pytestmark = pytest.mark.realfault


@dataclass
class ThreadLeak:
    cgroup: str
    leaker_pid: int
    probe: subprocess.CompletedProcess[bytes]


def _events_max(directory: Path) -> int:
    return int((directory / "pids.events").read_text().split()[1])


@pytest.fixture(scope="module")
def thread_leak(programs: dict[str, Path]) -> Iterator[ThreadLeak]:
    """A process leaks threads in a pids cgroup with pids.max 64 until pthread_create fails;
    then a probe-like command started in the same cgroup cannot fork."""
    need(os.geteuid() == 0, "needs root to create cgroups")
    need(v1_hierarchy("pids") is not None, "needs the cgroup v1 pids hierarchy")
    with new_cgroup("pids") as (directory, rel):
        (directory / "pids.max").write_text("64")
        leaker = spawn_in_cgroup([directory], [str(programs["kw-thread-leak"])])
        try:
            assert wait_until(lambda: _events_max(directory) > 0), "the leak never hit pids.max"
            probe_script = (
                f"echo $$ > {directory}/cgroup.procs && exec /bin/dash -c '/bin/true; echo ok'"
            )
            probe = subprocess.run(
                ["/bin/sh", "-c", probe_script], capture_output=True, timeout=30, check=False
            )
            yield ThreadLeak(rel, leaker.pid, probe)
        finally:
            stop(leaker)


def test_thread_leak_in_a_pids_cgroup(thread_leak: ThreadLeak) -> None:
    # The fault is real: the probe-like fork was refused inside the cgroup.
    assert thread_leak.probe.returncode != 0
    assert b"Cannot fork" in thread_leak.probe.stderr

    _, report, _ = diagnose_node_json()
    found = [
        f
        for f in findings_of(report, "pids-cgroup-limit")
        if f["entity"]["name"] == thread_leak.cgroup
    ]
    assert found, [(f["failure_mode"], f["entity"]) for f in report["findings"]]
    finding = found[0]
    assert finding["entity"]["kind"] == "cgroup"
    assert finding["culprit"] is not None
    assert finding["culprit"]["pid"] == thread_leak.leaker_pid
    assert finding["culprit"]["name"] == "kw-thread-leak"
    texts = [e["text"] for e in finding["evidence"]]
    assert any("pids_events_max=" in t and thread_leak.cgroup in t for t in texts), texts
    # The node's own PID space is nowhere near full: the limit hit is the cgroup's.
    assert not findings_of(report, "node-pid-exhaustion") or all(
        f["confidence"] < 0.5 for f in findings_of(report, "node-pid-exhaustion")
    )


def test_a_bundle_diagnoses_like_the_live_node(thread_leak: ThreadLeak, tmp_path: Path) -> None:
    bundle_path = tmp_path / "node.tar.gz"
    collect_node().write_tar_gz(bundle_path)
    from_file = diagnose(Request(paths=(bundle_path,)))
    live = diagnose(Request(node=NodeSource()))

    def keyed(findings: list[Any]) -> set[tuple[str, str, str]]:
        return {(f.failure_mode, f.entity.kind, f.entity.name) for f in findings}

    assert ("pids-cgroup-limit", "cgroup", thread_leak.cgroup) in keyed(from_file.findings)
    assert keyed(from_file.findings) == keyed(live.findings)


def test_zombies_under_a_pid_namespace_init(programs: dict[str, Path]) -> None:
    need(shutil.which("unshare") is not None, "needs unshare(1) for a PID namespace")
    need(os.geteuid() == 0, "needs root for a PID namespace")
    parent = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", str(programs["kw-no-reaper"]), "30"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == b"spawned"
        reaper_pid = _child_of(parent.pid)
        assert reaper_pid is not None
        _, report, _ = diagnose_node_json()
        found = findings_of(report, "zombie-processes")
        assert found, [(f["failure_mode"], f["entity"]) for f in report["findings"]]
        culprit = found[0]["culprit"]
        assert culprit is not None
        assert culprit["pid"] == reaper_pid
        assert culprit["name"] == "kw-no-reaper"
        assert "PID 1" in culprit["why"]
    finally:
        stop(parent)


def _child_of(pid: int) -> int | None:
    """The host PID of the one child of ``pid`` (unshare's forked child, PID 1 inside)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found: list[int] = []
    wait_until(lambda: bool(found.extend(int(p) for p in children.read_text().split()) or found))
    return found[0] if found else None


def test_memory_cgroup_oom_kill(programs: dict[str, Path]) -> None:
    need(os.geteuid() == 0, "needs root to create cgroups")
    need(v1_hierarchy("memory") is not None, "needs the cgroup v1 memory hierarchy")
    with new_cgroup("memory", below_own=True) as (directory, rel):
        (directory / "memory.limit_in_bytes").write_text(str(32 << 20))
        hog = spawn_in_cgroup([directory], [str(programs["kw-oom-hog"]), "512"])
        try:
            returncode = hog.wait(timeout=60)
        finally:
            stop(hog)
        assert returncode == -9, "the hog was not OOM-killed"  # SIGKILL: 137 in a shell
        _, report, _ = diagnose_node_json()
        found = [f for f in findings_of(report, "node-oom-kill") if f["entity"]["name"] == rel]
        assert found, [(f["failure_mode"], f["entity"]) for f in report["findings"]]
        texts = [e["text"] for e in found[0]["evidence"]]
        assert any("oom_kills=1" in t for t in texts), texts
    # The kernel's own report names the memory cgroup and the victim.
    dmesg = collect_node().files["kernel/dmesg.txt"].decode()
    assert f"oom_memcg={rel}," in dmesg
    assert f"Memory cgroup out of memory: Killed process {hog.pid} (kw-oom-hog)" in dmesg


def test_a_runtime_service_capped_by_its_tasks_limit(
    programs: dict[str, Path], tmp_path: Path
) -> None:
    """The container runtime's service cgroup capped as systemd's TasksMax caps it: a program in
    it cannot fork. The folder an SRE would gather (the program's log, a `cat` of the service's
    pids.max) names the service's pids limit first, at that cgroup."""
    need(os.geteuid() == 0, "needs root to create cgroups")
    need(v1_hierarchy("pids") is not None, "needs the cgroup v1 pids hierarchy")
    with new_cgroup("pids") as (directory, rel):
        service = directory / "docker.service"
        service.mkdir()
        try:
            (service / "pids.max").write_text("4")
            forker = spawn_in_cgroup(
                [service],
                [str(programs["kw-no-reaper"]), "10"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            try:
                assert wait_until(lambda: _events_max(service) > 0), "no fork was refused"
                assert forker.stdout is not None and forker.stdout.readline() == b"spawned\n"
            finally:
                stop(forker)
            assert forker.stderr is not None
            refused = forker.stderr.read().decode()
            assert "fork: Resource temporarily unavailable" in refused
            limit = (service / "pids.max").read_text().strip()
        finally:
            remove_cgroup(service)
    cgroup = f"{rel}/docker.service"
    (tmp_path / "dockerd.log").write_text(refused)
    (tmp_path / "terminal.txt").write_text(f"$ cat /sys/fs/cgroup/pids{cgroup}/pids.max\n{limit}\n")
    findings = diagnose(Request(paths=(tmp_path,))).findings
    assert findings, "nothing found"
    top = findings[0]
    assert (top.failure_mode, top.entity.kind, top.entity.name) == (
        "pids-cgroup-limit",
        "cgroup",
        cgroup,
    ), [(f.failure_mode, f.entity.ref()) for f in findings]
    # The same refusal with the limit of a node-sized cap, or none shown: not this check's.
    (tmp_path / "terminal.txt").write_text(f"$ cat /sys/fs/cgroup/pids{cgroup}/pids.max\nmax\n")
    assert all(
        f.failure_mode != "pids-cgroup-limit" or f.entity.name != cgroup
        for f in diagnose(Request(paths=(tmp_path,))).findings
    )


THRASHER = """
import mmap, sys, time
with open(sys.argv[1], "rb") as f:
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    m.madvise(mmap.MADV_RANDOM)  # no readahead: every page read back is a major fault
    end, total = time.monotonic() + float(sys.argv[2]), 0
    while time.monotonic() < end:
        for i in range(0, len(m), 4096):
            total += m[i]
"""


def test_page_cache_thrashing_seen_by_sar(tmp_path: Path) -> None:
    """A program reads a 160 MiB file over and over in a memory cgroup of 24 MiB: its pages are
    evicted and read back from disk. `sar -B`, run meanwhile, counts the major faults, and a
    folder holding its output names memory-pressure-node-hang on them."""
    need(os.geteuid() == 0, "needs root to create cgroups")
    need(v1_hierarchy("memory") is not None, "needs the cgroup v1 memory hierarchy")
    need(shutil.which("sar") is not None, "needs sar (Debian: sysstat)")
    data = tmp_path / "kw-thrash.bin"
    with data.open("wb") as out:
        out.write(os.urandom(160 << 20))
        out.flush()
        os.fsync(out.fileno())
        # Out of the page cache (this file's pages only), so they are read from disk.
        os.posix_fadvise(out.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    with new_cgroup("memory", below_own=True) as (directory, _):
        (directory / "memory.limit_in_bytes").write_text(str(24 << 20))
        thrasher = spawn_in_cgroup([directory], [sys.executable, "-c", THRASHER, str(data), "8"])
        try:
            time.sleep(1)
            sar = subprocess.run(
                ["sar", "-B", "1", "4"],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
                env={**os.environ, "LC_ALL": "C"},
            ).stdout
        finally:
            stop(thrasher)
    data.unlink()
    evidence = tmp_path / "node-3"
    evidence.mkdir()
    (evidence / "terminal.txt").write_text(f"root@node-3:~# sar -B 1 4\n{sar}")
    kb = default_knowledge_base()
    seen = observe(Request(paths=(evidence,)), kb).seen
    assert (seen.store.value(Entity.for_node("node-3"), "node.paging.majflt_per_s") or 0) >= 1000, (
        sar
    )
    thrash = [h for h in hypotheses(kb, seen) if h.fm.id == "memory-pressure-node-hang"]
    assert thrash and "major-fault-storm" in thrash[0].matched, sar


# A worker that opens sockets until the kernel refuses one, then retries once: run under a
# lowered RLIMIT_NOFILE of its own (the machine's limits are not touched), it prints CPython's own
# EMFILE error each time.
_FD_HOG = """
import socket, sys, traceback
for attempt in range(2):
    held = []
    try:
        while True:
            held.append(socket.socket())
    except OSError:
        traceback.print_exc()
    finally:
        for s in held:
            s.close()
"""


def test_a_process_out_of_file_descriptors(tmp_path: Path) -> None:
    import resource

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    done = subprocess.run(
        [sys.executable, "-c", _FD_HOG],
        preexec_fn=low_limit,
        capture_output=True,
        timeout=60,
        check=True,
    )
    # The fault is real: the kernel refused a descriptor, twice.
    assert done.stderr.count(b"[Errno 24] Too many open files") == 2
    log = tmp_path / "ingest-worker.log"
    log.write_bytes(done.stderr)
    findings = diagnose(Request(paths=(tmp_path,))).findings
    assert findings, "no finding"
    top = findings[0]
    assert top.failure_mode == "process-nofile-limit-exhausted"
    # the log's name says whose it is
    assert top.culprit is not None and top.culprit.name == "ingest-worker"
