"""Tool outputs as evidence: each failure mode reached through the facts of the network, DNS,
etcd and audit readers, diagnosed end to end on a small folder. Outputs are the real ones of
tests/parsers/data (this machine's tools, a real etcd), public pastes, or the emitter's format
(said where so)."""

from __future__ import annotations

import json
from pathlib import Path

from kubewhy.model.diagnosis import Diagnosis, Finding
from kubewhy.pipeline import Request, diagnose

DATA = Path(__file__).resolve().parents[1] / "parsers" / "data"


def _diagnose(tmp_path: Path, files: dict[str, str]) -> Diagnosis:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return diagnose(Request(paths=(tmp_path,)))


def _top(diagnosis: Diagnosis) -> Finding:
    assert diagnosis.findings, "no finding"
    return diagnosis.findings[0]


def _modes(diagnosis: Diagnosis) -> dict[str, Finding]:
    return {f.failure_mode: f for f in diagnosis.findings}


# flannel#841's `ip -d link` (see tests/parsers/data), its uplink at 1500 instead of 9001: a
# VXLAN device left at the uplink's MTU, under a prompt naming the node.
VXLAN_AT_1500 = "root@node-3:~# ip -d link show\n" + (
    (DATA / "network" / "ip-d-link-flannel-841.txt").read_text().replace("mtu 9001", "mtu 1500")
)
FLANNEL_HEAD = "flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP>"


def test_overlay_mtu_too_large_for_its_uplink(tmp_path: Path) -> None:
    top = _top(_diagnose(tmp_path, {"terminal.txt": VXLAN_AT_1500}))
    assert top.failure_mode == "pod-network-mtu-mismatch"
    assert top.entity.name == "node-3"
    assert any("flannel.1" in e.text for e in top.evidence)


def test_overlay_that_fits_raises_nothing(tmp_path: Path) -> None:
    fits = VXLAN_AT_1500.replace(f"{FLANNEL_HEAD} mtu 1500", f"{FLANNEL_HEAD} mtu 1450")
    assert "pod-network-mtu-mismatch" not in _modes(_diagnose(tmp_path, {"terminal.txt": fits}))


def test_a_cluster_wide_cni_mtu_too_large_for_one_node(tmp_path: Path) -> None:
    # calico-config's veth_mtu of jumbo-frame nodes, and a node whose uplink is 1500
    node = VXLAN_AT_1500.replace(f"{FLANNEL_HEAD} mtu 1500", f"{FLANNEL_HEAD} mtu 1450")
    cm = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: calico-config\n"
        '  namespace: kube-system\ndata:\n  veth_mtu: "8950"\n'
    )
    top = _top(_diagnose(tmp_path, {"terminal.txt": node, "calico-config.yaml": cm}))
    assert top.failure_mode == "pod-network-mtu-mismatch"


def test_kubelet_hands_pods_an_empty_resolv_conf(tmp_path: Path) -> None:
    session = (
        "root@node-7:~# grep resolvConf /var/lib/kubelet/config.yaml\n"
        "resolvConf: /run/systemd/resolve/resolv.conf\n"
        "root@node-7:~# cat /run/systemd/resolve/resolv.conf\n"
        "# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).\n"
        "search corp.example\n"
    )
    config = (
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
        "resolvConf: /run/systemd/resolve/resolv.conf\n"
    )
    node7 = tmp_path / "node-7"
    node7.mkdir()
    diagnosis = _diagnose(node7, {"terminal.txt": session, "config.yaml": config})
    top = _top(diagnosis)
    assert top.failure_mode == "host-resolv-conf-no-nameserver"
    assert top.tier in ("probable", "confirmed")


def test_a_lone_empty_resolv_conf_is_a_lead(tmp_path: Path) -> None:
    session = "root@node-7:~# cat /etc/resolv.conf\nsearch corp.example\n"
    top = _top(_diagnose(tmp_path, {"terminal.txt": session}))
    assert (top.failure_mode, top.tier) == ("host-resolv-conf-no-nameserver", "lead")


def _etcd(*names: str) -> str:
    return "".join((DATA / "etcdctl" / name).read_text() for name in names)


def test_etcd_member_lost_quorum_kept(tmp_path: Path) -> None:
    top = _top(
        _diagnose(
            tmp_path,
            {
                "etcd-status.txt": _etcd("lost1-ep-status-table.txt"),
                "members.txt": _etcd("member-list-table.txt"),
            },
        )
    )
    assert top.failure_mode == "etcd-member-lost-quorum-kept"


def test_etcd_quorum_lost(tmp_path: Path) -> None:
    found = _diagnose(
        tmp_path,
        {
            "etcd-status.txt": _etcd("lost2-ep-status-table.txt"),
            "members.txt": _etcd("member-list.txt"),
        },
    )
    top = _top(found)
    assert top.failure_mode == "etcd-unavailable"
    assert "etcd-member-lost-quorum-kept" not in _modes(found)


def test_healthy_etcd_raises_nothing(tmp_path: Path) -> None:
    found = _diagnose(
        tmp_path, {"status.txt": _etcd("ep-status-table.txt"), "health.txt": _etcd("ep-health.txt")}
    )
    assert not [f for f in found.findings if f.tier != "lead"]


def _audit_line(n: int, agent: str, uri: str, second: int, user: str) -> str:
    # audit.k8s.io/v1 Event layout (k8s.io/apiserver pkg/apis/audit/v1/types.go)
    return json.dumps(
        {
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": "Metadata",
            "auditID": f"0f1e2d3c-4b5a-6978-8a9b-{n:012d}",
            "stage": "ResponseComplete",
            "requestURI": uri,
            "verb": "list",
            "user": {"username": user},
            "userAgent": agent,
            "objectRef": {"resource": "pods", "apiVersion": "v1"},
            "responseStatus": {"code": 200},
            "requestReceivedTimestamp": f"2024-03-01T10:00:{second:02d}.000000Z",
            "stageTimestamp": f"2024-03-01T10:00:{second:02d}.500000Z",
        }
    )


def test_audit_log_names_the_flooding_client(tmp_path: Path) -> None:
    lines = [
        _audit_line(
            i,
            "kindling/v0.7 (linux/amd64)",
            "/api/v1/pods",
            i // 2,
            "system:serviceaccount:kindling:kindling-agent",
        )
        for i in range(100)
    ]
    lines += [
        _audit_line(
            1000 + i, "kubectl/v1.27.3", "/api/v1/namespaces/a/pods?limit=500", i * 5, "alice"
        )
        for i in range(10)
    ]
    top = _top(_diagnose(tmp_path, {"audit.log": "\n".join(lines) + "\n"}))
    assert top.failure_mode == "apiserver-client-flood"
    assert top.culprit is not None and top.culprit.name == "kindling"
    assert "kindling-agent" in top.culprit.why


def test_kube_rules_in_both_iptables_backends(tmp_path: Path) -> None:
    text = (DATA / "network" / "iptables-both-backends.txt").read_text()
    top = _top(_diagnose(tmp_path, {"iptables-save.txt": text}))
    assert top.failure_mode == "iptables-backend-mismatch"


def test_buggy_nft_iptables_is_a_lead(tmp_path: Path) -> None:
    # public: geerlingguy/raspberry-pi-dramble#156 (Debian 10's iptables)
    session = "root@kube1:/home/vagrant# iptables --version\niptables v1.8.2 (nf_tables)\n"
    top = _top(_diagnose(tmp_path, {"terminal.txt": session}))
    assert (top.failure_mode, top.tier) == ("iptables-backend-mismatch", "lead")
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    later = session.replace("1.8.2", "1.8.7")
    assert not _diagnose(fixed, {"terminal.txt": later}).findings


def test_no_conntrack_tool_and_stuck_dns_flows(tmp_path: Path) -> None:
    listing = (DATA / "network" / "conntrack-L.txt").read_text()
    session = (
        f"root@node-2:~# which conntrack\nroot@node-2:~# cat /proc/net/nf_conntrack\n{listing}"
    )
    top = _top(_diagnose(tmp_path, {"terminal.txt": session}))
    assert top.failure_mode == "stale-udp-conntrack-entry"
    assert top.tier == "probable"


def test_udp_checksum_errors_and_offload_on_the_vxlan_device(tmp_path: Path) -> None:
    nstat = (DATA / "network" / "nstat-az.txt").read_text()
    ethtool = (
        (DATA / "network" / "ethtool-k-veth.txt")
        .read_text()
        .replace("Features for eth0:", "Features for flannel.1:")
    )
    found = _diagnose(tmp_path, {"nstat.txt": nstat, "ethtool.txt": ethtool})
    top = _top(found)
    assert top.failure_mode == "vxlan-checksum-offload-drop"
    assert top.tier == "probable"
    off = ethtool.replace("tx-checksum-ip-generic: on", "tx-checksum-ip-generic: off")
    again = tmp_path / "off"
    again.mkdir()
    # The workaround already in place: what is left is a faint lead.
    left = _modes(_diagnose(again, {"nstat.txt": nstat, "ethtool.txt": off}))
    finding = left.get("vxlan-checksum-offload-drop")
    assert finding is None or (finding.tier == "lead" and finding.confidence < top.confidence)


SLUB = (
    "[43073.004575] SLUB: Unable to allocate memory on node -1 (gfp=0x8020)\n"
    "[43073.022211]   cache: ip6_dst_cache(0:18479a49f76b66461d8fedd17a6eba407f08cc8960bd0246d"
    "39df8eb21f20b4f), object size: 448, buffer size: 448, default order: 2, min order: 0\n"
    "[43074.004575] SLUB: Unable to allocate memory on node -1 (gfp=0x8020)\n"
)


def test_kmem_accounting_turned_off_at_boot_weighs_against_the_leak(tmp_path: Path) -> None:
    # kernel log lines of runc#1725 (as the knowledge base quotes them)
    on = _modes(_diagnose(tmp_path, {"dmesg.txt": SLUB}))["memcg-kmem-accounting-broken"]
    off_dir = tmp_path / "nokmem"
    off_dir.mkdir()
    cmdline = (
        "BOOT_IMAGE=/vmlinuz-3.10.0-693.el7.x86_64 root=/dev/mapper/centos-root ro "
        "cgroup.memory=nokmem\n"
    )
    off = _modes(_diagnose(off_dir, {"dmesg.txt": SLUB, "cmdline.txt": cmdline}))
    assert (
        off.get("memcg-kmem-accounting-broken") is None
        or off["memcg-kmem-accounting-broken"].confidence < on.confidence
    )


# kubectl top node in kubectl's pre-1.27 layout (k8s.io/kubectl pkg/metricsutil), one node at
# 103%: MEMORY% is the working set over *allocatable* memory (capacity less the reservations), so
# it passes 100% on healthy nodes with large reservations (kubernetes-sigs/metrics-server#1060 and
# kubernetes/kubernetes#86499 in the corpus); the kubelet evicts on memory.available against
# capacity. The table is read, and alone it is no finding.
TOP_NODES = """$ kubectl top node
NAME       CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%
worker-1   412m         10%    6021Mi          78%
worker-2   1893m        47%    7992Mi          103%
"""


def test_kubectl_top_over_allocatable_is_no_memory_finding(tmp_path: Path) -> None:
    modes = _modes(_diagnose(tmp_path, {"terminal.txt": TOP_NODES}))
    assert not {"memory-pressure-eviction", "memory-pressure-node-hang"} & set(modes)
