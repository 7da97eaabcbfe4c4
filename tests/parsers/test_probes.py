"""Connectivity probes read per address: ping, telnet/nc, curl/wget."""

from __future__ import annotations

from kubewhy.parsers.commands import interpret
from kubewhy.parsers.probes import probe_readings


def _values(command: str, *lines: str) -> dict[str, object]:
    found = interpret(command, list(enumerate(lines, 2)))
    assert found is not None, command
    return {r.name: r.value for r in found}


def test_ping_answered_lost_and_busybox() -> None:
    # public: squat/kilo#289 (iputils, interrupted after one reply)
    assert _values(
        "ping  10.4.0.1",
        "PING 10.4.0.1 (10.4.0.1) 56(84) bytes of data.",
        "64 bytes from 10.4.0.1: icmp_seq=1 ttl=64 time=44.7 ms",
        "^C",
        "--- 10.4.0.1 ping statistics ---",
        "1 packets transmitted, 1 received, 0% packet loss, time 0ms",
    ) == {"node.probe.icmp.10_4_0_1": "answered"}
    # public: flannel-io/flannel#710 (no reply at all)
    assert _values(
        "ping 10.244.3.14",
        "PING 10.244.3.14 (10.244.3.14) 56(84) bytes of data.",
        "^C",
        "--- 10.244.3.14 ping statistics ---",
        "25 packets transmitted, 0 received, 100% packet loss, time 24053ms",
    ) == {"node.probe.icmp.10_244_3_14": "lost"}
    # busybox's wording, a name resolved in the header (public: kubernetes-sigs/kubespray#7268)
    assert _values(
        "ping -c 2 nodelocaldns",
        "PING nodelocaldns (169.254.25.10): 56 data bytes",
        "2 packets transmitted, 2 packets received, 0% packet loss",
    ) == {"node.probe.icmp.169_254_25_10": "answered"}


def test_tcp_connects_and_their_failures() -> None:
    # public: squat/kilo#289
    assert _values(
        "telnet  10.4.0.1 10250",
        "Trying 10.4.0.1...",
        "Connected to 10.4.0.1.",
        "Escape character is '^]'.",
    ) == {"node.probe.tcp.10_4_0_1": "connected"}
    # built from netcat-openbsd's and telnet's strerror wordings
    assert _values(
        "nc -zv 10.0.1.12 10250",
        "nc: connect to 10.0.1.12 port 10250 (tcp) failed: No route to host",
    ) == {"node.probe.tcp.10_0_1_12": "unreachable"}
    assert _values(
        "telnet 10.0.1.12 8472",
        "Trying 10.0.1.12...",
        "telnet: Unable to connect to remote host: Connection refused",
    ) == {"node.probe.tcp.10_0_1_12": "refused"}
    # a connect that never completes, interrupted
    assert _values("telnet 10.0.1.12 22", "Trying 10.0.1.12...", "^C") == {
        "node.probe.tcp.10_0_1_12": "timeout"
    }


def test_http_clients() -> None:
    # public: zhangguanzhang's RHEL 8.4 VXLAN write-up (a pod answered, another hung)
    assert _values("curl 172.27.2.11:2380", "404 page not found") == {
        "node.probe.app.172_27_2_11": "answered"
    }
    assert _values("curl 172.27.1.11:2380", "^C") == {"node.probe.app.172_27_1_11": "hung"}
    # curl's own error lines (exit codes 7 and 28)
    assert _values(
        "curl --connect-timeout 1 http://10.96.0.1/",
        "curl: (28) Connection timed out after 1001 milliseconds",
    ) == {"node.probe.app.10_96_0_1": "timeout"}
    assert _values(
        "kubectl exec web-0 -- curl -sS http://10.244.1.5:8080/healthz",
        "curl: (7) Failed to connect to 10.244.1.5 port 8080: No route to host",
    ) == {"node.probe.app.10_244_1_5": "unreachable"}
    # busybox wget
    assert _values(
        "wget -qO- 10.96.0.1:443",
        "wget: can't connect to remote host (10.96.0.1): Connection timed out",
    ) == {"node.probe.app.10_96_0_1": "timeout"}


def test_what_is_not_a_probe_of_an_address() -> None:
    # a socket or a name the output does not resolve: nothing to compare per address
    unix = ("curl", "-s", "--unix-socket", "/var/run/eni/eni.socket", "http:/debug/pprof/")
    assert probe_readings(unix, []) is None
    assert probe_readings(("curl", "http://test-service-sv/ping"), [(2, "pong")]) is None
    assert probe_readings(("ping", "github.com"), []) is None
    assert probe_readings(("ls", "-l"), []) is None
    # a probe whose output is cut before it ended: nothing said
    assert (
        probe_readings(("ping", "10.0.0.1"), [(2, "PING 10.0.0.1 (10.0.0.1) 56(84) bytes")]) == []
    )


def test_cilium_health_status_is_read_as_probes() -> None:
    from kubewhy.parsers.base import Context
    from kubewhy.parsers.registry import detect

    # public: deckhouse/deckhouse#10087 (VXLAN on VMware: ICMP passes, HTTP to the endpoint not)
    text = (
        "  node-yyyy:\n"
        "    Host connectivity to 10.222.15.31:\n"
        "      ICMP to stack:   OK, RTT=1.122673ms\n"
        "      HTTP to agent:   OK, RTT=1.448486ms\n"
        "    Endpoint connectivity to 10.245.6.5:\n"
        "      ICMP to stack:   OK, RTT=1.201896ms\n"
        '      HTTP to agent:   Get "http://10.245.6.5:4240/hello": context deadline exceeded'
        " (Client.Timeout exceeded while awaiting headers)\n"
    )
    found = detect(text.splitlines())
    assert found.name == "cilium-health" and found.document is not None
    parsed = found.document.parse(text, Context("health.txt", "n1"))
    facts = {f.name: f.value for f in parsed.facts}
    assert facts == {
        "node.probe.icmp.10_222_15_31": "answered",
        "node.probe.app.10_222_15_31": "answered",
        "node.probe.icmp.10_245_6_5": "answered",
        "node.probe.app.10_245_6_5": "timeout",
    }
