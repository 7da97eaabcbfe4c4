"""The network and kernel tools: real output of this machine's iproute2, ethtool, nstat,
conntrack and iptables, taken in private network namespaces (the files under data/network/, see
data/PROVENANCE.md); public pastes where the device cannot be made here (no VXLAN in this
kernel; the thread is named); text in the emitter's exact format where neither exists (said so)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.commands import COMMANDS
from kubewhy.parsers.nettools import FORMATS, read_links
from kubewhy.parsers.registry import detect

DATA = Path(__file__).parent / "data" / "network"
BY_NAME = {f.name: f for f in FORMATS}


def _facts(fmt: str, text: str, source: str = "out.txt") -> dict[str, object]:
    result = BY_NAME[fmt].parse(text, Context(source, node="n1"))
    return {f.name: f.value for f in result.facts}


@pytest.mark.parametrize(
    ("sample", "fmt"),
    [
        ("ip-link.txt", "ip-link"),
        ("ip-d-link.txt", "ip-link"),
        ("ethtool-k-veth.txt", "ethtool-features"),
        ("ethtool-k-bridge.txt", "ethtool-features"),
        ("nstat-az.txt", "kernel-net-counters"),
        ("proc-net-snmp.txt", "kernel-net-counters"),
        ("conntrack-S.txt", "conntrack-stats"),
        ("proc-net-stat-nf_conntrack.txt", "conntrack-proc-stats"),
        ("conntrack-L.txt", "conntrack-list"),
        ("iptables-both-backends.txt", "iptables-save"),
        ("iptables-nft-save.txt", "iptables-save"),
        ("update-alternatives-iptables.txt", "iptables-alternatives"),
    ],
)
def test_each_real_output_is_claimed_by_its_reader(sample: str, fmt: str) -> None:
    assert detect((DATA / sample).read_text().splitlines()[:60]).name == fmt


def test_real_ip_d_link_of_a_pod_bridge() -> None:
    text = (DATA / "ip-d-link.txt").read_text()
    facts = _facts("ip-link", text)
    assert facts["node.net.mtu.cni0"] == 1450
    assert facts["node.net.mtu.eth0"] == 1500
    # The veth on the bridge kept 1500 while the bridge says 1450: the pods' side is 1500.
    assert facts["node.net.pod_mtu"] == 1500
    assert "node.net.overlay.device" not in facts
    links = {link.name: link for link in read_links(text)}
    assert links["veth3c1a2b4d"].master == "cni0"
    assert links["cni0"].kind == "bridge" and links["eth0"].kind == "veth"


def test_public_vxlan_device_over_a_jumbo_uplink() -> None:
    # public: flannel-io/flannel#841 (flannel.1 left at 1500 on a 9001-byte AWS uplink)
    text = (DATA / "ip-d-link-flannel-841.txt").read_text()
    assert detect(text.splitlines()).name == "ip-link"
    facts = _facts("ip-link", text)
    assert facts["node.net.overlay.device"] == "flannel.1"
    assert facts["node.net.overlay.encap"] == "vxlan"
    assert facts["node.net.overlay.overhead_bytes"] == 50
    assert (facts["node.net.overlay.mtu"], facts["node.net.uplink.mtu"]) == (1500, 9001)


def test_public_vxlan_names_its_underlay_by_dev() -> None:
    # public: flannel-io/flannel#1757 (the underlay is an interface called "abc")
    text = (DATA / "ip-d-link-flannel-1757.txt").read_text()
    (link,) = read_links(text)
    assert (link.kind, link.underlay, link.encapsulation) == ("vxlan", "abc", "vxlan")
    # The underlay was not listed: no uplink is guessed.
    assert "node.net.uplink.mtu" not in _facts("ip-link", text)


def test_ip_link_without_details_knows_tunnels_by_name() -> None:
    # iproute2's `ip link` line format; a Calico IP-in-IP node whose tunnel is up
    text = (DATA / "ip-link-calico-ipip.txt").read_text()
    facts = _facts("ip-link", text)
    assert facts["node.net.overlay.encap"] == "ipip"
    assert facts["node.net.uplink.device"] == "ens5"
    assert facts["node.net.overlay.mtu"] == 8980


def test_real_ethtool_features() -> None:
    veth = (DATA / "ethtool-k-veth.txt").read_text()
    assert _facts("ethtool-features", veth) == {"node.net.tx_checksum.eth0": True}
    # The same listing for a VXLAN device (the layout is ethtool's; the device name is flannel's)
    vxlan = veth.replace("Features for eth0:", "Features for flannel.1:")
    facts = _facts("ethtool-features", vxlan)
    assert facts["node.net.vxlan_tx_checksum_offload"] is True
    off = vxlan.replace("tx-checksum-ip-generic: on", "tx-checksum-ip-generic: off")
    assert _facts("ethtool-features", off)["node.net.vxlan_tx_checksum_offload"] is False


def test_real_udp_checksum_errors() -> None:
    # Seven UDP datagrams with a wrong checksum sent over a veth whose receiver checks them.
    nstat = _facts("kernel-net-counters", (DATA / "nstat-az.txt").read_text())
    assert nstat["node.netstat.Udp_InCsumErrors"] == 7
    assert nstat["node.netstat.Udp6_InCsumErrors"] == 0
    assert nstat["node.netstat.UdpLite_InCsumErrors"] == 0
    snmp = _facts("kernel-net-counters", (DATA / "proc-net-snmp.txt").read_text())
    assert snmp["node.netstat.Udp_InCsumErrors"] == 7
    assert snmp["node.netstat.Udp_InErrors"] == 7


def test_real_conntrack_listing_and_counters() -> None:
    listing = _facts("conntrack-list", (DATA / "conntrack-L.txt").read_text())
    assert listing == {"node.conntrack.dns_unreplied": 6}
    stats = BY_NAME["conntrack-stats"].parse(
        (DATA / "conntrack-S.txt").read_text(), Context("s", "n1")
    )
    values = {f.name: f.value for f in stats.facts}
    assert values["node.conntrack.stat.drop"] == 0
    assert values["node.conntrack.stat.insert_failed"] == 0
    # The per-CPU lines stay records, for the patterns written for them.
    assert len(stats.records) == 2
    # The kernel's own table of the same counters: hex per CPU, summed.
    proc = _facts("conntrack-proc-stats", (DATA / "proc-net-stat-nf_conntrack.txt").read_text())
    assert proc["node.conntrack.kernel_stat.insert_failed"] == 0
    assert proc["node.conntrack.kernel_stat.error"] == 0


def test_the_kernel_conntrack_table_of_older_kernels_is_summed_in_hex() -> None:
    # /proc/net/stat/nf_conntrack in the layout of kernels before 5.x (nf_conntrack_standalone.c
    # ct_cpu_seq_show: a "searched" column, %08x values), written for this test; two CPUs that
    # failed inserts and dropped: the sums are the node's, read as hex.
    head = (
        "entries  searched found new invalid ignore delete delete_list insert insert_failed "
        "drop early_drop icmp_error  expect_new expect_create expect_delete search_restart"
    )

    def row(failed: str, drop: str) -> str:
        return " ".join(["0000fde8"] + ["00000000"] * 8 + [failed, drop] + ["00000000"] * 6)

    text = "\n".join([head, row("0000001f", "000000ff"), row("00000001", "00000001")]) + "\n"
    assert detect(text.splitlines()).name == "conntrack-proc-stats"
    facts = _facts("conntrack-proc-stats", text)
    assert facts["node.conntrack.kernel_stat.insert_failed"] == 32
    assert facts["node.conntrack.kernel_stat.drop"] == 256
    # a row cut short by a pager is not a row of counters
    assert _facts("conntrack-proc-stats", head + "\n0000fde8 00000000\n") == {}


def test_a_dns_flow_to_the_dns_service_that_was_never_natted() -> None:
    # public: kubernetes/kubernetes#122740 (AKS, after kube-proxy restarted), the entry as posted,
    # then one DNAT'ed to an endpoint and one to an upstream resolver that did not answer yet
    text = (
        "udp      17 29 src=10.120.1.150 dst=192.168.0.10 sport=49660 dport=53 [UNREPLIED] "
        "src=192.168.0.10 dst=10.120.1.150 sport=53 dport=49660 mark=0 use=1\n"
        "udp      17 29 src=10.244.1.5 dst=10.96.0.10 sport=41234 dport=53 [UNREPLIED] "
        "src=10.244.2.9 dst=10.244.1.5 sport=53 dport=41234 mark=0 use=1\n"
        "udp      17 29 src=10.0.0.4 dst=8.8.8.8 sport=41111 dport=53 [UNREPLIED] "
        "src=8.8.8.8 dst=10.0.0.4 sport=53 dport=41111 mark=0 use=1\n"
    )
    facts = _facts("conntrack-list", text)
    assert facts["node.conntrack.dns_service_not_natted"] == 1
    assert facts["node.conntrack.dns_unreplied"] == 3


def test_conntrack_stats_sum_over_cpus() -> None:
    # conntrack-tools' -S format (the counters of conntrack-table-full's example)
    text = (
        "cpu=0   \tfound=0 invalid=12 insert=0 insert_failed=3 drop=1000 early_drop=0 error=0\n"
        "cpu=1   \tfound=0 invalid=4 insert=0 insert_failed=0 drop=1217 early_drop=0 error=0\n"
    )
    facts = _facts("conntrack-stats", text)
    assert (facts["node.conntrack.stat.drop"], facts["node.conntrack.stat.insert_failed"]) == (
        2217,
        3,
    )


def test_real_iptables_rules_in_both_backends() -> None:
    facts = _facts("iptables-save", (DATA / "iptables-both-backends.txt").read_text())
    assert facts["node.iptables.legacy.kube_chains"] == 1
    assert facts["node.iptables.legacy.kube_rules"] == 0
    assert facts["node.iptables.nft.kube_chains"] == 4
    assert facts["node.iptables.nft.kube_rules"] == 5
    assert facts["node.iptables.legacy_tables_present"] is True
    only_nft = _facts("iptables-save", (DATA / "iptables-nft-save.txt").read_text())
    assert "node.iptables.legacy.kube_chains" not in only_nft


def test_iptables_save_gives_each_backends_forward_policy() -> None:
    # Real iptables-save 1.8.9 (nf_tables) output in a private network namespace after
    # `iptables -P FORWARD DROP`; the legacy block as iptables-legacy-save 1.8.9 prints it.
    text = (
        "# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n"
        "# Generated by iptables-save v1.8.9 (nf_tables) on Sun Dec  6 16:19:10 2026\n"
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
        "# Completed on Sun Dec  6 16:19:10 2026\n"
        "# Generated by iptables-save v1.8.9 on Sun Dec  6 16:19:10 2026\n"
        "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n# Completed on Sun Dec  6 16:19:10 2026\n"
        "# Generated by iptables-save v1.8.9 on Sun Dec  6 16:19:10 2026\n"
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    )
    facts = _facts("iptables-save", text)
    assert facts["node.iptables.nft.forward_policy"] == "DROP"
    assert facts["node.iptables.legacy.forward_policy"] == "ACCEPT"


def test_real_update_alternatives() -> None:
    text = (DATA / "update-alternatives-iptables.txt").read_text()
    assert _facts("iptables-alternatives", text) == {"node.iptables.backend": "nf_tables"}
    legacy = text.replace(
        "link currently points to /usr/sbin/iptables-nft",
        "link currently points to /usr/sbin/iptables-legacy",
    )
    assert _facts("iptables-alternatives", legacy) == {"node.iptables.backend": "legacy"}


def test_cni_mtu_settings() -> None:
    # flannel's subnet.env as flanneld writes it (flannel Documentation/running.md)
    env = (
        "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n"
        "FLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n"
    )
    assert detect(env.splitlines()).name == "cni-env"
    assert _facts("cni-env", env) == {"cni.mtu": 1450}
    # calico-node's environment: 0 is auto-detection, the next setting counts
    felix = "FELIX_VXLANMTU=0\nFELIX_IPINIPMTU=1440\nFELIX_LOGSEVERITYSCREEN=info\n"
    assert _facts("cni-env", felix) == {"cni.mtu": 1440}
    assert detect(["PATH=/usr/bin", "HOME=/root"]).name != "cni-env"


def test_lsmod_listing_says_what_is_missing() -> None:
    # lsmod's layout (kmod's "Module Size Used by"); lsmod cannot run here (no /proc/modules)
    text = """Module                  Size  Used by
xt_MASQUERADE          16384  2
nf_conntrack          172032  4 xt_conntrack,nf_nat,xt_nat,xt_MASQUERADE
overlay               151552  12
bridge                311296  0
"""
    assert detect(text.splitlines()).name == "lsmod"
    facts = _facts("lsmod", text)
    assert facts["node.kmod.nf_conntrack"] is True
    assert facts["node.kmod.br_netfilter"] is False
    assert facts["node.kmod.nf_conntrack_netlink"] is False
    assert facts["node.kmod.overlay"] is True


def test_real_kernel_command_line() -> None:
    line = Path("/proc/cmdline").read_text().strip()
    result = COMMANDS.parse(f"root@n1:~# cat /proc/cmdline\n{line}\n", Context("t", "n1"))
    facts = {f.name: f.value for f in result.facts}
    assert facts["node.kernel_cmdline"] == line
    first = line.split()[0]
    key, _, value = first.partition("=")
    assert facts["node.cmdline." + key.replace(".", "_").replace("-", "_")] == (value or True)
    # A CentOS 7 grub line in the kernel's format, with kernel memory accounting off
    rhel = (
        "BOOT_IMAGE=/vmlinuz-3.10.0-1062.el7.x86_64 root=/dev/mapper/centos-root ro "
        "cgroup.memory=nokmem"
    )
    assert detect([rhel]).name == "kernel-cmdline"
    assert _facts("kernel-cmdline", rhel)["node.cmdline.cgroup_memory"] == "nokmem"


def _session(command: str, output: str = "") -> dict[str, object]:
    result = COMMANDS.parse(f"root@n1:~# {command}\n{output}", Context("t", "n1"))
    return {f.name: f.value for f in result.facts}


def test_tools_on_the_path_and_settings_that_need_the_command() -> None:
    assert _session("which conntrack") == {"node.binary.conntrack": False}
    assert _session("command -v conntrack", "/usr/sbin/conntrack\n") == {
        "node.binary.conntrack": True
    }
    # RHEL's which says so in words
    assert _session(
        "which conntrack", "/usr/bin/which: no conntrack in (/usr/sbin:/usr/bin)\n"
    ) == {"node.binary.conntrack": False}
    # procps' sysctl when the key is missing: the bridge keys exist only with br_netfilter
    missing = (
        "sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: "
        "No such file or directory\n"
    )
    assert _session("sysctl net.bridge.bridge-nf-call-iptables", missing) == {
        "node.kmod.br_netfilter": False
    }
    assert _session("conntrack -C", "6\n") == {"sysctl.net.netfilter.nf_conntrack_count": 6}


# tcpdump -i flannel.1 -nn quoted in kubernetes/kubernetes#90854 (flannel VXLAN on RHEL 8.1: the
# first SYN of every connection through a Service was lost until tx checksum offload was turned
# off on flannel.1; this kernel has no VXLAN devices to capture on).
FLANNEL_CAPTURE = [
    "tcpdump: verbose output suppressed, use -v or -vv for full protocol decode",
    "listening on flannel.1, link-type EN10MB (Ethernet), capture size 262144 bytes",
    "19:31:37.438631 IP 198.18.103.0.13758 > 198.18.102.10.80: Flags [S], seq 265989161, win 43690,"
    " options [mss 65495,sackOK,TS val 2631200673 ecr 0,nop,wscale 7], length 0",
    "19:31:38.493883 IP 198.18.103.0.13758 > 198.18.102.10.80: Flags [S], seq 265989161, win 43690,"
    " options [mss 65495,sackOK,TS val 2631201728 ecr 0,nop,wscale 7], length 0",
    "19:31:38.494723 IP 198.18.102.10.80 > 198.18.103.0.13758: Flags [S.], seq 222967005, ack"
    " 265989162, win 27960, options [mss 1410,sackOK,TS val 2955153471 ecr 2631201728,nop,wscale"
    " 7], length 0",
]


def _capture_facts(command: str, lines: list[str]) -> dict[str, object]:
    facts = COMMANDS.parse("\n".join([f"$ {command}", *lines]), Context("t.txt", node="n1")).facts
    return {f.name: (f.value, f.evidence.line if f.evidence else None) for f in facts}


def test_a_first_syn_lost_in_the_overlay_and_its_resend_answered() -> None:
    found = _capture_facts("sudo tcpdump -i flannel.1 -nn", FLANNEL_CAPTURE[2:])
    # The resent SYN is the evidence: the prompt is line 1, the first SYN line 2.
    assert found == {"node.net.overlay_first_syn_lost": (True, 3)}
    # The device named by tcpdump's own banner when the command line does not say it.
    assert _capture_facts("tcpdump -nn", FLANNEL_CAPTURE)


@pytest.mark.parametrize(
    ("command", "lines"),
    [
        # the same capture on the uplink: a lost SYN there is any loss, not the overlay's
        ("tcpdump -i eth0 -nn", FLANNEL_CAPTURE[2:]),
        # never answered: a server that is down, not a first packet lost
        ("tcpdump -i flannel.1 -nn", FLANNEL_CAPTURE[2:4]),
        # resent after 3 s (the second retransmission), not one initial timeout
        (
            "tcpdump -i flannel.1 -nn",
            [
                FLANNEL_CAPTURE[2],
                FLANNEL_CAPTURE[3].replace("19:31:38.49", "19:31:40.49"),
                FLANNEL_CAPTURE[4].replace("19:31:38.49", "19:31:40.49"),
            ],
        ),
        # malformed: a line cut before its flags is skipped
        ("tcpdump -i flannel.1 -nn", [FLANNEL_CAPTURE[2][:40], FLANNEL_CAPTURE[4]]),
    ],
)
def test_captures_that_show_no_first_syn_lost(command: str, lines: list[str]) -> None:
    assert "node.net.overlay_first_syn_lost" not in _capture_facts(command, lines)
