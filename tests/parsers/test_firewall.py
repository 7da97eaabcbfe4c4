"""Host firewall listings: firewalld zones, ufw status, iptables-save and iptables -S.

The listings are real output (firewalld 1.3.3's firewall-offline-cmd, ufw 0.36.2 and iptables
1.8.9 on Debian 12, in a private network namespace) unless a test says it built one from the
same layout; firewall-offline-cmd also runs here when it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kubewhy.kb.load import default_knowledge_base
from kubewhy.parsers import nettools
from kubewhy.parsers.base import Context
from kubewhy.parsers.commands import COMMANDS, facts_of
from kubewhy.parsers.firewall import FORMATS, iptables_rules, read_firewall
from kubewhy.parsers.registry import detect
from kubewhy.pipeline import Request, observe

BY_NAME = {f.name: f for f in FORMATS}

DATA = Path(__file__).parent / "data"
ZONE = (DATA / "firewalld_list_all.txt").read_text()
UFW_VERBOSE = (DATA / "ufw_status_verbose.txt").read_text()
IPTABLES_SAVE = (DATA / "iptables_save_rejects.txt").read_text()


def _facts(fmt: str, text: str) -> dict[str, object]:
    result = BY_NAME[fmt].parse(text, Context("out.txt", node="n1"))
    return {f.name: f.value for f in result.facts}


def test_a_zone_that_admits_the_kubelet_through_a_service_and_a_port() -> None:
    assert detect(ZONE.splitlines()).name == "firewalld-zone"
    facts = _facts("firewalld-zone", ZONE)
    assert facts["node.firewall.kubelet_port_open"] is True
    assert facts["node.firewall.open_ports"] == "dhcpv6-client kube-worker ssh 6443/tcp 10250/tcp"
    # A saved listing without "(active)" may be configuration only.
    assert "node.firewall.active" not in facts


@pytest.mark.parametrize(
    ("services", "ports", "rich", "expected"),
    [
        ("dhcpv6-client ssh", "6443/tcp", "", False),
        ("ssh kubelet", "", "", True),  # firewalld's own service for 10250/tcp
        ("ssh", "10000-11000/tcp", "", True),
        ("ssh", "10250/udp", "", False),
        ("ssh", "", 'rule family="ipv4" source address="10.0.1.0/24" accept', None),
        ("ssh my-kube-node", "", "", None),  # a site's own service: ports unknown
    ],
)
def test_whether_a_zone_admits_the_kubelet_port(
    services: str, ports: str, rich: str, expected: bool | None
) -> None:
    # built from firewall-cmd --list-all's layout
    text = (
        f"public (active)\n  target: default\n  interfaces: eth0\n  services: {services}\n"
        f"  ports: {ports}\n  rich rules: \n\t{rich}\n"
    )
    facts = _facts("firewalld-zone", text)
    assert facts["node.firewall.active"] is True
    assert facts.get("node.firewall.kubelet_port_open") is expected


def test_ufw_default_policies_and_rules() -> None:
    assert detect(UFW_VERBOSE.splitlines()).name == "ufw-status"
    facts = _facts("ufw-status", UFW_VERBOSE)
    assert facts["node.firewall.active"] is True
    assert facts["node.firewall.open_ports"] == "22/tcp 6443/tcp"
    assert facts["node.firewall.kubelet_port_open"] is False
    assert facts["node.firewall.routed_blocked"] is True


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("10250/tcp                  ALLOW IN    10.0.1.0/24", True),
        ("Anywhere                   ALLOW IN    10.0.1.0/24", True),
        ("10000:11000/tcp            ALLOW IN    Anywhere", True),
        ("OpenSSH                    ALLOW IN    Anywhere", False),
    ],
)
def test_ufw_rules_that_admit_the_kubelet(rule: str, expected: bool) -> None:
    header = "To                         Action      From\n--   ------  ----"
    text = f"Status: active\n\n{header}\n{rule}\n"
    assert _facts("ufw-status", text)["node.firewall.kubelet_port_open"] is expected


def test_ufw_inactive_says_only_that() -> None:
    facts = _facts("ufw-status", "Status: inactive\n")
    assert facts == {"node.firewall.active": False, "node.firewall.tool": "ufw"}


def test_rules_after_a_catch_all_reject_are_counted_and_cited() -> None:
    # A listing headed by iptables-save is read by that tool's reader, which adds these facts.
    assert detect(IPTABLES_SAVE.splitlines()).name == "iptables-save"
    (reader,) = [f for f in nettools.FORMATS if f.name == "iptables-save"]
    result = reader.parse(IPTABLES_SAVE, Context("save.txt", node="n1"))
    facts = {f.name: f for f in result.facts}
    assert facts["node.iptables.catch_all_reject"].value == "FORWARD,INPUT"
    after = facts["node.iptables.rules_after_reject"]
    assert after.value == 1
    assert after.evidence is not None
    assert (
        after.evidence.text == '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD'
    )
    # Every line stays readable by line patterns.
    assert any(
        r.text == "-A INPUT -j REJECT --reject-with icmp-host-prohibited" for r in result.records
    )


def test_a_catch_all_at_the_end_leaves_nothing_dead_and_other_tables_do_not_count() -> None:
    text = (
        "*nat\n-A PREROUTING -j DROP\n-A INPUT -j DROP\nCOMMIT\n*filter\n"
        "-A INPUT -p tcp --dport 10250 -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n"
    )
    readings = iptables_rules(list(enumerate(text.splitlines(), 1)))
    assert readings == [
        ("node.iptables.catch_all_reject", "INPUT", 7),
        ("node.iptables.rules_after_reject", 0, 7),
    ]


def test_commands_in_a_session_are_read_with_their_command() -> None:
    out = [(2, "running")]
    facts = facts_of("firewall-cmd --state", out, Context("s.txt", node="n1"))
    assert facts is not None
    assert {f.name: f.value for f in facts}["node.firewall.active"] is True
    listing = list(enumerate(("public (active)", *ZONE.splitlines()[1:]), 2))
    facts = facts_of("firewall-cmd --zone=public --list-all", listing, Context("s.txt"))
    assert facts is not None
    assert {f.name: f.value for f in facts}["node.firewall.kubelet_port_open"] is True
    # A listing cut by grep is not the zone.
    assert read_firewall(("firewall-cmd", "--list-all"), [(1, "FirewallD is not running")]) == [
        ("node.firewall.active", False, 1),
        ("node.firewall.tool", "firewalld", 1),
    ]


def test_real_firewall_offline_cmd_listing() -> None:
    tool = shutil.which("firewall-offline-cmd")
    if tool is None:
        pytest.skip("firewalld is not installed")
    text = subprocess.run(
        [tool, "--zone=public", "--list-all"], capture_output=True, text=True, check=True
    ).stdout
    facts = _facts("firewalld-zone", text)
    assert facts["node.firewall.tool"] == "firewalld"
    assert "node.firewall.open_ports" in facts


def test_forward_policy_of_each_backend_from_iptables_listings() -> None:
    # Real iptables 1.8.9 output (nf_tables host binary and iptables-legacy) in a private network
    # namespace after `iptables -P FORWARD DROP`, as a root session.
    session = (DATA / "network" / "iptables-list-forward-two-backends.txt").read_text().splitlines()
    blocks: list[tuple[str, list[tuple[int, str]]]] = []
    for n, line in enumerate(session, 1):
        if line.startswith("# "):
            blocks.append((line[2:], []))
        else:
            blocks[-1][1].append((n, line))
    found = {}
    for command, out in blocks:
        facts = facts_of(command, out, Context("terminal.txt", node="n1"))
        assert facts is not None
        found.update({f.name: f.value for f in facts})
    assert found == {
        "node.iptables.forward_policy": "DROP",
        "node.iptables.legacy.forward_policy": "ACCEPT",
    }
    # Another table, or a command that does not list, says nothing of the filter FORWARD chain.
    assert (
        read_firewall(("iptables", "-t", "nat", "-L"), [(1, "Chain PREROUTING (policy ACCEPT)")])
        is None
    )
    assert read_firewall(("iptables", "-A", "FORWARD", "-j", "ACCEPT"), []) is None
    assert (
        read_firewall(("iptables-nft", "--list", "INPUT"), [(1, "Chain INPUT (policy ACCEPT)")])
        == []
    )


def test_an_iptables_listing_keeps_its_lines_for_the_legacy_tables_warning(tmp_path: Path) -> None:
    # Real iptables 1.8.9 (nf_tables) output in a private network namespace where iptables-legacy
    # had listed its tables first: the warning comes before the chain.
    session = (
        "root@n1:~# iptables -L FORWARD\n"
        "# Warning: iptables-legacy tables present, use iptables-legacy to see them\n"
        "Chain FORWARD (policy DROP)\n"
        "target     prot opt source               destination         \n"
    )
    result = COMMANDS.parse(session, Context("terminal.txt", node="n1"))
    assert {f.name: f.value for f in result.facts} == {"node.iptables.forward_policy": "DROP"}
    # The section read for its facts is still scanned line by line: the warning is a symptom.
    (tmp_path / "terminal.txt").write_text(session)
    seen = observe(Request(paths=(tmp_path / "terminal.txt",)), default_knowledge_base()).seen
    warned = [h for h in seen.hits if h.symptom == "legacy-tables-present"]
    assert warned and warned[0].samples[0].line == 2


def _rule_listing_facts(command: str, lines: list[str]) -> dict[str, object] | None:
    facts = facts_of(command, list(enumerate(lines, 2)), Context("terminal.txt", node="n1"))
    return None if facts is None else {f.name: f.value for f in facts}


def test_a_whole_rule_listing_whose_forward_chain_drops_with_no_rule() -> None:
    # Real iptables 1.8.9 output in a private network namespace after `iptables -P FORWARD
    # DROP` (what Docker 1.13+ does when it turns on forwarding), as a root session: no rule
    # admits anything, so nothing is forwarded.
    session = (DATA / "network" / "iptables-S-forward-drop-no-rules.txt").read_text().splitlines()
    assert session[0] == "# iptables -S"
    found = _rule_listing_facts("iptables -S", session[1:])
    assert found == {
        "node.iptables.forward_policy": "DROP",
        "node.iptables.forward_drops_pod_traffic": True,
    }
    # The same listing through grep is a part of the rules: nothing is concluded from it.
    assert _rule_listing_facts("iptables -S | grep FORWARD", ["-P FORWARD DROP"]) is None
    # Another table's listing says nothing of the filter table's forwarding.
    assert _rule_listing_facts("iptables -t nat -S", ["-P PREROUTING ACCEPT"]) == {}
    # A policy that accepts, or a rule that admits the pods' network, is no drop.
    assert _rule_listing_facts("iptables -S", ["-P INPUT ACCEPT", "-P FORWARD ACCEPT"]) == {
        "node.iptables.forward_policy": "ACCEPT"
    }
    admitted = ["-P FORWARD DROP", "-A FORWARD -s 10.244.0.0/16 -j ACCEPT"]
    assert _rule_listing_facts("sudo iptables -S", admitted) == {
        "node.iptables.forward_policy": "DROP"
    }


def test_a_live_rule_listing_in_a_private_network_namespace() -> None:
    unshare, iptables = shutil.which("unshare"), shutil.which("iptables")
    if unshare is None or iptables is None:
        pytest.skip("unshare or iptables is not installed")
    done = subprocess.run(
        [unshare, "-n", "sh", "-c", f"{iptables} -P FORWARD DROP && {iptables} -S"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"no private network namespace here: {done.stderr.strip()}")
    found = _rule_listing_facts("iptables -S", done.stdout.splitlines())
    assert found is not None
    assert found["node.iptables.forward_drops_pod_traffic"] is True
