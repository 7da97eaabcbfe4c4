"""Connectivity probes pasted from a terminal: ``ping``, ``curl``, ``wget``, ``telnet``, ``nc``.

Each says, for the address it tried, how far it got: ICMP echo answered or lost; a TCP connection
made, refused (RST), rejected by the path (``No route to host``: an ICMP host-prohibited or
unreachable came back) or never answered (timed out, or interrupted with ^C while waiting). The
facts are per address, so that a check can compare the probes of one address the way a person
reading the session does: ICMP answered while TCP to the same address gets no answer is not a
routing fault.

- ``node.probe.icmp.<address>``: ``answered`` or ``lost`` (ping)
- ``node.probe.tcp.<address>``: ``connected``, ``refused``, ``unreachable`` or ``timeout`` (a
  bare connect: telnet, nc)
- ``node.probe.app.<address>``: ``answered``, ``refused``, ``unreachable``, ``timeout`` or
  ``hung`` (an HTTP client: curl, wget; hung is interrupted with no word printed, which a connect
  that never completes and a connection that carries nothing back both give)

``<address>`` is the IPv4 address with its dots as underscores (``10_244_1_5``). Names are not
resolved: a probe of a name counts only where its own output shows the address (ping's header).

>>> probe_readings(("ping", "-c", "2", "10.4.0.1"), [
...     (2, "PING 10.4.0.1 (10.4.0.1) 56(84) bytes of data."),
...     (3, "64 bytes from 10.4.0.1: icmp_seq=1 ttl=64 time=44.7 ms")])
[('node.probe.icmp.10_4_0_1', 'answered', 3)]
>>> probe_readings(("curl", "172.27.1.11:2380"), [(5, "^C")])
[('node.probe.app.172_27_1_11', 'hung', 5)]
"""

from __future__ import annotations

from collections.abc import Sequence

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, DocumentFormat, ParseResult

ProbeReading = tuple[str, str, int]

_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
_ADDRESS = lazy_compile(rf"^{_IPV4}$")
_PING_HEAD = lazy_compile(rf"^PING \S+ \((?P<addr>{_IPV4})\)")
_PING_REPLY = lazy_compile(rf"^\d+ bytes from (?:\S+ \()?{_IPV4}\)?:")
# iputils "2 packets transmitted, 0 received, 100% packet loss"; busybox "2 packets received".
_PING_STATS = lazy_compile(r"^\d+ packets transmitted, (?P<got>\d+) (?:packets )?received")
_INTERRUPTED = lazy_compile(r"^\^C")
# The URL's host, or a bare host:port (curl's scheme is optional).
_URL_ADDR = lazy_compile(
    rf"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]*@)?(?P<addr>{_IPV4})(?::\d+)?(?:/|$)"
)
# curl's errors by exit code: 7 could not connect (refused, no route, timed out), 28 timed out.
_CURL_ERROR = lazy_compile(r"^curl: \(\d+\) (?P<text>.*)$")
_WGET_ERROR = lazy_compile(r"^wget: can't connect to remote host(?: \([^)]*\))?: (?P<text>.*)$")
_TELNET_TRYING = lazy_compile(rf"^Trying (?P<addr>{_IPV4})\.\.\.")
_CONNECTED = lazy_compile(
    r"^(?:Ncat: )?Connected to |^Connection to \S+ \d+ port \[[^\]]*\] succeeded"
    r"|\bsucceeded!$|\bopen$"
)


def _slug(address: str) -> str:
    return address.replace(".", "_")


def _outcome(text: str) -> str | None:
    """A connection failure's kind from its strerror wording."""
    lowered = text.lower()
    if "connection refused" in lowered:
        return "refused"
    if "no route to host" in lowered:
        return "unreachable"
    if "timed out" in lowered or "timeout" in lowered:
        return "timeout"
    return None


def _ping(args: Sequence[str], out: Sequence[tuple[int, str]]) -> list[ProbeReading] | None:
    address: str | None = next((a for a in args if _ADDRESS.match(a)), None)
    answered: int | None = None
    stats: tuple[int, int] | None = None
    for n, line in out:
        text = line.strip()
        head = _PING_HEAD.match(text)
        if head is not None:
            address = address or head.group("addr")
            continue
        reply = _PING_REPLY.match(text)
        if reply is not None and answered is None:
            answered = n
            continue
        found = _PING_STATS.match(text)
        if found is not None:
            stats = (n, int(found.group("got")))
    if address is None:
        return None
    key = f"node.probe.icmp.{_slug(address)}"
    if answered is not None:
        return [(key, "answered", answered)]
    if stats is not None:
        return [(key, "answered" if stats[1] > 0 else "lost", stats[0])]
    return []


def _tcp(
    name: str, args: Sequence[str], out: Sequence[tuple[int, str]]
) -> list[ProbeReading] | None:
    address = _target(name, args)
    lines = [(n, line.strip()) for n, line in out if line.strip()]
    if name == "telnet":
        trying = next((m.group("addr") for _, t in lines if (m := _TELNET_TRYING.match(t))), None)
        address = address or trying
    if address is None:
        return None  # a name, a socket path (curl --unix-socket): not a probe of an address
    app = name in ("curl", "wget")
    key = f"node.probe.{'app' if app else 'tcp'}.{_slug(address)}"
    for n, text in lines:
        if not app and _CONNECTED.search(text):
            return [(key, "connected", n)]
        error = _CURL_ERROR.match(text) or _WGET_ERROR.match(text)
        kind = _outcome(error.group("text") if error else text)
        if kind is not None and (error is not None or not app):
            return [(key, kind, n)]
    # Nothing but an interrupt: the client sat waiting until someone gave up (a connect that got
    # no answer, or for an HTTP client a connection that then carried nothing back).
    printed = [(n, t) for n, t in lines if not _TELNET_TRYING.match(t)]
    if printed and all(_INTERRUPTED.match(t) for _, t in printed):
        return [(key, "hung" if app else "timeout", printed[0][0])]
    if app and printed and not any(_INTERRUPTED.match(t) for _, t in printed):
        return [(key, "answered", printed[0][0])]  # it printed a response
    return []


def _target(name: str, args: Sequence[str]) -> str | None:
    words = [a for a in args if not a.startswith("-")]
    if name in ("curl", "wget"):
        for word in words:
            found = _URL_ADDR.match(word)
            if found is not None:
                return found.group("addr")
        return None
    # telnet HOST [PORT], nc [-zv] HOST PORT: the first operand that is an address
    return next((w for w in words if _ADDRESS.match(w)), None)


def probe_readings(
    command: Sequence[str], out: Sequence[tuple[int, str]]
) -> list[ProbeReading] | None:
    """What a probe command's output says of its address; None for a command that is not one,
    or that names no address (a host name whose address the output does not show, a socket)."""
    if not command:
        return None
    name, args = command[0], tuple(command[1:])
    if name == "ping":
        return _ping(args, out)
    if name in ("curl", "wget", "telnet", "nc", "ncat"):
        return _tcp(name, args, out)
    return None


# --- cilium-health status -------------------------------------------------------------------------

# cilium-health's status (cilium/pkg/health/client): per node, "Host connectivity to <ip>:" and
# "Endpoint connectivity to <ip>:" (the node's health endpoint, a pod address), each followed by
# its probes: "ICMP to stack:   OK, RTT=..." and "HTTP to agent:   OK, RTT=..." or the error.
_HEALTH_TARGET = lazy_compile(rf"^\s*(?:Host|Endpoint) connectivity to (?P<addr>{_IPV4}):\s*$")
_HEALTH_PROBE = lazy_compile(r"^\s*(?P<probe>ICMP to stack|HTTP to agent):\s+(?P<result>\S.*)$")


def health_readings(lines: Sequence[tuple[int, str]]) -> list[ProbeReading]:
    """The probes cilium-health ran from this node, as the same per-address readings.

    >>> health_readings([(1, "    Endpoint connectivity to 10.245.6.5:"),
    ...     (2, "      ICMP to stack:   OK, RTT=1.201896ms"),
    ...     (3, '      HTTP to agent:   Get "http://10.245.6.5:4240/hello": context deadline '
    ...         'exceeded (Client.Timeout exceeded while awaiting headers)')])
    [('node.probe.icmp.10_245_6_5', 'answered', 2), ('node.probe.app.10_245_6_5', 'timeout', 3)]
    """
    found: list[ProbeReading] = []
    address: str | None = None
    for n, line in lines:
        target = _HEALTH_TARGET.match(line)
        if target is not None:
            address = target.group("addr")
            continue
        probe = _HEALTH_PROBE.match(line)
        if probe is None or address is None:
            continue
        result = probe.group("result")
        ok = result.startswith("OK")
        if probe.group("probe").startswith("ICMP"):
            found.append((f"node.probe.icmp.{_slug(address)}", "answered" if ok else "lost", n))
            continue
        kind = (
            "answered" if ok else ("timeout" if "deadline exceeded" in result else _outcome(result))
        )
        if kind is not None:
            found.append((f"node.probe.app.{_slug(address)}", kind, n))
    return found


class CiliumHealth:
    name = "cilium-health"
    hints = ("connectivity to ",)

    def sniff(self, head: Sequence[str]) -> float:
        targets = sum(1 for line in head if _HEALTH_TARGET.match(line))
        probes = sum(1 for line in head if _HEALTH_PROBE.match(line))
        return 0.85 if targets and probes else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])
        lines = list(enumerate(text.splitlines(), 1))
        shown = dict(lines)
        for name, value, n in health_readings(lines):
            evidence = Evidence(ctx.source, n, None, shown[n].strip())
            result.facts.append(Fact(name, node, value, evidence))
        return result


FORMATS: list[DocumentFormat] = [CiliumHealth()]
