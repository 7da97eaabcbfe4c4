"""Consistent obfuscation of IP addresses, MAC addresses and host names (``--obfuscate``).

Like ``sos clean``: each distinct value gets one stand-in for the whole run, so a report or
bundle still says "the same node" and "the same address" without saying which. IPv4 addresses
become addresses of the reserved ``240.0.0.0/4`` range, IPv6 ones of the documentation prefix
``2001:db8::/32``, MAC addresses ``02:00:00:xx:xx:xx`` (locally administered), host names
``host-N`` (their domain ``domain-N``). Host names are the ones the caller names (the nodes
of the evidence) and the names built from an address (``ip-10-0-0-7``, ``host-10-0-0-7``).

>>> o = Obfuscator(hosts=["worker-7.corp.example"])
>>> o.text("worker-7.corp.example at 10.0.0.7, again 10.0.0.7; peer 10.0.0.8")
'host-1.domain-1 at 240.0.0.1, again 240.0.0.1; peer 240.0.0.2'
>>> o.text("ip-10-0-0-7.ec2.internal fe80::1 52:54:00:12:34:56")
'host-2.ec2.internal 2001:db8::3 02:00:00:00:00:01'
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from kubewhy.lazy_re import lazy_compile

_IPV4 = r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
# One pass for all three, so that a stand-in is never rewritten again.
_ADDRESS = lazy_compile(
    r"(?<![\w:.])(?:"
    r"(?P<mac>(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2})(?![\w:])"
    rf"|(?P<v4>{_IPV4})(?![\w]|\.\d)"
    r"|(?P<v6>[0-9a-fA-F:]*::?[0-9a-fA-F:]*[0-9a-fA-F:](?:%\w+)?)(?![\w:])"
    r")"
)
_IP_HOST = lazy_compile(r"\b(?:ip|host|node)-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\b", re.IGNORECASE)


class Obfuscator:
    """One mapping for a whole run: feed every string through :meth:`text`."""

    def __init__(self, hosts: Iterable[str] = ()) -> None:
        self._ips: dict[str, str] = {}
        self._macs: dict[str, str] = {}
        self._hosts: dict[str, str] = {}
        self._domains: dict[str, str] = {}
        self._names: re.Pattern[str] | None = None
        self.add_hosts(hosts)

    def add_hosts(self, hosts: Iterable[str]) -> None:
        """Host names to hide from now on (a node's name, with its domain)."""
        for host in hosts:
            if host and not re.fullmatch(_IPV4, host) and host not in self._hosts:
                short, _, domain = host.partition(".")
                self._hosts[host] = self._host(short) + (
                    f".{self._domain(domain)}" if domain else ""
                )
                self._hosts.setdefault(short, self._host(short))
        names = sorted(self._hosts, key=len, reverse=True)
        self._names = (
            # Within a file name too (metrics-node-7.json), never inside a longer name.
            re.compile(
                r"(?<![A-Za-z0-9])(?:"
                + "|".join(map(re.escape, names))
                + r")(?![A-Za-z0-9_]|-[A-Za-z0-9])"
            )
            if names
            else None
        )

    def _host(self, short: str) -> str:
        key = "short:" + short
        if key not in self._domains:
            self._domains[key] = f"host-{sum(k.startswith('short:') for k in self._domains) + 1}"
        return self._domains[key]

    def _domain(self, domain: str) -> str:
        if domain not in self._domains:
            count = sum(not k.startswith("short:") for k in self._domains) + 1
            self._domains[domain] = f"domain-{count}"
        return self._domains[domain]

    def _address(self, match: re.Match[str]) -> str:
        value = match.group(0)
        if match.group("mac"):
            return self._mac(value.lower())
        if match.group("v6"):
            address = value.split("%")[0]
            if "::" not in address and address.count(":") != 7:
                return value  # 12:34:56 is a time, not an address
            try:
                ipaddress.IPv6Address(address)
            except ValueError:
                return value
        if value not in self._ips:
            n = len(self._ips) + 1
            if ":" in value:
                self._ips[value] = f"2001:db8::{n:x}"
            else:
                self._ips[value] = f"240.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        return self._ips[value]

    def _mac(self, value: str) -> str:
        if value not in self._macs:
            n = len(self._macs) + 1
            self._macs[value] = "02:00:00:" + ":".join(f"{n >> s & 255:02x}" for s in (16, 8, 0))
        return self._macs[value]

    def _ip_host(self, match: re.Match[str]) -> str:
        return self._host(match.group(0).lower())

    def text(self, text: str) -> str:
        if self._names is not None:
            text = self._names.sub(lambda m: self._hosts[m.group(0)], text)
        text = _IP_HOST.sub(self._ip_host, text)
        return _ADDRESS.sub(self._address, text)
