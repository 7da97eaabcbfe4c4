"""Listening sockets (netstat -an, ss -lntu): a DNS stub on a loopback address.

The listings are real output of net-tools 2.10 and iproute2 6.1 in a private network namespace
(tests/parsers/data/PROVENANCE.md); the systemd-resolved row with its interface suffix is built
from ss's layout for a socket bound to a device.
"""

from __future__ import annotations

from pathlib import Path

from kubewhy.parsers.base import Context
from kubewhy.parsers.commands import facts_of
from kubewhy.parsers.sockets import dns_stub_readings

DATA = Path(__file__).parent / "data"


def _blocks() -> list[tuple[str, list[tuple[int, str]]]]:
    blocks: list[tuple[str, list[tuple[int, str]]]] = []
    text = (DATA / "network" / "sockets-loopback-dns-stubs.txt").read_text().splitlines()
    for n, line in enumerate(text, 1):
        if line.startswith("# "):
            blocks.append((line[2:], []))
        else:
            blocks[-1][1].append((n, line))
    return blocks


def test_netstat_and_ss_show_the_loopback_stubs() -> None:
    for command, out in _blocks():
        facts = facts_of(command, out, Context("terminal.txt", node="n1"))
        assert facts is not None
        values = {f.name: f.value for f in facts}
        assert set(values["node.dns_stub_listening"].split(",")) == {"127.0.0.53", "127.0.1.1"}


def test_only_loopback_listeners_on_port_53_count() -> None:
    rows = [
        (1, "tcp        0      0 0.0.0.0:53              0.0.0.0:*               LISTEN"),
        (2, "tcp        0      0 127.0.0.53:53           127.0.0.1:41234         ESTABLISHED"),
        (3, "udp   UNCONN 0      0            127.0.0.1:5353       0.0.0.0:*"),
        (4, "tcp   LISTEN 0      4096     169.254.20.10:53         0.0.0.0:*"),
    ]
    assert dns_stub_readings(rows) == []
    resolved = [(7, "udp   UNCONN 0      0      127.0.0.53%lo:53        0.0.0.0:*")]
    assert dns_stub_readings(resolved) == [("node.dns_stub_listening", "127.0.0.53", 7)]


def test_statistics_and_counts_are_not_socket_listings() -> None:
    out = [(2, "Ip:"), (3, "    Forwarding: 1")]
    assert facts_of("netstat -s", out, Context("t.txt")) is None
    rows = [(2, "udp   UNCONN 0      0         127.0.0.53:53         0.0.0.0:*")]
    facts = facts_of("ss -lnu | grep ':53 '", rows, Context("t.txt"))
    assert facts is not None
    assert [f.value for f in facts] == ["127.0.0.53"]
