"""Detection by content: every sample is claimed by its own format, by no other, and other
formats' inputs (logs, /proc files, dumps) are claimed by none of these."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from kubewhy.parsers.registry import SNIFF_FLOOR, SNIFF_LINES, detect

DATA = Path(__file__).parent / "data"
# The document readers whose samples live in data/ (one list: the modules are imported by name).
MODULES = [
    importlib.import_module(f"kubewhy.parsers.{name}")
    for name in (
        "describe events firewall kubelet limits nettools objects promjson ps sysctl system"
        " timing ulimit"
    ).split()
]
FORMATS = [fmt for module in MODULES for fmt in module.FORMATS]

EXPECTED = {
    "cluster_info_dump_stdout.txt": "k8s-objects",
    "describe_events_mybinder.txt": "kubectl-describe",
    "describe_events_tabs_coreos.txt": "kubectl-describe",
    "describe_events_v0.txt": "kubectl-describe",
    "describe_node_events_bottlerocket.txt": "kubectl-describe",
    "describe_node_events_tabs.txt": "kubectl-describe",
    "describe_node_notready.txt": "kubectl-describe",
    "describe_pod_oomkilled.txt": "kubectl-describe",
    "describe_pod_pending_old.txt": "kubectl-describe",
    "describe_pod_running.txt": "kubectl-describe",
    "describe_pod_squashed.txt": "kubectl-describe",
    "describe_session_dataz8.txt": "kubectl-describe",
    "e2e_events_ceph_csi.txt": "e2e-events",
    "e2e_events_csi_baremetal.txt": "e2e-events",
    "events_core_v1.json": "k8s-objects",
    "events_export.txt": "events-export",
    "events_get.txt": "kubectl-events",
    "events_get_headerless_old.txt": "kubectl-events",
    "events_get_old_layout.txt": "kubectl-events",
    "events_k8s_io_v1.yaml": "k8s-objects",
    "firewalld_list_all.txt": "firewalld-zone",
    "iptables_save_rejects.txt": "iptables-save",
    "kubelet_config_docs.yaml": "kubelet-config",
    "kubelet_config_full.yaml": "kubelet-config",
    "kubelet_configz.json": "kubelet-config",
    "kubelet_dropin_kubeadm.conf": "kubelet-config",
    "kubelet_ps_line.txt": "kubelet-config",
    "limits_concatenated.txt": "limits-conf",
    "limits_debian.conf": "limits-conf",
    "node_kube_worker_1.yaml": "k8s-objects",
    "os_release_debian12.txt": "os-release",
    "pod_nginx_running.yaml": "k8s-objects",
    "pods_list.json": "k8s-objects",
    "prometheus_container_threads.json": "prometheus-json",
    "prometheus_threads_sum.json": "prometheus-json",
    "prometheus_up_vector.json": "prometheus-json",
    "ps_auxf_zombies.txt": "ps",
    "ps_eLf.txt": "ps",
    "ps_ef.txt": "ps",
    "ps_eo_custom.txt": "ps",
    "ps_squashed_line.txt": "ps",
    "sysctl_a.txt": "sysctl",
    "sysctl_transcript.txt": "sysctl",
    "systemctl_list_units_mount.txt": "systemctl-list-units",
    "systemctl_version.txt": "systemctl-version",
    "time_bash_real.txt": "time",
    "time_memory_stat.txt": "time",
    "ulimit_bash.txt": "ulimit",
    "ufw_status_verbose.txt": "ufw-status",
    "ulimit_dash.txt": "ulimit",
    "uname_ubuntu.txt": "uname",
}

# Inputs that belong to other parsers (or to none): none of the formats above may claim them.
FOREIGN = {
    "kubelet journal": [
        "Jun 14 13:15:39 node-1 kubelet[1190]: I0614 13:15:39.611412    1190 flags.go:33]"
        ' FLAG: --kube-api-qps="5"',
        "Jun 14 13:15:39 node-1 kubelet[1190]: E0614 13:15:39.700000    1190 kubelet.go:1845]"
        " skipping pod synchronization - PLEG is not healthy: pleg was last seen active 3m0s ago",
        "Jun 14 13:15:40 node-1 systemd[1]: Started kubelet: The Kubernetes Node Agent.",
    ],
    "klog": [
        "I0907 07:04:17.611412       1 trace.go:116] Trace[1]: slow",
        "W0907 07:04:18.000000       1 reflector.go:302] watch of *v1.Pod ended",
    ],
    "kernel log": [
        "[123456.789012] Memory cgroup out of memory: Killed process 4481 (stress)",
        "[123456.789100] oom_reaper: reaped process 4481 (stress), now anon-rss:0kB",
    ],
    "meminfo": ["MemTotal:       16314180 kB", "MemFree:          256000 kB", "Cached: 1 kB"],
    "vmstat": ["nr_free_pages 64000", "pgscan_kswapd 12345", "allocstall_normal 7"],
    "pressure": [
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=0",
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=0",
    ],
    "goroutine dump": [
        "goroutine 1 [running]:",
        "main.main()",
        "\t/go/src/app/main.go:12 +0x1d",
    ],
    "prometheus text": [
        "# HELP node_processes_threads Allocated threads in system",
        "# TYPE node_processes_threads gauge",
        "node_processes_threads 812",
    ],
    "prose": [
        "The kubelet on node-1 stopped posting status after the upgrade.",
        "We rebooted it at 13:15 and pods came back; see ticket.",
    ],
    "zap json": [
        '{"level":"warn","ts":1592112939.781,"caller":"etcdserver/raft.go:1","msg":"slow"}',
    ],
}


def _head(text: str) -> list[str]:
    return [line for line in text.splitlines()[:SNIFF_LINES] if line.strip()]


def test_every_sample_is_listed() -> None:
    on_disk = {p.name for p in DATA.iterdir() if p.is_file() and p.suffix != ".md"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_own_format_wins_among_ours(sample: str) -> None:
    head = _head((DATA / sample).read_text())
    scores = {fmt.name: fmt.sniff(head) for fmt in FORMATS}
    expected = EXPECTED[sample]
    assert scores[expected] >= SNIFF_FLOOR
    rivals = {name: score for name, score in scores.items() if name != expected and score > 0}
    assert all(score < scores[expected] for score in rivals.values()), rivals


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_registry_detects_the_sample(sample: str) -> None:
    # Across every registered format of the project, logs included.
    assert detect(_head((DATA / sample).read_text())).name == EXPECTED[sample]


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_foreign_inputs_are_not_claimed(kind: str) -> None:
    head = FOREIGN[kind]
    claimed = {fmt.name: fmt.sniff(head) for fmt in FORMATS if fmt.sniff(head) >= SNIFF_FLOOR}
    assert claimed == {}


def test_empty_input() -> None:
    assert all(fmt.sniff([]) == 0.0 for fmt in FORMATS)
