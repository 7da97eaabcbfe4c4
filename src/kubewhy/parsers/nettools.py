"""Outputs of the node's network and kernel tools, recognised by their shape.

- ``ip link`` / ``ip -d link`` / ``ip addr``: every interface's MTU; the overlay device (flannel.1,
  vxlan.calico, tunl0, wireguard.cali ...) with its encapsulation and overhead, the uplink it
  rides on (``dev eth0`` of a VXLAN device, else the one physical interface that is up) and the
  largest MTU on the pods' side (cni0, cbr0, cali*, lxc*, veths on the pod bridge). The facts
  stage compares them: a pod or overlay MTU plus the encapsulation overhead above the uplink's
  MTU means full-size packets are dropped.
- ``ethtool -k IFACE``: transmit checksum offload, on a VXLAN device the setting that corrupts
  outer UDP checksums on some NICs and hypervisors.
- ``nstat`` and ``/proc/net/snmp`` (or ``/proc/net/netstat``): kernel counters, named as
  node-exporter names them (``node.netstat.Udp_InCsumErrors``).
- ``conntrack -S``: per-CPU counters summed (``insert_failed``, ``drop``); ``conntrack -L``: DNS
  flows over UDP that never got a reply (clients NAT'ed to an endpoint that does not answer).
- ``iptables-save`` of either backend (``iptables-legacy-save``, ``iptables-nft-save``): the
  KUBE-* chains and rules each backend holds, and its filter FORWARD policy;
  ``update-alternatives --display iptables``: which backend the host's iptables is.
- flannel's ``/run/flannel/subnet.env`` and calico-node's environment: the MTU the CNI gives
  pods.
- ``lsmod`` and ``/proc/modules``: loaded modules, and the absence of the ones Kubernetes needs.
- ``/proc/cmdline``: the kernel's boot parameters (``cgroup.memory=nokmem`` ...).

>>> r = NSTAT.parse("#kernel\\nUdpInCsumErrors                 7                  0.0\\n",
...                 Context("nstat.txt", node="n1"))
>>> [(f.name, f.value) for f in r.facts]
[('node.netstat.Udp_InCsumErrors', 7)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, DocumentFormat, ParseResult, Record
from kubewhy.parsers.firewall import add_rule_readings


def _node(ctx: Context) -> Entity:
    return Entity.for_node(ctx.node or UNKNOWN_NODE)


def _fact(name: str, value: Value, ctx: Context, line: int, text: str) -> Fact:
    return Fact(name, _node(ctx), value, Evidence(ctx.source, line, None, text.strip()))


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


# --- ip link / ip -d link / ip addr ---------------------------------------------------------------

_LINK_HEAD = lazy_compile(
    r"^(?P<index>\d+):\s+(?P<name>[^\s:@]+)(?:@(?P<peer>[^\s:]+))?:\s+<(?P<flags>[^>]*)>"
    r"\s+mtu\s+(?P<mtu>\d+)\b(?P<rest>.*)$"
)
_CONTINUATION = lazy_compile(r"^\s+\S")
# Kinds `ip -d link` prints on the line after link/...; the first word names the kind.
_KINDS = frozenset(
    "vxlan ipip sit gre gretap ip6tnl geneve wireguard veth bridge bridge_slave bond bond_slave "
    "vlan macvlan ipvlan dummy tun vrf team".split()
)
# Encapsulation overhead on IPv4 (outer IP + UDP + VXLAN/Geneve header + inner Ethernet; outer IP
# for IP-in-IP; outer IP + UDP + WireGuard header and tag), as the CNIs' MTU guides count it.
OVERHEAD = {"vxlan": 50, "geneve": 50, "ipip": 20, "wireguard": 60}
# Overlay devices by the names the CNIs give them, for `ip link` without -d.
_OVERLAY_NAMES = (
    (re.compile(r"^(?:flannel\.\d+|vxlan[.\-_].*|.*[._]vxlan|cilium_vxlan|vxlan\d*)$"), "vxlan"),
    (re.compile(r"^(?:cilium_geneve|genev_sys_\d+)$"), "geneve"),
    (re.compile(r"^tunl\d+$"), "ipip"),
    (re.compile(r"^(?:wireguard\..*|flannel-wg.*|cilium_wg\d*|wg\d+|kube-wg\d*)$"), "wireguard"),
)
_PHYSICAL = lazy_compile(r"^(?:eth|en|em|bond|wl|ib|p\d+p)\w*(?:\.\d+)?$")
_POD_BRIDGES = frozenset({"cni0", "cbr0", "docker0-cni", "weave"})
_POD_SIDE = lazy_compile(r"^(?:cali[0-9a-f]{6,}|lxc(?!_health)\w+)$")


@dataclass
class Link:
    name: str
    mtu: int
    flags: frozenset[str]
    line: int
    text: str
    master: str | None = None
    kind: str | None = None
    underlay: str | None = None
    details: list[str] = field(default_factory=list)

    @property
    def up(self) -> bool:
        return "UP" in self.flags

    @property
    def encapsulation(self) -> str | None:
        if self.kind in OVERHEAD:
            return self.kind
        if self.kind is not None and self.kind not in ("vxlan", "ipip"):
            return None
        for pattern, encap in _OVERLAY_NAMES:
            if pattern.match(self.name):
                return encap
        return None


def read_links(text: str) -> list[Link]:
    """The interfaces of an ``ip link`` / ``ip -d link`` / ``ip addr`` listing, in order."""
    links: list[Link] = []
    for n, line in _lines(text):
        head = _LINK_HEAD.match(line.strip())
        if head is not None:
            rest = head.group("rest")
            master = re.search(r"\bmaster\s+(\S+)", rest)
            links.append(
                Link(
                    head.group("name"),
                    int(head.group("mtu")),
                    frozenset(head.group("flags").split(",")),
                    n,
                    line,
                    master.group(1) if master else None,
                )
            )
            continue
        if not links or not _CONTINUATION.match(line):
            continue
        link = links[-1]
        words = line.split()
        if words[0] in _KINDS and link.kind is None:
            link.kind = words[0]
            link.details.append(line.strip())
            dev = re.search(r"\bdev\s+(\S+)", line)
            if words[0] == "vxlan" and dev:
                link.underlay = dev.group(1)
    return links


def _uplink(links: list[Link], overlay: Link) -> Link | None:
    """The interface the overlay's packets leave by: the VXLAN device's own ``dev``, else the
    only physical interface that is up (a guess among several would be no evidence)."""
    by_name = {link.name: link for link in links}
    if overlay.underlay and overlay.underlay in by_name:
        return by_name[overlay.underlay]
    candidates = [
        link for link in links if _PHYSICAL.match(link.name) and link.up and link.master is None
    ]
    return candidates[0] if len(candidates) == 1 else None


def _pod_side(links: list[Link]) -> list[Link]:
    return [
        link
        for link in links
        if link.up
        and (
            link.name in _POD_BRIDGES
            or _POD_SIDE.match(link.name)
            or (link.name.startswith("veth") and link.master in _POD_BRIDGES)
        )
    ]


class IpLink:
    name = "ip-link"
    # Its score needs a link's first line (its flags, then its MTU) first.
    hints = (re.compile(r"<[^>]*>\s+mtu\s+\d"),)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        heads = sum(1 for line in lines if _LINK_HEAD.match(line.strip()))
        if not heads or not _LINK_HEAD.match(lines[0].strip()):
            return 0.0
        others = [line for line in lines if not _LINK_HEAD.match(line.strip())]
        return 0.9 if all(_CONTINUATION.match(line) for line in others) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        facts = result.facts
        links = read_links(text)
        for link in links:
            facts.append(_fact(f"node.net.mtu.{link.name}", link.mtu, ctx, link.line, link.text))
        pods = _pod_side(links)
        if pods:
            widest = max(pods, key=lambda link: link.mtu)
            facts.append(_fact("node.net.pod_mtu", widest.mtu, ctx, widest.line, widest.text))
        overlays = [link for link in links if link.up and link.encapsulation]
        worst: tuple[int, Link, Link] | None = None
        for overlay in overlays:
            uplink = _uplink(links, overlay)
            encap = overlay.encapsulation
            if uplink is None or encap is None:
                continue
            excess = overlay.mtu + OVERHEAD[encap] - uplink.mtu
            if worst is None or excess > worst[0]:
                worst = (excess, overlay, uplink)
        if worst is None and overlays:
            worst = (0, overlays[0], overlays[0])
        if worst is not None:
            _, overlay, uplink = worst
            encap = overlay.encapsulation or ""
            where, shown = overlay.line, overlay.text
            facts.append(_fact("node.net.overlay.device", overlay.name, ctx, where, shown))
            facts.append(_fact("node.net.overlay.encap", encap, ctx, where, shown))
            facts.append(_fact("node.net.overlay.mtu", overlay.mtu, ctx, where, shown))
            facts.append(
                _fact("node.net.overlay.overhead_bytes", OVERHEAD[encap], ctx, where, shown)
            )
            if uplink is not overlay:
                facts.append(
                    _fact("node.net.uplink.device", uplink.name, ctx, uplink.line, uplink.text)
                )
                facts.append(
                    _fact("node.net.uplink.mtu", uplink.mtu, ctx, uplink.line, uplink.text)
                )
        return result


# --- ethtool -k -----------------------------------------------------------------------------------

_FEATURES_HEAD = lazy_compile(r"^Features for (?P<iface>\S+?):\s*$")
_FEATURE = lazy_compile(r"^\s*(?P<name>[\w-]+):\s+(?P<state>on|off)\b")


def is_vxlan_device(name: str) -> bool:
    return any(encap == "vxlan" and p.match(name) for p, encap in _OVERLAY_NAMES)


# tcpdump's TCP line: "<time> IP <src>.<port> > <dst>.<port>: Flags [S], seq <n>, ..." (a SYN)
# and "Flags [S.]" (its SYN-ACK); the time is tcpdump's default HH:MM:SS.micro.
_TCPDUMP_TCP = lazy_compile(
    r"^(?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d(?:\.\d{1,9})?) IP (?P<src>\S+) > (?P<dst>\S+?): "
    r"Flags \[(?P<flags>S\.?)\], seq (?P<seq>\d+)"
)
_LISTENING_ON = lazy_compile(r"^listening on (?P<iface>\S+),")
# Linux's initial retransmission timeout is 1 s (TCP_TIMEOUT_INIT): the first resend of a SYN
# that got no answer comes 1 s after it, the next 2 s later.
SYN_RESEND_SECONDS = (0.8, 1.3)


def first_syn_lost(interface: str | None, out: Sequence[tuple[int, str]]) -> int | None:
    """The line of a SYN sent again one initial timeout (1 s) after the first, and answered
    only then, in a capture on a VXLAN device (``tcpdump -i flannel.1``): the first packet of
    the connection was lost inside the overlay and the resent one was not, the sign of the
    VXLAN checksum fault. None when the capture shows no such connection.

    >>> first_syn_lost("flannel.1", [
    ...   (1, "19:31:37.438631 IP 10.244.1.0.13758 > 10.244.2.10.80: Flags [S], seq 26, win 1"),
    ...   (2, "19:31:38.493883 IP 10.244.1.0.13758 > 10.244.2.10.80: Flags [S], seq 26, win 1"),
    ...   (3, "19:31:38.494723 IP 10.244.2.10.80 > 10.244.1.0.13758: Flags [S.], seq 22, ack 27")])
    2
    >>> first_syn_lost("eth0", [])
    """
    if interface is None:  # tcpdump's banner names the device it picked
        banners = (_LISTENING_ON.match(line) for _, line in out)
        interface = next((b.group("iface") for b in banners if b is not None), None)
    if interface is None or not is_vxlan_device(interface):
        return None
    sent: dict[tuple[str, str, str], tuple[float, int]] = {}
    resent: dict[tuple[str, str], tuple[float, int]] = {}
    for n, line in out:
        m = _TCPDUMP_TCP.match(line)
        if m is None:
            continue
        at = int(m.group("h")) * 3600 + int(m.group("m")) * 60 + float(m.group("s"))
        if m.group("flags") == "S":
            key = (m.group("src"), m.group("dst"), m.group("seq"))
            if key not in sent:
                sent[key] = (at, n)
                continue
            gap = (at - sent[key][0]) % 86400
            if SYN_RESEND_SECONDS[0] <= gap <= SYN_RESEND_SECONDS[1]:
                resent[(m.group("src"), m.group("dst"))] = (at, n)
        else:
            answered = resent.get((m.group("dst"), m.group("src")))
            if answered is not None and 0 <= (at - answered[0]) % 86400 < 1:
                return answered[1]
    return None


class Ethtool:
    name = "ethtool-features"
    hints = ("Features for ",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines or not _FEATURES_HEAD.match(lines[0].strip()):
            return 0.0
        return 0.9 if sum(1 for line in lines if _FEATURE.match(line)) >= 3 else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        iface: str | None = None
        seen: dict[str, tuple[bool, int, str]] = {}

        def flush() -> None:
            # tx-checksum-ip-generic is what the kernel uses for encapsulated UDP; older ethtool
            # prints only the tx-checksumming group.
            found = seen.get("tx-checksum-ip-generic") or seen.get("tx-checksumming")
            if iface is None or found is None:
                return
            on, n, line = found
            result.facts.append(_fact(f"node.net.tx_checksum.{iface}", on, ctx, n, line))
            if is_vxlan_device(iface):
                result.facts.append(_fact("node.net.vxlan_tx_checksum_offload", on, ctx, n, line))

        for n, line in _lines(text):
            head = _FEATURES_HEAD.match(line.strip())
            if head is not None:
                flush()
                iface, seen = head.group("iface"), {}
                continue
            feature = _FEATURE.match(line)
            if feature is not None:
                seen[feature.group("name")] = (feature.group("state") == "on", n, line)
        flush()
        return result


# --- nstat, /proc/net/snmp, /proc/net/netstat ---------------------------------------------------

# Protocol prefixes of nstat's counter names, longest first (Udp6 before Udp, UdpLite before Udp).
_PROTOCOLS = sorted(
    "Ip IpExt Icmp IcmpMsg Icmp6 Tcp TcpExt Udp UdpLite Udp6 UdpLite6 Ip6 MPTcpExt Sctp".split(),
    key=len,
    reverse=True,
)
_NSTAT_ROW = lazy_compile(r"^(?P<name>[A-Z][A-Za-z0-9]+)\s+(?P<value>\d+)\s+[\d.]+\s*$")
_SNMP_ROW = lazy_compile(r"^(?P<proto>[A-Z][A-Za-z0-9]*):\s+(?P<rest>\S.*)$")


def _netstat_name(counter: str) -> str | None:
    for proto in _PROTOCOLS:
        if counter.startswith(proto) and counter[len(proto) :][:1].isupper():
            return f"node.netstat.{proto}_{counter[len(proto) :]}"
    return None


class Nstat:
    """``nstat`` (``#kernel`` then ``Name value rate`` rows) and the ``/proc/net/snmp`` pairs
    of a header line and a value line per protocol."""

    name = "kernel-net-counters"
    # nstat's header, or a /proc/net/snmp values line (a protocol, then numbers).
    hints = ("#kernel", re.compile(r"^\s*[A-Z][A-Za-z0-9]*:\s+-?\d"))

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        if not lines:
            return 0.0
        if lines[0] == "#kernel" and any(_NSTAT_ROW.match(line) for line in lines[1:4]):
            return 0.9
        snmp = [_SNMP_ROW.match(line) for line in lines]
        if len(lines) >= 2 and all(snmp) and lines[0].split(":")[0] == lines[1].split(":")[0]:
            first = lines[0].split()[1:]
            second = lines[1].split()[1:]
            if (
                first
                and len(first) == len(second)
                and all(re.fullmatch(r"-?\d+", w) for w in second)
            ):
                return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        lines = _lines(text)
        pending: tuple[str, list[str]] | None = None
        for n, line in lines:
            stripped = line.strip()
            row = _NSTAT_ROW.match(stripped)
            if row is not None:
                name = _netstat_name(row.group("name"))
                if name:
                    result.facts.append(_fact(name, int(row.group("value")), ctx, n, line))
                continue
            snmp = _SNMP_ROW.match(stripped)
            if snmp is None:
                continue
            proto, words = snmp.group("proto"), snmp.group("rest").split()
            if pending and pending[0] == proto and all(re.fullmatch(r"-?\d+", w) for w in words):
                for key, value in zip(pending[1], words, strict=False):
                    name = f"node.netstat.{proto}_{key}"
                    result.facts.append(_fact(name, int(value), ctx, n, f"{proto}: {key} {value}"))
                pending = None
            else:
                pending = (proto, words)
        return result


# --- conntrack -S / -L ----------------------------------------------------------------------------

_CT_STAT = lazy_compile(r"^cpu=(?P<cpu>\d+)\s+(?P<rest>(?:\w+=\d+\s*)+)$")
_CT_ENTRY = lazy_compile(
    r"^(?:ipv[46]\s+\d+\s+)?(?P<proto>tcp|udp|icmp|icmpv6|sctp|dccp|gre|unknown)\s+\d+\s+\d+\s+"
)
_CT_SHOWN = lazy_compile(
    r"conntrack v[\d.]+ \(conntrack-tools\): (?P<n>\d+) flow entries have been shown"
)


def _add_counter(
    sums: dict[str, tuple[int, int, str]], key: str, count: int, n: int, line: str
) -> None:
    """Add one CPU's ``count`` to the sum of counter ``key``; the line cited is the first where
    the counter is not zero."""
    total, first, shown = sums.get(key, (0, n, line))
    if total == 0 and count:
        first, shown = n, line
    sums[key] = (total + count, first, shown)


class ConntrackStats:
    """``conntrack -S``: one ``cpu=N name=value ...`` line per CPU; the sums are the node's.
    The lines stay records, so the patterns written for them still read them."""

    name = "conntrack-stats"
    hints = ("cpu=",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        rows = sum(1 for line in lines if _CT_STAT.match(line))
        return 0.9 if rows and rows >= len(lines) - 1 else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        sums: dict[str, tuple[int, int, str]] = {}
        for n, line in _lines(text):
            row = _CT_STAT.match(line.strip())
            if row is None:
                continue
            result.records.append(Record(line.strip(), n, entity=_node(ctx)))
            for pair in row.group("rest").split():
                key, _, value = pair.partition("=")
                _add_counter(sums, key, int(value), n, line)
        for key in ("drop", "insert_failed", "early_drop", "invalid", "error"):
            if key in sums:
                total, n, line = sums[key]
                result.facts.append(_fact(f"node.conntrack.stat.{key}", total, ctx, n, line))
        return result


# /proc/net/stat/nf_conntrack (net/netfilter/nf_conntrack_standalone.c ct_cpu_seq_show): a
# header of counter names, then one row per CPU of %08x values. Kernels before 5.x named the
# second column "searched" (now "clashres"); icmp_error is what conntrack -S calls "error".
_PROC_CT_HEAD = lazy_compile(r"^entries\s+(?:searched|clashres)\s+found\s+new\s+invalid\b")
_PROC_CT_ROW = lazy_compile(r"^[0-9a-fA-F]{8}(?:\s+[0-9a-fA-F]{8}){8,24}$")
_PROC_CT_FACTS = {
    "drop": "drop",
    "insert_failed": "insert_failed",
    "early_drop": "early_drop",
    "invalid": "invalid",
    "icmp_error": "error",
}


class ConntrackProcStats:
    r"""``cat /proc/net/stat/nf_conntrack``: the same per-CPU counters as ``conntrack -S`` in the
    kernel's own hex table; the sums are the node's (as conntrack -S's are).

    >>> head = ("entries  searched found new invalid ignore delete delete_list insert "
    ...         "insert_failed drop early_drop icmp_error  expect_new expect_create "
    ...         "expect_delete search_restart")
    >>> def row(failed: str, drop: str) -> str:
    ...     return " ".join(["0000fde8"] + ["00000000"] * 8 + [failed, drop] + ["00000000"] * 6)
    >>> text = "\n".join([head, row("0000000a", "00000014"), row("00000001", "00000002")])
    >>> result = ConntrackProcStats().parse(text, Context("stat", node="n1"))
    >>> {f.name: f.value for f in result.facts}["node.conntrack.kernel_stat.insert_failed"]
    11
    """

    name = "conntrack-proc-stats"
    hints = ("entries ",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        if not lines or not _PROC_CT_HEAD.match(lines[0]):
            return 0.0
        rows = lines[1:]
        return 0.9 if rows and all(_PROC_CT_ROW.match(row) for row in rows) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        names: list[str] = []
        sums: dict[str, tuple[int, int, str]] = {}
        for n, line in _lines(text):
            stripped = line.strip()
            if _PROC_CT_HEAD.match(stripped):
                names = stripped.split()
                continue
            if not names or not _PROC_CT_ROW.match(stripped):
                continue
            for key, value in zip(names, stripped.split(), strict=False):
                _add_counter(sums, key, int(value, 16), n, line)
        for key, fact in _PROC_CT_FACTS.items():
            if key in sums:
                total, n, line = sums[key]
                result.facts.append(
                    _fact(f"node.conntrack.kernel_stat.{fact}", total, ctx, n, line)
                )
        return result


_CT_DNS = lazy_compile(r"\bdport=53\b")
_CT_DST = lazy_compile(r"\bdst=(\d+\.\d+\.\d+\.(\d+))\b")
_CT_SRC = lazy_compile(r"\bsrc=(\S+)")


def _not_natted_to_dns_service(entry: str) -> bool:
    """An UNREPLIED DNS flow to the cluster DNS Service's address that expects its reply from
    that very address: no DNAT to an endpoint was applied (the flow was created while
    kube-proxy's rules were missing, and conntrack keeps it while the client reuses its port).
    The Service's address is told by the convention every installer follows: the tenth address
    of the service range (kubeadm's 10.96.0.10, k3s's 10.43.0.10, AKS's 10.0.0.10).

    >>> _not_natted_to_dns_service("udp 17 29 src=10.120.1.150 dst=192.168.0.10 sport=49660 "
    ...     "dport=53 [UNREPLIED] src=192.168.0.10 dst=10.120.1.150 sport=53 dport=49660")
    True
    >>> _not_natted_to_dns_service("udp 17 29 src=10.244.1.5 dst=10.96.0.10 sport=41234 "
    ...     "dport=53 [UNREPLIED] src=10.244.2.9 dst=10.244.1.5 sport=53 dport=41234")
    False
    """
    original, _, reply = entry.partition("[UNREPLIED]")
    sent_to = _CT_DST.search(original)
    answered_by = _CT_SRC.search(reply)
    if sent_to is None or answered_by is None or sent_to.group(2) != "10":
        return False
    return answered_by.group(1) == sent_to.group(1)


class ConntrackList:
    """``conntrack -L`` (or ``/proc/net/nf_conntrack``): DNS flows over UDP left UNREPLIED."""

    name = "conntrack-list"
    hints = (" src=",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        entries = sum(1 for line in lines if _CT_ENTRY.match(line) and " src=" in line)
        rest = [line for line in lines if not (_CT_ENTRY.match(line) and " src=" in line)]
        return 0.9 if entries and all(_CT_SHOWN.search(line) for line in rest) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        entries = 0
        unreplied: list[tuple[int, str]] = []
        not_natted: list[tuple[int, str]] = []
        shown: tuple[int, int, str] | None = None
        for n, line in _lines(text):
            stripped = line.strip()
            total = _CT_SHOWN.search(stripped)
            if total is not None:
                shown = (int(total.group("n")), n, line)
                continue
            entry = _CT_ENTRY.match(stripped)
            if entry is None or " src=" not in stripped:
                continue
            entries += 1
            original = stripped.split("[UNREPLIED]")[0]
            if (
                entry.group("proto") == "udp"
                and "[UNREPLIED]" in stripped
                and _CT_DNS.search(original)
            ):
                unreplied.append((n, line))
                if _not_natted_to_dns_service(stripped):
                    not_natted.append((n, line))
        if unreplied:
            n, line = unreplied[0]
            result.facts.append(_fact("node.conntrack.dns_unreplied", len(unreplied), ctx, n, line))
        elif entries:
            n, line = _lines(text)[0]
            result.facts.append(_fact("node.conntrack.dns_unreplied", 0, ctx, n, line))
        if not_natted:
            n, line = not_natted[0]
            count = len(not_natted)
            result.facts.append(_fact("node.conntrack.dns_service_not_natted", count, ctx, n, line))
        if shown is not None:
            result.facts.append(_fact("node.conntrack.listed", shown[0], ctx, shown[1], shown[2]))
        return result


# --- iptables-save, update-alternatives --------------------------------------------------------

_SAVE_HEAD = lazy_compile(
    r"^# Generated by (?P<tool>ip6?tables(?:-\w+)?-save) v(?P<version>[\d.]+)"
    r"(?P<nft> \(nf_tables\))?"
)
_SAVE_LINE = lazy_compile(r"^(?:\*\w+|:[\w-]+ \S+ \[\d+:\d+\]|-[AIN] \S+.*|COMMIT|# .*)$")
_LEGACY_WARNING = lazy_compile(r"Warning: iptables-legacy tables present")


@dataclass
class _Backend:
    chains: int = 0
    rules: int = 0
    first: tuple[int, str] | None = None
    table: str = ""
    forward: tuple[str, int, str] | None = None  # the filter FORWARD policy and its line


class IptablesSave:
    """``iptables-save`` of one or both backends, blocks told apart by their header: the nft
    variant says ``(nf_tables)``, the legacy one does not (before 1.8 there was only legacy)."""

    name = "iptables-save"
    hints = ("# Generated by ",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        if not any(_SAVE_HEAD.match(line) for line in lines[:3]):
            return 0.0
        return (
            0.95 if sum(1 for line in lines if _SAVE_LINE.match(line)) >= 0.8 * len(lines) else 0.0
        )

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        backends: dict[str, _Backend] = {}
        current: _Backend | None = None
        version: tuple[str, int, str] | None = None
        for n, line in _lines(text):
            stripped = line.strip()
            head = _SAVE_HEAD.match(stripped)
            if head is not None:
                backend = "nft" if head.group("nft") else "legacy"
                current = backends.setdefault(backend, _Backend())
                version = version or (head.group("version"), n, line)
                continue
            if _LEGACY_WARNING.search(stripped):
                result.records.append(Record(stripped, n, entity=_node(ctx)))
                result.facts.append(
                    _fact("node.iptables.legacy_tables_present", True, ctx, n, line)
                )
                continue
            if current is None:
                continue
            if stripped.startswith("*"):
                current.table = stripped[1:]
            elif current.table == "filter" and stripped.startswith(":FORWARD "):
                current.forward = (stripped.split()[1], n, line)
            if stripped.startswith(":KUBE-"):
                current.chains += 1
                current.first = current.first or (n, line)
            elif stripped.startswith("-A ") and "KUBE-" in stripped:
                current.rules += 1
                current.first = current.first or (n, line)
        for backend, seen in backends.items():
            n, line = seen.first or ((version[1], version[2]) if version else (1, ""))
            result.facts.append(
                _fact(f"node.iptables.{backend}.kube_chains", seen.chains, ctx, n, line)
            )
            result.facts.append(
                _fact(f"node.iptables.{backend}.kube_rules", seen.rules, ctx, n, line)
            )
            if seen.forward is not None:
                policy, n, line = seen.forward
                result.facts.append(
                    _fact(f"node.iptables.{backend}.forward_policy", policy, ctx, n, line)
                )
        # The same listing says what the host firewall lets through.
        add_rule_readings(text, ctx, result)
        return result


_ALTERNATIVES_HEAD = lazy_compile(r"^iptables - (?:auto|manual) mode$")
_POINTS_TO = lazy_compile(r"link currently points to (?P<path>\S+)|^Value: (?P<value>\S+)")


class IptablesAlternatives:
    """``update-alternatives --display iptables`` (or ``--query``): the binary the host's
    ``iptables`` is, hence its backend."""

    name = "iptables-alternatives"
    hints = ("iptables - ", "Name: iptables")

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        if lines and _ALTERNATIVES_HEAD.match(lines[0]):
            return 0.9
        if lines and lines[0] == "Name: iptables" and any(_POINTS_TO.search(x) for x in lines):
            return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        for n, line in _lines(text):
            found = _POINTS_TO.search(line.strip())
            if found is None:
                continue
            path = found.group("path") or found.group("value") or ""
            backend = (
                "nf_tables"
                if path.endswith("-nft")
                else "legacy"
                if path.endswith("-legacy")
                else None
            )
            if backend is not None:
                result.facts.append(_fact("node.iptables.backend", backend, ctx, n, line))
            break
        return result


# --- flannel's subnet.env, calico-node's environment ------------------------------------------

_ENV_LINE = lazy_compile(r"^[A-Z][A-Z0-9_]*=\S*$")
_CNI_ENV = lazy_compile(r"^(?:FLANNEL_[A-Z_]+|FELIX_\w+|CNI_MTU)=")
_MTU_SETTING = lazy_compile(
    r"^(?P<key>FLANNEL_MTU|FELIX_(?:IPINIP|VXLAN|WIREGUARD)MTU|CNI_MTU)=(?P<mtu>\d+)$"
)


class CniEnv:
    """``/run/flannel/subnet.env`` (``FLANNEL_MTU``) and calico-node's environment
    (``FELIX_IPINIPMTU``, ``FELIX_VXLANMTU``, ``CNI_MTU``): the MTU the CNI gives pods and its
    tunnel. 0 is Calico's auto-detection: no value."""

    name = "cni-env"
    hints = ("FLANNEL_", "FELIX_", "CNI_MTU=")

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        if not lines or not all(_ENV_LINE.match(line) for line in lines):
            return 0.0
        return 0.9 if any(_CNI_ENV.match(line) for line in lines) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        for n, line in _lines(text):
            found = _MTU_SETTING.match(line.strip())
            if found and int(found.group("mtu")):
                result.facts.append(_fact("cni.mtu", int(found.group("mtu")), ctx, n, line))
                break
        return result


# --- lsmod, /proc/modules -------------------------------------------------------------------------

_LSMOD_HEAD = lazy_compile(r"^Module\s+Size\s+Used by\s*$")
_LSMOD_ROW = lazy_compile(r"^(?P<name>\w+)\s+\d+\s+-?\d+(?:\s+\S+)?\s*$")
_PROC_MODULES_ROW = lazy_compile(
    r"^(?P<name>\w+) \d+ \d+ \S+ (?:Live|Loading|Unloading) 0x[0-9a-f]+"
)
# Modules whose absence from a full listing says something: bridged pod traffic skips iptables
# without br_netfilter; conntrack cannot delete entries without nf_conntrack_netlink.
WATCHED_MODULES = ("br_netfilter", "nf_conntrack_netlink", "overlay")


class Lsmod:
    name = "lsmod"
    hints = ("Used by", "Live 0x", "Loading 0x", "Unloading 0x")

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        if lines and _LSMOD_HEAD.match(lines[0]):
            return 0.9
        rows = sum(1 for line in lines if _PROC_MODULES_ROW.match(line))
        return 0.85 if lines and rows == len(lines) and rows >= 3 else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        loaded: dict[str, tuple[int, str]] = {}
        for n, line in _lines(text):
            row = _LSMOD_ROW.match(line.strip()) or _PROC_MODULES_ROW.match(line.strip())
            if row is not None and not _LSMOD_HEAD.match(line.strip()):
                loaded.setdefault(row.group("name"), (n, line))
        if not loaded:
            return result
        for name, (n, line) in loaded.items():
            result.facts.append(_fact(f"node.kmod.{name}", True, ctx, n, line))
        first = min(n for n, _ in loaded.values())
        for name in WATCHED_MODULES:
            if name not in loaded:
                shown = f"{name} is not among the {len(loaded)} modules listed"
                result.facts.append(_fact(f"node.kmod.{name}", False, ctx, first, shown))
        return result


# --- /proc/cmdline --------------------------------------------------------------------------------

_BOOT_WORD = lazy_compile(r"^[\w.\-/:,@+]+(?:=\S*)?$")


def cmdline_readings(line: str) -> list[tuple[str, Value]]:
    """The kernel command line as one fact and each ``key=value`` (or flag) as
    ``node.cmdline.<key>`` (dots and dashes as underscores); words after ``--`` belong to init.

    >>> cmdline_readings("ro cgroup.memory=nokmem -- --init-arg")
    [('node.kernel_cmdline', 'ro cgroup.memory=nokmem -- --init-arg'), \
('node.cmdline.ro', True), ('node.cmdline.cgroup_memory', 'nokmem')]
    """
    text = line.strip()
    out: list[tuple[str, Value]] = [("node.kernel_cmdline", text)]
    for word in text.split():
        if word == "--":
            break
        key, sep, value = word.partition("=")
        name = "node.cmdline." + re.sub(r"[.\-]", "_", key)
        parsed: Value = (int(value) if re.fullmatch(r"-?\d+", value) else value) if sep else True
        out.append((name, parsed))
    return out


class KernelCmdline:
    name = "kernel-cmdline"
    hints = ("BOOT_IMAGE=", "root=")

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        if len(lines) != 1:
            return 0.0
        words = lines[0].split()
        booted = any(w.startswith(("BOOT_IMAGE=", "root=")) for w in words)
        return 0.85 if booted and all(_BOOT_WORD.match(w) for w in words) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult(entities=[_node(ctx)])
        lines = _lines(text)
        if lines:
            n, line = lines[0]
            for name, value in cmdline_readings(line):
                result.facts.append(_fact(name, value, ctx, n, line))
        return result


NSTAT = Nstat()
IP_LINK = IpLink()
FORMATS: list[DocumentFormat] = [
    IP_LINK,
    Ethtool(),
    NSTAT,
    ConntrackStats(),
    ConntrackProcStats(),
    ConntrackList(),
    IptablesSave(),
    IptablesAlternatives(),
    CniEnv(),
    Lsmod(),
    KernelCmdline(),
]
