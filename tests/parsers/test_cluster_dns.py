"""The kubelet's clusterDNS against the cluster DNS Service's ClusterIP: both read from what
people paste (a drop-in, a KubeletConfiguration, ``kubectl get svc``), and a kubelet that gives
pods another nameserver is a finding. Lines marked "public" are as posted in the thread named."""

from __future__ import annotations

from pathlib import Path

from kubewhy.parsers.base import Context
from kubewhy.parsers.kubelet import KubeletFormat
from kubewhy.parsers.tables import TABLES
from kubewhy.pipeline import Request, diagnose

# public: kubernetes/release#188 (kubectl 1.4's service listing, no TYPE column)
SERVICES = """\
NAME                   CLUSTER-IP     EXTERNAL-IP   PORT(S)         AGE
kube-dns               10.0.0.10      <none>        53/UDP,53/TCP   2d
"""
# public: kubernetes/release#188 (the kubeadm 1.4 packages' drop-in, two of its lines)
DROP_IN = """\
[Service]
Environment="KUBELET_DNS_ARGS=--cluster-dns=10.12.0.10 --cluster-domain=cluster.local"
ExecStart=/usr/bin/kubelet $KUBELET_DNS_ARGS
"""
# built in kubectl's current layout, -A: NodeLocal DNSCache's upstream Service is not the DNS
# Service; the cluster's kube-dns is
TODAY = """\
NAMESPACE     NAME                 TYPE        CLUSTER-IP     EXTERNAL-IP   PORT(S)                  AGE
kube-system   kube-dns-upstream    ClusterIP   10.96.201.7    <none>        53/UDP,53/TCP            40d
kube-system   kube-dns             ClusterIP   10.96.0.10     <none>        53/UDP,53/TCP,9153/TCP   40d
default       kubernetes           ClusterIP   10.96.0.1      <none>        443/TCP                  40d
"""  # noqa: E501
# built: a KubeletConfiguration's clusterDNS list
CONFIG = """\
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
clusterDNS:
- 10.96.0.10
- 169.254.20.10
"""


def _service_ip(text: str) -> object:
    facts = TABLES.parse(text, Context("svc.txt")).facts
    return {f.name: f.value for f in facts}.get("cluster.dns_service_ip")


def test_the_dns_service_address_is_read_from_either_layout() -> None:
    assert _service_ip(SERVICES) == "10.0.0.10"
    assert _service_ip(TODAY) == "10.96.0.10"
    # another namespace's Service of that name is not the cluster's
    assert _service_ip(TODAY.replace("kube-system   kube-dns ", "team-a        kube-dns ")) is None


def test_cluster_dns_from_a_drop_in_and_from_a_config_list() -> None:
    flags = KubeletFormat().parse(DROP_IN, Context("10-kubeadm.conf", node="n1")).facts
    assert {f.name: f.value for f in flags}["kubelet.cluster_dns"] == "10.12.0.10"
    config = KubeletFormat().parse(CONFIG, Context("config.yaml", node="n1")).facts
    assert {f.name: f.value for f in config}["kubelet.cluster_dns"] == "10.96.0.10,169.254.20.10"


def _modes(folder: Path, dropin: str, services: str) -> list[str]:
    folder.mkdir()
    (folder / "10-kubeadm.conf").write_text(dropin)
    (folder / "terminal.txt").write_text("$ kubectl get svc -n kube-system\n" + services)
    return [f.failure_mode for f in diagnose(Request(paths=(folder,))).findings]


def test_a_kubelet_giving_pods_another_nameserver_is_found(tmp_path: Path) -> None:
    assert _modes(tmp_path / "apart", DROP_IN, SERVICES) == ["kubelet-cluster-dns-mismatch"]
    agreeing = DROP_IN.replace("10.12.0.10", "10.0.0.10")
    assert _modes(tmp_path / "agree", agreeing, SERVICES) == []
