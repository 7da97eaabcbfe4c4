"""Listening sockets as ``netstat -an`` / ``netstat -lntu`` and ``ss -lntu`` print them.

Read for one thing: a DNS server on the node that listens on port 53 of a loopback address
only, a stub resolver. systemd-resolved's stub listens on 127.0.0.53 (and 127.0.0.54),
NetworkManager's dnsmasq on 127.0.1.1; the node's /etc/resolv.conf then names that address
(the distributions' default), and pods that inherit the file reach their own loopback instead.
A listing cut by grep still shows whole rows, so what it shows is read; what it does not show
is not taken for absence.

>>> rows = [(1, "udp   UNCONN 0  0   127.0.0.53%lo:53   0.0.0.0:*"),
...         (2, "tcp   LISTEN 0  4096    0.0.0.0:22     0.0.0.0:*")]
>>> dns_stub_readings(rows)
[('node.dns_stub_listening', '127.0.0.53', 1)]
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from kubewhy.model.facts import Value

# netstat: "tcp   0   0 127.0.0.53:53   0.0.0.0:*   LISTEN" (udp rows have no state);
# ss: "[Netid] State Recv-Q Send-Q Local:Port Peer:Port [Process]".
_NETSTAT_ROW = re.compile(
    r"^(?P<proto>tcp6?|udp6?)\s+\d+\s+\d+\s+(?P<local>\S+)\s+\S+(?:\s+(?P<state>[A-Z_0-9]+))?\s*$"
)
_SS_ROW = re.compile(
    r"^(?:(?P<proto>tcp|udp)\s+)?(?P<state>LISTEN|UNCONN)\s+\d+\s+\d+\s+(?P<local>\S+)\s+\S+"
)


def _loopback_port_53(local: str) -> str | None:
    """The address of ``local`` (``127.0.0.53%lo:53``, ``[::1]:53``) when it is a loopback
    address on port 53."""
    address, _, port = local.rpartition(":")
    if port != "53":
        return None
    address = address.strip("[]").split("%", 1)[0]
    try:
        return address if ipaddress.ip_address(address).is_loopback else None
    except ValueError:
        return None


def dns_stub_readings(lines: Sequence[tuple[int, str]]) -> list[tuple[str, Value, int]]:
    """The loopback addresses a DNS server listens on (comma separated), citing the first row;
    nothing when the listing shows none."""
    found: list[tuple[str, int]] = []
    for n, line in lines:
        text = line.strip()
        row = _NETSTAT_ROW.match(text)
        if row is not None:
            listening = row.group("proto").startswith("udp") or row.group("state") == "LISTEN"
        else:
            row = _SS_ROW.match(text)
            listening = row is not None
        if row is None or not listening:
            continue
        address = _loopback_port_53(row.group("local"))
        if address is not None and address not in (a for a, _ in found):
            found.append((address, n))
    if not found:
        return []
    return [("node.dns_stub_listening", ",".join(a for a, _ in found), found[0][1])]


# The owner a listing prints with -p: netstat's "PID/Program" column, ss's users:(("name",...)).
_NETSTAT_OWNED = re.compile(
    r"^(?P<proto>tcp6?|udp6?)\s+\d+\s+\d+\s+(?P<local>\S+)\s+\S+\s+(?:(?P<state>[A-Z_0-9]+)\s+)?"
    r"\d+/(?P<program>\S+)"
)
_SS_OWNED = re.compile(
    r"^(?:(?:tcp|udp)\s+)?(?:LISTEN|UNCONN)\s+\d+\s+\d+\s+(?P<local>\S+)\s+\S+\s+"
    r"users:\(\(\"(?P<program>[^\"]+)\""
)


def listener_readings(lines: Sequence[tuple[int, str]]) -> list[tuple[str, Value, int]]:
    """The program listening on each port (``node.listener.<port>``), where the listing shows
    owners (``netstat -p``, ``ss -p``): the first owner of a port, citing its row.

    >>> listener_readings([(3, "tcp   0   0 0.0.0.0:179   0.0.0.0:*   LISTEN   1522/bgpd"),
    ...                    (4, 'udp   UNCONN 0  0  0.0.0.0:8472  0.0.0.0:*')])
    [('node.listener.179', 'bgpd', 3)]
    """
    found: dict[str, tuple[str, int]] = {}
    for n, line in lines:
        text = line.strip()
        row = _NETSTAT_OWNED.match(text)
        if row is not None and not (
            row.group("proto").startswith("udp") or row.group("state") == "LISTEN"
        ):
            continue
        row = row or _SS_OWNED.match(text)
        if row is None:
            continue
        port = row.group("local").rpartition(":")[2]
        if port.isdigit() and port not in found:
            found[port] = (row.group("program").rstrip(":"), n)
    return [(f"node.listener.{port}", program, n) for port, (program, n) in found.items()]
