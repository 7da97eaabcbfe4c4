"""Host firewall listings: what ``firewall-cmd --list-all`` and ``ufw status`` say a node admits.

A node's own firewall (firewalld, ufw) rejects what its zone or its rules do not admit. The
kubelet's port 10250/tcp must be open on every node (the API server reaches it for logs, exec and
metrics), so a listing that shows an active firewall whose rules do not admit it is evidence of a
broken node, and one that admits it is evidence against. Only a listing that settles the question
gives the fact: rich rules, zone targets that accept everything, or services this reader does not
know leave it open.

Facts, on the node the listing is about:

- ``node.firewall.active``: the firewall runs (``firewall-cmd --state``, ``ufw status``, a zone
  listing printed by a running firewalld);
- ``node.firewall.tool``: ``firewalld`` or ``ufw``;
- ``node.firewall.open_ports``: what the listing admits, as it spells it;
- ``node.firewall.kubelet_port_open``: whether 10250/tcp is admitted, when the listing settles it;
- ``node.firewall.routed_blocked``: ufw drops forwarded (routed) traffic and no rule admits any,
  so pod traffic that crosses the node is dropped unless a CNI rule accepts it first.

``iptables-save`` and ``iptables -S`` listings give, for the filter table's INPUT and FORWARD
chains, the catch-all REJECT or DROP (``-A INPUT -j REJECT --reject-with icmp-host-prohibited``,
the RHEL/CentOS iptables-services default) and the rules listed after it in the same chain, which
no packet ever reaches: rules that kube-proxy, the kubelet or a CNI appended there are dead.

- ``node.iptables.catch_all_reject``: the chains that end in such a rule (``FORWARD,INPUT``);
- ``node.iptables.rules_after_reject``: how many rules come after it, citing the first.

Every line of the listing is also a record, so line patterns still read it.

>>> r = FIREWALLD_ZONE.parse("public (active)\\n  target: default\\n  services: ssh\\n"
...                          "  ports: 6443/tcp\\n  rich rules: \\n", Context("fw.txt", "n1"))
>>> {f.name: f.value for f in r.facts}["node.firewall.kubelet_port_open"]
False
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult, Record

# (fact name, value, 1-based line of the output that shows it)
Reading = tuple[str, Value, int]

KUBELET_PORT = 10250
# The firewalld services (as shipped in /usr/lib/firewalld/services, firewalld 1.3) that open
# the kubelet's port, directly or through an include: kube-api is the old name of kubelet.
_FIREWALLD_KUBELET_SERVICES = frozenset({"kubelet", "kube-api", "kube-worker", "kubelet-worker"})
_ZONE_HEAD = lazy_compile(r"^(?P<zone>[\w.-]+)(?: \((?P<state>[^)]*)\))?\s*$")
_ZONE_KEY = lazy_compile(r"^\s+(?P<key>[a-z][a-z -]*[a-z]):(?P<value>.*)$")
_PORT_SPEC = lazy_compile(r"^(?P<low>\d+)(?:[-:](?P<high>\d+))?(?:/(?P<proto>\w+))?$")
_UFW_STATUS = re.compile(r"^Status: (active|inactive)\s*$")
_UFW_DEFAULT = lazy_compile(r"^Default: (\w+) \(incoming\), (\w+) \(outgoing\), (\w+) \(routed\)")
_UFW_RULE = lazy_compile(
    r"^(?:\[\s*\d+\]\s*)?(?P<to>\S.*?)\s{2,}(?P<action>ALLOW|DENY|REJECT|LIMIT)"
    r"(?: (?P<direction>IN|OUT|FWD))?\s{2,}(?P<source>\S.*?)\s*$"
)


def _covers(spec: str, port: int, proto: str) -> bool | None:
    """Whether a port spec (``10250/tcp``, ``10000-20000/tcp``, ``10250``) covers the port;
    None when ``spec`` is not a port spec."""
    found = _PORT_SPEC.match(spec)
    if found is None:
        return None
    low = int(found.group("low"))
    high = int(found.group("high") or low)
    return low <= port <= high and found.group("proto") in (None, proto)


def firewalld_zone(lines: Sequence[tuple[int, str]], running: bool = False) -> list[Reading] | None:
    """A zone as ``firewall-cmd --list-all`` prints it; None when the lines are not one. The
    firewall runs when ``firewall-cmd`` printed it (it needs the daemon) or the zone is marked
    active; a saved listing without the mark may be configuration only (firewall-offline-cmd)."""
    values: dict[str, tuple[str, int]] = {}
    head: tuple[int, str] | None = None
    last = ""
    for n, line in lines:
        if not line.strip():
            continue
        if head is None:
            found = _ZONE_HEAD.match(line)
            if found is None:
                return None
            head = (n, found.group("zone"))
            running = running or "active" in (found.group("state") or "")
            continue
        key = _ZONE_KEY.match(line)
        if key is not None:
            last = key.group("key")
            values[last] = (key.group("value").strip(), n)
        elif last == "rich rules":
            # Rich rules follow their key, one a line, indented with a tab.
            text, where = values[last]
            values[last] = (f"{text} {line.strip()}".strip(), where)
    if head is None or "target" not in values or "ports" not in values:
        return None
    target, target_line = values["target"]
    services = values.get("services", ("", target_line))[0].split()
    ports = values["ports"][0].split()
    rich = values.get("rich rules", ("", target_line))[0]
    shown = " ".join([*services, *ports]) or "(nothing)"
    readings: list[Reading] = [
        ("node.firewall.tool", "firewalld", head[0]),
        ("node.firewall.open_ports", shown, values["ports"][1]),
    ]
    if running:
        readings.append(("node.firewall.active", True, head[0]))
    admitted = _firewalld_admits_kubelet(target, services, ports, rich)
    if admitted is not None:
        readings.append(("node.firewall.kubelet_port_open", admitted, values["ports"][1]))
    return readings


def _firewalld_admits_kubelet(
    target: str, services: list[str], ports: list[str], rich: str
) -> bool | None:
    if target == "ACCEPT":
        return True
    if target not in ("default", "REJECT", "%%REJECT%%", "DROP") or rich:
        return None  # a rich rule may admit the port from some sources: not settled here
    if any(s in _FIREWALLD_KUBELET_SERVICES for s in services):
        return True
    if any(_covers(p, KUBELET_PORT, "tcp") for p in ports):
        return True
    if any(("kube" in s or "k8s" in s) for s in services):
        return None  # a site's own Kubernetes service: its ports are not in the listing
    return False


def ufw_status(lines: Sequence[tuple[int, str]]) -> list[Reading] | None:
    """``ufw status`` (plain, ``verbose`` or ``numbered``); None when the lines are not it."""
    status = next(((n, m.group(1)) for n, line in lines if (m := _UFW_STATUS.match(line))), None)
    if status is None:
        return None
    readings: list[Reading] = [
        ("node.firewall.active", status[1] == "active", status[0]),
        ("node.firewall.tool", "ufw", status[0]),
    ]
    if status[1] != "active":
        return readings
    default = next(((n, m) for n, line in lines if (m := _UFW_DEFAULT.match(line))), None)
    rules = [(n, m) for n, line in lines if (m := _UFW_RULE.match(line)) and m.group("to") != "To"]
    allowed = [
        m.group("to").removesuffix(" (v6)")
        for _, m in rules
        if m.group("action") in ("ALLOW", "LIMIT") and m.group("direction") in (None, "IN")
    ]
    where = rules[0][0] if rules else status[0]
    readings.append(
        ("node.firewall.open_ports", " ".join(dict.fromkeys(allowed)) or "(nothing)", where)
    )
    incoming = default[1].group(1) if default else "deny"  # ufw ships DEFAULT_INPUT_POLICY="DROP"
    if incoming in ("deny", "reject"):
        admitted = _ufw_admits_kubelet(allowed)
        if admitted is not None:
            readings.append(("node.firewall.kubelet_port_open", admitted, where))
    elif incoming == "allow":
        readings.append(("node.firewall.kubelet_port_open", True, default[0] if default else where))
    if default and default[1].group(3) in ("deny", "reject"):
        forwarded = any(m.group("direction") == "FWD" for _, m in rules)
        readings.append(("node.firewall.routed_blocked", not forwarded, default[0]))
    return readings


def _ufw_admits_kubelet(allowed: list[str]) -> bool | None:
    undecided = False
    for to in allowed:
        target = to.split(" on ", 1)[0].strip()
        words = target.split()
        if target == "Anywhere" or (len(words) == 1 and _is_address(words[0])):
            return True  # every port (to this address) from the rule's source
        if _covers(words[-1], KUBELET_PORT, "tcp"):
            return True
        if _PORT_SPEC.match(words[-1]) is None and "kube" in target.lower():
            undecided = True  # an application profile: its ports are not in the listing
    return None if undecided else False


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def read_firewall(command: Sequence[str], out: Sequence[tuple[int, str]]) -> list[Reading] | None:
    """The readings of a firewall command's output, given its argument words: None for a
    command this reader does not know, [] for one it knows that printed nothing usable."""
    if not command:
        return None
    name, args = command[0], tuple(command[1:])
    lines = [(n, line.rstrip()) for n, line in out]
    if name == "firewall-cmd" and "--state" in args:
        for n, line in lines:
            if line.strip() in ("running", "not running"):
                return [
                    ("node.firewall.active", line.strip() == "running", n),
                    ("node.firewall.tool", "firewalld", n),
                ]
        return []
    if name == "firewall-cmd" and "--list-all" in args:
        for n, line in lines:
            if "FirewallD is not running" in line:
                return [("node.firewall.active", False, n), ("node.firewall.tool", "firewalld", n)]
        return firewalld_zone(lines, running=True) or []
    if name == "ufw" and args[:1] == ("status",):
        return ufw_status(lines) or []
    if name in _IPTABLES_BINARIES:
        if _lists_rules(args):
            return rule_listing(name, args, lines)
        return chain_policies(name, args, lines)
    return None


def _has_flag(args: Sequence[str], letter: str, long: str) -> bool:
    """The command has ``long``, or ``letter`` alone or among short flags (``-S``, ``-vS``)."""
    return any(
        a == long or (a.startswith("-") and not a.startswith("--") and letter in a[1:])
        for a in args
    )


def _lists_rules(args: Sequence[str]) -> bool:
    """``iptables -S`` / ``--list-rules``."""
    return _has_flag(args, "S", "--list-rules")


# A chain's policy as ``iptables -S`` prints it.
_POLICY_RULE = lazy_compile(r"^-P (?P<chain>\S+) (?P<policy>ACCEPT|DROP)$")


def rule_listing(name: str, args: Sequence[str], lines: Sequence[tuple[int, str]]) -> list[Reading]:
    """``iptables -S`` of the filter table, printed whole: the FORWARD policy (as
    :func:`chain_policies` reads it from ``-L``) and what :func:`iptables_rules` reads of the
    rules. The listing is all there is, so a FORWARD chain that drops by policy and has no
    rule at all drops every forwarded packet.

    >>> listing = [(1, "-P INPUT ACCEPT"), (2, "-P FORWARD DROP")]
    >>> for r in rule_listing("iptables", ("-S",), listing):
    ...     print(r)
    ('node.iptables.forward_policy', 'DROP', 2)
    ('node.iptables.forward_drops_pod_traffic', True, 2)
    >>> rule_listing("iptables", ("-t", "nat", "-S"), [(1, "-P PREROUTING ACCEPT")])
    []
    """
    if _table(args) != "filter":
        return []
    readings: list[Reading] = []
    for n, line in lines:
        policy = _POLICY_RULE.match(line.strip())
        if policy is not None and policy.group("chain") == "FORWARD":
            key = f"node.iptables.{_IPTABLES_BINARIES[name]}forward_policy"
            readings.append((key, policy.group("policy"), n))
    return readings + iptables_rules(lines, whole=True)


# The binary names a listing comes from: the host's ``iptables`` (whichever backend its symlink
# picks) and the two variants iptables 1.8 installs side by side.
_IPTABLES_BINARIES = {"iptables": "", "iptables-legacy": "legacy.", "iptables-nft": "nft."}
_CHAIN_HEAD = lazy_compile(r"^Chain (?P<chain>\S+) \(policy (?P<policy>[A-Z]+)\b")


def chain_policies(
    name: str, args: Sequence[str], lines: Sequence[tuple[int, str]]
) -> list[Reading] | None:
    """``iptables -L [FORWARD]`` of the filter table (``-nvL``, ``--list``): the FORWARD chain's
    policy, under the backend the binary names (``node.iptables.legacy.forward_policy``) or, for
    the plain ``iptables``, the host's (``node.iptables.forward_policy``). Both backends' chains
    see every forwarded packet, so a DROP in either drops what the other accepts; two binaries
    printing different policies are two rule sets. None for other iptables commands."""
    if not _has_flag(args, "L", "--list") or _table(args) != "filter":
        return None
    for n, line in lines:
        head = _CHAIN_HEAD.match(line.strip())
        if head is not None and head.group("chain") == "FORWARD":
            return [
                (f"node.iptables.{_IPTABLES_BINARIES[name]}forward_policy", head.group("policy"), n)
            ]
    return []


def _table(args: Sequence[str]) -> str:
    """The table an iptables command names (``-t nat``, ``-tnat``, ``--table=nat``), filter
    by default."""
    for index, arg in enumerate(args):
        if arg in ("-t", "--table") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--table="):
            return arg.split("=", 1)[1]
        if arg.startswith("-t") and len(arg) > 2 and not arg.startswith("--"):
            return arg[2:]
    return "filter"


_IPTABLES_LINE = lazy_compile(
    r"^(?:\[\d+:\d+\] )?-[APN] \S+|^\*(?:filter|nat|mangle|raw|security)$|^:\S+ \S+ \[\d+:\d+\]$"
    r"|^COMMIT$|^# (?:Generated by|Completed on) ip6?tables-save|^# Warning: iptables-legacy"
)
_RULE = lazy_compile(r"^(?:\[\d+:\d+\] )?-A (?P<chain>\S+) (?P<spec>.*)$")
# A rule that matches every packet and rejects or drops it (a comment is no match).
_CATCH_ALL = lazy_compile(
    r"^(?:-m comment --comment (?:\"[^\"]*\"|\S+) )?-j (?:REJECT(?: --reject-with \S+)?|DROP)$"
)


# A FORWARD rule that lets pod traffic through: kube-proxy's KUBE-FORWARD chain, a CNI's own
# chain, an ACCEPT naming a pod network's interface (a CNI bridge or tunnel, not Docker's own
# docker0) or an address range (flannel accepts its pod network's CIDR).
_ADMITS_PODS = lazy_compile(
    r"-j KUBE-FORWARD\b|-[io] (?:cni\d*|flannel\S*|cali\S*|cilium\S*|weave|kube-bridge|vxlan\S*|"
    r"tunl\d+|lxc\S*|cbr0|genev\S*|kube-ipvs0)\b.*-j ACCEPT|-j (?:CNI-FORWARD|FLANNEL-FWD|"
    r"cali-FORWARD|CILIUM_FORWARD|WEAVE-NPC\S*|KUBE-ROUTER-FORWARD)\b"
    r"|-[sd] \d+\.\d+\.\d+\.\d+/\d+\b.*-j ACCEPT"
)
_POLICY = lazy_compile(r"^:(?P<chain>\S+) (?P<policy>ACCEPT|DROP) \[\d+:\d+\]$")
# dockerd's own FORWARD rules (its DOCKER* chains, docker0): dockerd is then who set the policy.
_DOCKER_FORWARD = lazy_compile(r"-j DOCKER(?:-USER|-ISOLATION\S*|-FORWARD)?\b|-[io] docker0\b")


def iptables_rules(lines: Sequence[tuple[int, str]], whole: bool = False) -> list[Reading]:
    """The catch-all REJECT/DROP of the filter table's INPUT and FORWARD chains and the rules
    listed after it, which no packet reaches; and a FORWARD chain that drops by policy while no
    rule admits pod traffic (Docker 1.13+ sets the policy to DROP and admits only docker0).
    A file may hold a part of the rules, so a FORWARD chain of no rule counts only when the
    listing is known to be ``whole`` (a command's output that no filter cut).

    >>> for reading in iptables_rules([(1, "*filter"), (2, ":FORWARD DROP [0:0]"),
    ...                 (3, "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT"), (4, "COMMIT")]):
    ...     print(reading)
    ('node.iptables.forward_drops_pod_traffic', True, 2)
    ('node.iptables.forward_rules_of_docker', True, 3)
    >>> iptables_rules([(1, ":FORWARD DROP [0:0]"), (2, "-A FORWARD -s 10.244.0.0/16 -j ACCEPT")])
    []
    """
    table = "filter"  # ``iptables -S`` lists the filter table without a header
    caught: dict[str, int] = {}
    after: list[tuple[str, int]] = []
    forward_drop: int | None = None
    forward_rules = 0
    admits_pods = False
    docker_rule: int | None = None
    for n, line in lines:
        text = line.strip()
        if text.startswith("*"):
            table = text[1:]
            continue
        policy = _POLICY.match(text) or _POLICY_RULE.match(text)
        if policy and table == "filter" and policy.group("chain") == "FORWARD":
            forward_drop = n if policy.group("policy") == "DROP" else None
            continue
        rule = _RULE.match(text)
        if rule is not None and table == "filter" and rule.group("chain") == "FORWARD":
            forward_rules += 1
            admits_pods = admits_pods or _ADMITS_PODS.search(rule.group("spec")) is not None
            if docker_rule is None and _DOCKER_FORWARD.search(rule.group("spec")):
                docker_rule = n
        if rule is None or table != "filter" or rule.group("chain") not in ("INPUT", "FORWARD"):
            continue
        chain = rule.group("chain")
        if chain in caught:
            after.append((chain, n))
        elif _CATCH_ALL.match(rule.group("spec")):
            caught[chain] = n
    readings: list[Reading] = []
    if forward_drop is not None and (forward_rules or whole) and not admits_pods:
        readings.append(("node.iptables.forward_drops_pod_traffic", True, forward_drop))
        if docker_rule is not None:
            readings.append(("node.iptables.forward_rules_of_docker", True, docker_rule))
    if not caught:
        return readings
    first = min(caught.values())
    readings.append(("node.iptables.catch_all_reject", ",".join(sorted(caught)), first))
    readings.append(
        ("node.iptables.rules_after_reject", len(after), after[0][1] if after else first)
    )
    return readings


class IptablesRules:
    """``iptables-save`` / ``iptables -S`` output (a file, or a command in a session)."""

    name = "iptables-rules"
    # Its score needs an appended rule.
    hints = ("-A ",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        hits = sum(1 for line in lines if _IPTABLES_LINE.match(line))
        if hits >= 3 and hits >= 0.8 * len(lines) and any(_RULE.match(x) for x in lines):
            return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])
        add_rule_readings(text, ctx, result)
        return result


def add_rule_readings(text: str, ctx: Context, result: ParseResult) -> None:
    """What a rule listing's filter table admits, and every line as a record for line patterns
    (a line already recorded, such as iptables' legacy-tables warning, is not recorded twice)."""
    numbered = list(enumerate(text.splitlines(), 1))
    result.facts.extend(_facts(iptables_rules(numbered), dict(numbered), ctx))
    recorded = {r.line for r in result.records}
    result.records.extend(
        Record(line, n) for n, line in numbered if line.strip() and n not in recorded
    )


def _facts(readings: list[Reading], lines: dict[int, str], ctx: Context) -> list[Fact]:
    node = Entity.for_node(ctx.node or UNKNOWN_NODE)
    return [
        Fact(name, node, value, Evidence(ctx.source, n, None, lines.get(n, "").strip()))
        for name, value, n in readings
    ]


class FirewalldZone:
    """A zone listing saved to a file (``firewall-cmd --list-all > zone.txt``)."""

    name = "firewalld-zone"
    hints = ("target:",)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        keys = sum(1 for line in lines if _ZONE_KEY.match(line))
        if not lines or not _ZONE_HEAD.match(lines[0]) or keys < 4:
            return 0.0
        return 0.85 if any(line.strip().startswith("target:") for line in lines) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        numbered = list(enumerate(text.splitlines(), 1))
        result = ParseResult(entities=[Entity.for_node(ctx.node or UNKNOWN_NODE)])
        result.facts.extend(_facts(firewalld_zone(numbered) or [], dict(numbered), ctx))
        return result


class UfwStatus:
    """``ufw status`` saved to a file."""

    name = "ufw-status"
    hints = (_UFW_STATUS,)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        return 0.85 if lines and _UFW_STATUS.match(lines[0]) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        numbered = list(enumerate(text.splitlines(), 1))
        result = ParseResult(entities=[Entity.for_node(ctx.node or UNKNOWN_NODE)])
        result.facts.extend(_facts(ufw_status(numbered) or [], dict(numbered), ctx))
        return result


FIREWALLD_ZONE = FirewalldZone()
IPTABLES_RULES = IptablesRules()
FORMATS = [FIREWALLD_ZONE, UfwStatus(), IPTABLES_RULES]
