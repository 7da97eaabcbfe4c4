"""The everyday node tools: real output of this machine's top, free, df and resolv.conf, and
public pastes (the thread is named) where the tool does not run here."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.nodetools import FORMATS, RESOLV_CONF
from kubewhy.parsers.promtext import PromTextFormat, quantile
from kubewhy.parsers.registry import detect

BY_NAME = {f.name: f for f in FORMATS}


def _run(*argv: str) -> str:
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} is not installed")
    return subprocess.run(
        argv, capture_output=True, text=True, check=True, env={"LC_ALL": "C", "COLUMNS": "200"}
    ).stdout


def _meminfo() -> dict[str, int]:
    text = Path("/proc/meminfo").read_text()
    return {line.split(":")[0]: int(line.split()[1]) * 1024 for line in text.splitlines()}


def _facts(fmt: str, text: str, command: str | None = None) -> dict[str, object]:
    result = BY_NAME[fmt].parse(text, Context("out.txt", node="n1", command=command))
    return {f.name: f.value for f in result.facts if f.entity.kind == "node"}


def test_real_top_batch_output() -> None:
    text = _run("top", "-b", "-n", "1")
    assert detect(text.splitlines()[:60]).name == "top"
    facts = _facts("top", text)
    meminfo = _meminfo()
    total = facts["node.memory.total_bytes"]
    assert isinstance(total, int) and abs(total - meminfo["MemTotal"]) <= 0.01 * total
    assert isinstance(facts["node.cpu.iowait_percent"], float)
    assert isinstance(facts["node.loadavg.1m"], float)


def test_public_top_of_a_node_thrashing_without_swap() -> None:
    # public: kubernetes/kubernetes#67796
    text = """top - 11:50:54 up 17 min,  1 user,  load average: 10.74, 11.00, 6.96
Tasks: 104 total,   4 running, 100 sleeping,   0 stopped,   0 zombie
%Cpu(s):  0.3 us, 12.9 sy,  0.0 ni,  3.1 id, 64.8 wa,  0.0 hi, 18.8 si,  0.0 st
KiB Mem :  1015368 total,    65532 free,   851408 used,    98428 buff/cache
KiB Swap:        0 total,        0 free,        0 used.    24816 avail Mem

  PID USER      PR  NI    VIRT    RES    SHR S  %CPU %MEM     TIME+ COMMAND
   35 root      20   0       0      0      0 R  13.4  0.0   2:04.26 kswapd0
 2988 vagrant   20   0 1804676 674112      0 D   9.1 66.4   1:50.81 node
"""
    facts = _facts("top", text)
    assert facts["node.cpu.iowait_percent"] == 64.8
    assert facts["node.swap.total_bytes"] == 0
    assert facts["node.memory.available_bytes"] == 24816 * 1024
    assert facts["node.kswapd_cpu_percent"] == 13.4


def test_real_free_output() -> None:
    facts = _facts("free", _run("free", "-b"), command="free -b")
    available = _meminfo()["MemAvailable"] // 1024
    assert isinstance(facts["node.memory.available_bytes"], int)
    assert abs(facts["node.memory.available_bytes"] - available * 1024) <= 0.05 * available * 1024
    assert "node.swap.total_bytes" in facts


def test_real_df_by_blocks_and_by_inodes() -> None:
    blocks = _facts("df", _run("df", "-h"))
    inodes = _facts("df", _run("df", "-i"))
    assert 0 <= int(blocks["node.fs.max_used_percent"]) <= 100  # type: ignore[call-overload]
    assert 0 <= int(inodes["node.fs.max_inodes_used_percent"]) <= 100  # type: ignore[call-overload]
    assert "node.fs.max_used_percent" not in inodes


def test_df_leaves_out_what_is_full_by_construction() -> None:
    # df -h of an Ubuntu node with snaps (squashfs images on loop devices, always 100%), written
    # for this test in df's format; the fullest real disk is the root at 71%.
    text = """Filesystem      Size  Used Avail Use% Mounted on
/dev/root        97G   68G   29G  71% /
tmpfs           7.8G     0  7.8G   0% /dev/shm
/dev/loop0       56M   56M     0 100% /snap/core18/2785
/dev/loop1       92M   92M     0 100% /snap/lxd/24061
/dev/sr0        1.2G  1.2G     0 100% /media/cdrom
/dev/loop7      2.0G  1.0G  1.0G  50% /var/lib/images
"""
    assert _facts("df", text)["node.fs.max_used_percent"] == 71
    # the root is the kubelet's nodefs: its fill is counted apart from a data disk's
    assert _facts("df", text)["node.fs.kubelet_used_percent"] == 71


def test_the_kubelet_filesystems_apart_from_a_full_data_disk() -> None:
    # df -h written for this test in df's format: a data disk at 100%, the root at 40%, the
    # runtime's own disk at 99%.
    text = """Filesystem      Size  Used Avail Use% Mounted on
/dev/sda1        50G   20G   30G  40% /
/dev/sdb1       500G  500G     0 100% /data
/dev/sdc1       100G   99G  1.0G  99% /var/lib/containerd
"""
    facts = _facts("df", text)
    assert facts["node.fs.max_used_percent"] == 100
    assert facts["node.fs.kubelet_used_percent"] == 99


def test_resolv_conf_on_loopback_and_not() -> None:
    # public: coredns/coredns#2083 (the systemd-resolved stub) and this machine's own file
    stub = RESOLV_CONF.parse(
        "nameserver 127.0.0.53\nsearch ap-northeast-1.compute.internal\n", Context("r", "n1")
    )
    assert {f.name: f.value for f in stub.facts}["node.resolv_conf.loopback"] is True
    upstream = RESOLV_CONF.parse("nameserver 10.0.0.2\nsearch x.internal\n", Context("r", "n1"))
    assert {f.name: f.value for f in upstream.facts} == {
        "node.resolv_conf.nameservers": "10.0.0.2",
        "node.resolv_conf.nameserver_count": 1,
    }
    assert RESOLV_CONF.sniff(["nameserver 10.0.0.2", "some log line"]) == 0.0


def test_a_node_resolv_conf_that_searches_the_cluster_domains() -> None:
    # built from kubespray's host_resolvconf layout (docs/dns-stack.md): the cluster DNS first,
    # then the upstreams, under the cluster's search domains and kubespray's ndots
    node = RESOLV_CONF.parse(
        "domain cluster.local\nsearch default.svc.cluster.local svc.cluster.local\n"
        "nameserver 10.233.0.3\nnameserver 10.0.0.2\noptions ndots:2\noptions timeout:2\n",
        Context("r", "n1"),
    )
    facts = {f.name: f.value for f in node.facts}
    assert facts["node.resolv_conf.cluster_search"] == "svc.cluster.local"
    # A pod's file, as the kubelet writes it for dnsPolicy ClusterFirst (always ndots:5), and a
    # node that only searches its own domain.
    pod = RESOLV_CONF.parse(
        "search kube-system.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\noptions ndots:5\n",
        Context("r", "n1"),
    )
    assert "node.resolv_conf.cluster_search" not in {f.name for f in pod.facts}
    plain = RESOLV_CONF.parse("search svc.example\nnameserver 10.0.0.2\n", Context("r", "n1"))
    assert "node.resolv_conf.cluster_search" not in {f.name for f in plain.facts}


def test_resolv_conf_that_searches_localhost() -> None:
    # public: kubernetes/kubernetes#127702 (a pod's file; the node's search list ended in localhost)
    pod = RESOLV_CONF.parse(
        "search default.svc.cluster.local svc.cluster.local cluster.local localhost\n"
        "nameserver 10.96.0.10\noptions ndots:5\n",
        Context("r", "n1"),
    )
    facts = {f.name: f.value for f in pod.facts}
    assert facts["node.resolv_conf.search_loopback_domain"] == "localhost"
    # a domain that only ends in the letters, and no search line at all
    for text in ("search mylocalhost\nnameserver 10.0.0.2\n", "nameserver 10.0.0.2\n"):
        names = {f.name for f in RESOLV_CONF.parse(text, Context("r", "n1")).facts}
        assert "node.resolv_conf.search_loopback_domain" not in names


def test_perf_top_names_the_mechanism() -> None:
    # public: google/cadvisor#1774
    text = """    31.04%  [kernel]                                      [k] memcg_stat_show
    18.61%  [kernel]                                      [k] memcg_sum_events.isra.22
     9.41%  [kernel]                                      [k] mem_cgroup_iter
     6.94%  [kernel]                                      [k] css_next_descendant_pre
     1.22%  [kernel]                                      [k] nmi
"""
    assert detect(text.splitlines()).name == "perf"
    assert _facts("perf", text) == {"node.perf.memcg_iteration_percent": 66.0}


def test_perf_report_names_the_command_that_iterates() -> None:
    # perf report --stdio rows (Children, Self, Command, Shared Object, Symbol), written for this
    # test in perf's layout: the kubelet's samples are the ones in memcg_stat_show.
    text = """# Children      Self  Command  Shared Object       Symbol
    37.92%     0.02%  kubelet  [kernel.kallsyms]   [k] memcg_stat_show
    21.40%    20.97%  kubelet  [kernel.kallsyms]   [k] mem_cgroup_nr_lru_pages
     4.10%     4.10%  cron     [kernel.kallsyms]   [k] mem_cgroup_iter
     3.71%     3.70%  kubelet  [kernel.kallsyms]   [k] _raw_spin_lock
"""
    facts = _facts("perf", text)
    assert facts["node.perf.memcg_iteration_command"] == "kubelet"
    assert facts["node.perf.memcg_iteration_percent"] == 63.42


def test_histogram_tail_from_the_exposition_format() -> None:
    # public: rancher/rke#2295 (etcd's WAL fsync histogram, cumulative buckets)
    text = "\n".join(
        f'etcd_disk_wal_fsync_duration_seconds_bucket{{le="{le}"}} {count}'
        for le, count in (
            ("0.002", "208222"),
            ("0.004", "7.031156e+06"),
            ("0.128", "1.1577606e+07"),
            ("0.256", "1.1680821e+07"),
            ("1.024", "1.1771849e+07"),
            ("+Inf", "1.1775397e+07"),
        )
    )
    result = PromTextFormat().parse(text, Context("metrics.txt", node="n1"))
    got = {f.name: f.value for f in result.facts}
    p99 = got["metrics.etcd_disk_wal_fsync_duration_seconds.p99"]
    assert isinstance(p99, float) and 0.128 < p99 < 0.256
    assert quantile([(1.0, 10.0), (math.inf, 10.0)], 0.99) == 0.99
    assert quantile([(1.0, 0.0), (math.inf, 10.0)], 0.5) == 1.0  # the tail is past the last bound


def test_df_pasted_without_its_header_is_read_by_its_file_name() -> None:
    # This machine's real df -i, its header line dropped as people often paste it: the file's
    # name (df-i.txt) says it counts inodes; a name that says nothing gives no fact.
    with_header = _run("df", "-i")
    rows = "\n".join(with_header.splitlines()[1:]) + "\n"
    if len(rows.splitlines()) < 2:
        pytest.skip("df -i lists fewer than two filesystems here")
    df = BY_NAME["df"]
    assert df.sniff(rows.splitlines()) > 0
    whole = {f.name: f.value for f in df.parse(with_header, Context("out.txt")).facts}
    named = {f.name: f.value for f in df.parse(rows, Context("node-3/df-i.txt")).facts}
    assert named == whole and "node.fs.max_inodes_used_percent" in named
    assert df.parse(rows, Context("node-3/output.txt")).facts == []
    # df -h rows carry units: blocks, whatever the file is called.
    sized = "\n".join(_run("df", "-h").splitlines()[1:])
    names = {f.name for f in df.parse(sized, Context("output.txt")).facts}
    assert names - {"node.fs.kubelet_used_percent"} == {"node.fs.max_used_percent"}


def test_memory_available_script_output_from_this_machine() -> None:
    # The fields the node-pressure eviction docs' memory-available.sh prints, read from this
    # machine's real root memory cgroup (v1) and /proc/meminfo, in the script's layout.
    root = Path("/sys/fs/cgroup/memory")
    if not (root / "memory.usage_in_bytes").exists():
        pytest.skip("no cgroup v1 memory hierarchy here")
    capacity = _meminfo()["MemTotal"]
    usage = int((root / "memory.usage_in_bytes").read_text())
    stat = dict(line.split() for line in (root / "memory.stat").read_text().splitlines())
    inactive = int(stat["total_inactive_file"])
    text = (
        f"memory.capacity_in_bytes {capacity}\n"
        f"memory.usage_in_bytes {usage}\n"
        f"memory.total_inactive_file {inactive}\n"
        f"memory.working_set {max(usage - inactive, 0)}\n"
        f"memory.available_in_bytes {capacity - max(usage - inactive, 0)}\n"
    )
    fmt = BY_NAME["memory-available"]
    assert detect(text.splitlines()).name == "memory-available"
    assert _facts("memory-available", text) == {
        "node.memory.total_bytes": capacity,
        "node.memcg.root_usage_bytes": usage,
        "node.memcg.root_working_set_bytes": max(usage - inactive, 0),
    }
    # Lines of other tools that share a word are not the script's.
    assert fmt.sniff(["memory.usage_in_bytes 42"]) == 0.0


def test_a_full_run_tmpfs_in_a_private_mount_namespace() -> None:
    # A real 1 MiB tmpfs mounted over /run in a mount namespace of its own (the machine's /run is
    # untouched), filled, then df -h and df -i of it, as a node with a full /run shows them.
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare")
    script = (
        "mount -t tmpfs -o size=1M tmpfs /run && "
        "head -c 1048576 /dev/zero > /run/fill 2>/dev/null; df -h /run; echo; df -i /run"
    )
    out = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    ).stdout
    blocks, inodes = out.split("\n\n", 1)
    assert _facts("df", blocks)["node.fs.run_used_percent"] == 100
    assert _facts("df", inodes)["node.fs.run_inodes_used_percent"] < 95  # type: ignore[operator]
    # The node's disks are what max_used_percent is about: a tmpfs is not one of them.
    assert "node.fs.max_used_percent" not in _facts("df", blocks)
