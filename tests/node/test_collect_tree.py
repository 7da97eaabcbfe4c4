"""collect_node on a node tree laid out under a root folder (as a DaemonSet sees ``/host``):
cgroup v2, a systemd-driver kubelet, a container init with zombies, limits.conf precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.model.facts import Value
from kubewhy.parsers.base import Context
from kubewhy.parsers.registry import all_formats
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.node import collect_node

POD_UID = "3d1f2c1e-6a8b-4b27-9f39-1c0f7f8e2a11"
CONTAINER = "4f0c" * 16
POD_SLICE = (
    "kubepods.slice/kubepods-burstable.slice/"
    f"kubepods-burstable-pod{POD_UID.replace('-', '_')}.slice"
)
SCOPE = f"{POD_SLICE}/cri-containerd-{CONTAINER}.scope"


def _write(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def _process(
    root: Path, pid: int, name: str, *, ppid: int, state: str, threads: int, **extra: str
) -> None:
    nspid = extra.get("nspid", str(pid))
    _write(
        root,
        f"/proc/{pid}/status",
        f"Name:\t{name}\nState:\t{state} (x)\nPPid:\t{ppid}\nUid:\t0\t0\t0\t0\n"
        f"NSpid:\t{nspid}\nThreads:\t{threads}\nVmRSS:\t  2048 kB\n",
    )
    _write(root, f"/proc/{pid}/cgroup", f"0::{extra.get('cgroup', '/')}\n")
    _write(root, f"/proc/{pid}/cmdline", extra.get("cmdline", "").replace(" ", "\0"))


@pytest.fixture
def node_root(tmp_path: Path) -> Path:
    root = tmp_path
    _write(
        root, "/proc/meminfo", "MemTotal: 8000000 kB\nMemAvailable: 400000 kB\nSwapTotal: 0 kB\n"
    )
    _write(root, "/proc/vmstat", "nr_free_pages 10\noom_kill 4\nallocstall_normal 7\n")
    _write(
        root, "/proc/cgroups", "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t0\t90\t1\n"
    )
    _write(root, "/proc/uptime", "3600.50 7000.00\n")
    _write(root, "/proc/loadavg", "0.10 0.20 0.30 1/200 999\n")
    _write(root, "/proc/sys/kernel/pid_max", "49152\n")
    _write(root, "/proc/sys/kernel/threads-max", "1545000\n")
    _write(root, "/proc/sys/kernel/osrelease", "4.4.0-104-generic\n")
    _write(root, "/proc/sys/kernel/hostname", "node-xx\n")
    _write(root, "/proc/sys/kernel/random/boot_id", "0f6e9a1c-8a3b-4c2d-9e1f-1234567890ab\n")
    _write(root, "/proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet\n")
    _write(root, "/proc/1/comm", "systemd\n")
    mounts = [
        "22 1 0:21 / / rw - ext4 /dev/sda1 rw",
        f"90 22 0:50 / /var/lib/kubelet/pods/{POD_UID}/volumes/x~secret/t rw - tmpfs t rw",
        f"91 22 8:1 /x /var/lib/kubelet/pods/{POD_UID}/volume-subpaths/c/a/0 rw - ext4 sda1 rw",
    ]
    _write(root, "/proc/1/mountinfo", "\n".join(mounts) + "\n")
    _process(root, 1, "systemd", ppid=0, state="S", threads=1, cmdline="/sbin/init")
    _process(
        root,
        100,
        "kubelet",
        ppid=1,
        state="S",
        threads=40,
        cmdline="/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml --kube-api-qps=5",
        cgroup="/system.slice/kubelet.service",
    )
    _process(
        root,
        200,
        "supercronic",
        ppid=150,
        state="S",
        threads=9,
        nspid="200\t1",
        cgroup=f"/{SCOPE}",
        cmdline="supercronic /etc/crontab",
    )
    for pid in (201, 202, 203):
        _process(root, pid, "curl", ppid=200, state="Z", threads=1, cgroup=f"/{SCOPE}")
    _write(
        root,
        "/var/lib/kubelet/config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1beta1\n"
        "kind: KubeletConfiguration\npodPidsLimit: 100\n",
    )
    cg = "/sys/fs/cgroup"
    _write(root, f"{cg}/cgroup.controllers", "cpuset cpu io memory pids\n")
    _write(root, f"{cg}/cgroup.procs", "")
    _write(root, f"{cg}/cgroup.stat", "nr_descendants 40\nnr_dying_descendants 7\n")
    _write(root, f"{cg}/memory.stat", "anon 1\nfile 2\n")
    levels = ("kubepods.slice", "kubepods.slice/kubepods-burstable.slice", POD_SLICE, SCOPE)
    for path in levels:
        _write(root, f"{cg}/{path}/memory.current", "1000\n")
        limited = path in (POD_SLICE, SCOPE)
        _write(root, f"{cg}/{path}/memory.max", "2000\n" if limited else "max\n")
        _write(root, f"{cg}/{path}/memory.events", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n")
        _write(root, f"{cg}/{path}/pids.current", "100\n")
        _write(root, f"{cg}/{path}/pids.max", "100\n" if limited else "max\n")
        _write(root, f"{cg}/{path}/pids.events", "max 3\n" if path == POD_SLICE else "max 0\n")
    _write(root, "/etc/security/limits.conf", "*  soft  nproc  4096\nroot - nproc unlimited\n")
    _write(root, "/etc/security/limits.d/20-nproc.conf", "# site\n*  -  nproc  204800\n")
    _write(
        root, "/etc/os-release", 'ID=ubuntu\nVERSION_ID="16.04"\nPRETTY_NAME="Ubuntu 16.04.7 LTS"\n'
    )
    _write(root, "/sys/kernel/kexec_crash_loaded", "0\n")
    _write(root, "/var/crash/202401011200/vmcore", "x")
    return root


def _facts(bundle: BundleWriter) -> dict[tuple[str, str], Value]:
    _, docs = all_formats()
    by_name = {fmt.name: fmt for fmt in docs}
    found: dict[tuple[str, str], Value] = {}
    for artefact in bundle.manifest.artefacts:
        fmt = by_name.get(artefact.format or "")
        if fmt is None:
            continue
        text = bundle.files[artefact.path].decode()
        result = fmt.parse(text, Context(artefact.path, node=bundle.manifest.node))
        for fact in result.facts:
            found[(fact.entity.ref(), fact.name)] = fact.value
    return found


def test_collects_a_node_tree_below_a_root(node_root: Path) -> None:
    bundle = collect_node(node_root)
    assert bundle.manifest.node == "node-xx"
    facts = _facts(bundle)
    node = "node/node-xx"
    assert facts[(node, "sysctl.kernel.pid_max")] == 49152
    assert facts[(node, "sysctl.kernel.threads_max")] == 1545000
    assert facts[(node, "node.swap.total_bytes")] == 0
    assert facts[(node, "node.memory.available_ratio")] == 0.05
    assert facts[(node, "node.vmstat.oom_kill")] == 4
    assert facts[(node, "node.vmstat.allocstall")] == 7
    assert facts[(node, "node.uptime_seconds")] == 3600.5
    assert facts[(node, "kernel.release")] == "4.4.0-104-generic"
    assert facts[(node, "os.version_id")] == "16.04"
    assert facts[(node, "node.kdump.enabled")] is False
    assert facts[(node, "node.crash_dumps")] == 1
    assert facts[(node, "node.limits.nproc")] == 204800  # limits.d overrides limits.conf
    assert facts[(node, "node.threads.total")] == 1 + 40 + 9 + 3
    assert facts[(node, "node.zombies.total")] == 3
    assert facts[(node, "node.memcg.num_cgroups")] == 90
    assert facts[(node, "node.memcg.dying")] == 7
    assert facts[(node, "node.systemd.kubelet_mount_units")] == 2


def test_cgroup_v2_counts_and_local_oom_kills(node_root: Path) -> None:
    facts = _facts(collect_node(node_root))
    pod = f"cgroup//{POD_SLICE}"
    assert facts[(pod, "cgroup.pids.max")] == 100
    assert facts[(pod, "cgroup.pids.used_ratio")] == 1.0
    assert facts[(pod, "cgroup.pids.events_max")] == 3
    # memory.events is hierarchical on v2: the kills belong to the container scope only.
    assert facts[(f"cgroup//{SCOPE}", "cgroup.memory.oom_kills")] == 2
    assert facts[(pod, "cgroup.memory.oom_kills")] == 0
    # An unlimited cgroup with no event of its own yields no facts at all.
    assert not any(ref == "cgroup//kubepods.slice" for ref, _ in facts)


def test_zombie_parent_is_named_as_its_namespace_pid_1(node_root: Path) -> None:
    facts = _facts(collect_node(node_root))
    parent = "process/supercronic"
    assert facts[(parent, "process.zombie_children")] == 3
    assert facts[(parent, "process.is_container_init")] is True
    assert facts[(parent, "process.pod_uid")] == POD_UID
    assert facts[(parent, "process.container_id")] == CONTAINER


def test_kubelet_command_line_and_config_are_collected(node_root: Path) -> None:
    bundle = collect_node(node_root)
    cmdline = bundle.files["kubelet/kubelet-cmdline.txt"].decode()
    assert cmdline.startswith("/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml")
    assert b"podPidsLimit: 100" in bundle.files["kubelet/config.yaml"]
    formats = {a.path: a.format for a in bundle.manifest.artefacts}
    assert formats["kubelet/config.yaml"] == "kubelet-config"


def test_what_is_missing_is_a_gap_with_its_reason(node_root: Path) -> None:
    bundle = collect_node(node_root)
    gaps = {g.origin: g.reason for g in bundle.manifest.gaps}
    assert gaps["/proc/pressure/memory"] == "absent"
    assert gaps["/dev/kmsg"] == "absent"
    assert gaps["journald"] == "absent"


def test_a_journal_is_read_only_where_journal_files_exist(tmp_path: Path) -> None:
    from kubewhy.sources.node.journals import journal_location
    from kubewhy.sources.node.reader import NodeReader, Unreadable

    (tmp_path / "var/log/journal/0123abcd").mkdir(parents=True)
    assert isinstance(journal_location(NodeReader(tmp_path)), Unreadable)  # empty folder
    (tmp_path / "var/log/journal/0123abcd/system.journal").write_bytes(b"LPKSHHRH")
    assert journal_location(NodeReader(tmp_path)) == [
        "--directory",
        str(tmp_path / "var/log/journal"),
    ]


DIRTY_WRITEBACK = """\
id: dirty-page-writeback-stall
title: Writers stall behind a huge dirty page cache
scope: node
summary: A test failure mode that reads a kernel setting no other failure mode reads.
mechanism: Only here to show that the node collector reads what the knowledge base names.
facts:
  - id: dirty-ratio-high
    description: vm.dirty_ratio lets a large share of memory be dirty before writers block
    when: sysctl.vm.dirty_ratio >= 40
    weight: 0.6
remediation: [lower vm.dirty_ratio]
prevention:
  settings: [vm.dirty_ratio = 10]
references:
  - url: https://docs.kernel.org/admin-guide/sysctl/vm.html#dirty-ratio
    note: the kernel's documentation of vm.dirty_ratio
"""


def test_the_node_collector_reads_the_sysctls_the_knowledge_base_names(tmp_path: Path) -> None:
    """A failure mode that needs a new kernel setting is a YAML file, nothing else: the node
    source reads what the knowledge base's conditions name (here vm.dirty_ratio, which the
    collector's own list does not hold), from this machine's real /proc/sys."""
    import shutil

    from kubewhy.kb.load import builtin_dir, load_knowledge_base
    from kubewhy.pipeline import NodeSource, Request, observe
    from kubewhy.sources.node.limits import SYSCTLS

    assert "vm.dirty_ratio" not in SYSCTLS
    kb_dir = tmp_path / "kb"
    shutil.copytree(builtin_dir(), kb_dir)
    (kb_dir / "dirty-page-writeback-stall.yaml").write_text(DIRTY_WRITEBACK)
    kb = load_knowledge_base(kb_dir)
    assert "vm.dirty_ratio" in kb.sysctls()
    store = observe(Request(node=NodeSource()), kb).facts.store
    (node,) = store.entities("node")
    real = int(Path("/proc/sys/vm/dirty_ratio").read_text())
    assert store.value(node, "sysctl.vm.dirty_ratio") == real
    # Names that the kernel spells with a dash are found from their fact-style spelling.
    assert store.value(node, "sysctl.kernel.threads_max") == int(
        Path("/proc/sys/kernel/threads-max").read_text()
    )
