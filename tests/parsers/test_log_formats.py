"""The log-line formats: what each line gives, and lines of another shape are refused (None),
which the scan counts as malformed instead of crashing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubewhy.model.times import TimeContext
from kubewhy.parsers.journald import JOURNALD, journal_host
from kubewhy.parsers.klog import KLOG
from kubewhy.parsers.kmsg import KMSG
from kubewhy.parsers.logrus import LOGRUS
from kubewhy.parsers.registry import detect
from kubewhy.parsers.zapjson import ZAPJSON

CST = TimeContext(2021, 480)


def test_klog_line_without_year_resolves_with_context() -> None:
    line = KLOG.parse_line(
        "W0907 07:10:39.496915       1 clientconn.go:1208] grpc: addrConn.createTransport failed"
    )
    assert line is not None and line.stamp is not None
    assert line.stamp.resolve(CST) == datetime(2021, 9, 6, 23, 10, 39, 496915, tzinfo=UTC)
    assert line.message.startswith("grpc: addrConn")


def test_klog_inside_journald_keeps_the_journal_host_and_unit() -> None:
    text = (
        "Jul 23 22:09:01 node-xx kubelet[1790]: E0723 22:09:01.123456    1790 "
        "pod_workers.go:190] Error syncing pod"
    )
    line = JOURNALD.parse_line(text)
    assert line is not None and (line.host, line.component) == ("node-xx", "kubelet")
    assert KLOG.parse_line(line.message) is not None


@pytest.mark.parametrize(
    ("fmt", "bad"),
    [
        (KLOG, "I0907 07:04:17 missing micros and file"),
        (KLOG, "X0907 07:04:17.611412 1 trace.go:116] bad level"),
        (JOURNALD, "Foo 14 13:14:38 host kernel: not a month"),
        # a bare "word:" without the process id is any log's prefix, not a journal's
        (JOURNALD, "containerd: level=error msg=x"),
        (ZAPJSON, '{"level":"warn","msg":"cut in the mid'),
        (ZAPJSON, "[1, 2, 3]"),
        (LOGRUS, "level=error without a message"),
        (KMSG, "no brackets at all"),
    ],
)
def test_lines_of_another_shape_are_refused(fmt: object, bad: str) -> None:
    assert fmt.parse_line(bad) is None  # type: ignore[attr-defined]


def test_impossible_dates_give_no_stamp_not_an_error() -> None:
    line = KLOG.parse_line("I0231 07:04:17.611412       1 x.go:1] 31 February")
    assert line is not None and line.stamp is None
    line = JOURNALD.parse_line("Feb 30 13:14:38 host kernel: 30 February")
    assert line is not None and line.stamp is None


def test_zap_epoch_and_iso_stamps() -> None:
    iso = ZAPJSON.parse_line('{"level":"warn","ts":"2021-09-10T17:14:50.559+0800","msg":"x"}')
    epoch = ZAPJSON.parse_line('{"level":"info","ts":1631265290.559,"msg":"x"}')
    assert iso is not None and iso.stamp is not None
    assert epoch is not None and epoch.stamp is not None
    assert iso.stamp.value.astimezone(UTC) == epoch.stamp.value.astimezone(UTC)


def test_journald_reboot_marker_is_a_line() -> None:
    line = JOURNALD.parse_line("-- Reboot --")
    assert line is not None and line.stamp is None and "Reboot" in line.message


@pytest.mark.parametrize(
    ("lines", "name"),
    [
        (["I0907 07:04:17.611412       1 trace.go:116] Trace[1]: x"] * 3, "klog"),
        (
            ["Jun 14 13:14:38 host kernel: x", "-- Reboot --", "Jun 14 13:15:06 host kernel: y"],
            "journald",
        ),
        (
            ['{"level":"warn","ts":"2021-09-10T17:14:50.559+0800","msg":"rejected connection"}']
            * 2,
            "zapjson",
        ),
        (['time="2019-01-01T00:00:00Z" level=error msg="x"'] * 2, "logrus"),
        (["[  123.456789] Out of memory: Killed process 4242 (stress)"] * 2, "kmsg"),
        # journal lines whose time and host the reporter cut off (containerd/containerd#8698)
        (
            [
                'kubelet_init[1680]: I0602 05:48:06.350695    1679 generic.go:191] "GenericPLEG: '
                'Relisting"',
                'kubelet_init[1680]: I0602 05:48:49.669827    1679 generic.go:191] "GenericPLEG: '
                'Relisting"',
            ],
            "journald",
        ),
        (["6,1234,5678901,-;Memory cgroup out of memory"] * 2, "kmsg"),
        # dmesg --raw: the syslog priority before the time (siderolabs/talos#289's osctl dmesg)
        (
            ["<6>[ 1205.517883] Task in /system/docker killed as a result of limit of /system"] * 2,
            "kmsg",
        ),
    ],
)
def test_detection_by_content(lines: list[str], name: str) -> None:
    assert detect(lines).name == name


def test_a_redacted_host_field_names_no_host() -> None:
    # A reporter's redaction in the host field (coreos/bugs#1811 pastes "<IP>") is no node name.
    line = JOURNALD.parse_line("Feb 23 20:53:32 <IP> kernel: Aborting journal on device xvda9-8.")
    assert line is not None and line.host is None and line.component == "kernel"
    named = JOURNALD.parse_line("Feb 23 20:53:32 ip-10-0-1-2 kernel: Aborting journal on device.")
    assert named is not None and named.host == "ip-10-0-1-2"


@pytest.mark.parametrize(
    "line",
    [
        "Jun 14 13:14:38 host-172-21 kernel: kernel BUG at fs.h:2582!",
        "Feb 30 13:14:38 host kernel: 30 February",
        "Feb 23 20:53:32 <IP> kernel: Aborting journal on device xvda9-8.",
        "2023-07-23T22:09:01+0800 node-xx kubelet[1234]: I0723 22:09:01 x",
        "2023-07-23T22:09:01.5Z node_7 containerd: x",
        "2023-07-23T22:00:00.049367Z stderr F I0723 22:00:00.049367       1 alloc.go:330] x",
        "-- Reboot --",
        "I0907 07:04:17.611412       1 trace.go:116] Trace[1]: slow",
    ],
)
def test_journal_host_is_the_host_parse_line_reads(line: str) -> None:
    parsed = JOURNALD.parse_line(line)
    assert journal_host(line) == (parsed.host if parsed else None)


def test_a_journal_line_without_its_time_and_host_still_names_its_writer() -> None:
    # real: containerd/containerd#8698 (the reporter's paste, cut where the thread cut it)
    text = 'containerd[2206]: {"error":"failed to stop container","level":"error"'
    line = JOURNALD.parse_line(text)
    assert line is not None
    assert (line.stamp, line.host, line.component) == (None, None, "containerd")
    assert line.message.startswith('{"error"')
    # MicroK8s's kubelite runs the kubelet and the control plane under one identifier.
    line = JOURNALD.parse_line("microk8s.daemon-kubelite[19461]: E1111 11:51:12.721175 x")
    assert line is not None and line.component == "kubelite"
