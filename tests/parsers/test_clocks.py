"""Clocks read at a prompt, and the skew between two of them.

Lines marked "public" are as posted in the public thread named; the others are this machine's
own ``date``, run by the test.
"""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from kubewhy.kb.load import default_knowledge_base
from kubewhy.parsers.clocks import clock_time, to_utc
from kubewhy.parsers.commands import interpret
from kubewhy.pipeline import Request, diagnose


def _read(command: str, *lines: str) -> dict[str, object]:
    readings = interpret(command, list(enumerate(lines, 2)))
    assert readings is not None, command
    return {r.name: r.value for r in readings}


def test_this_machines_date_is_read_as_the_time_it_is() -> None:
    printed = subprocess.run(
        ["date", "-u"], capture_output=True, text=True, check=True, env={"LC_ALL": "C"}
    ).stdout.strip()
    kept = _read("date -u", printed)["node.clock.system_time"]
    assert isinstance(kept, str)
    read = to_utc(kept)
    assert read is not None and abs(read.timestamp() - time.time()) < 60


def test_clocks_of_other_machines_and_the_hardware_clock() -> None:
    # public: kubernetes/minikube#4064 (zsh prompt on the Mac, the VM's date through ssh)
    remote = _read("minikube ssh -- date", "Fri Apr  5 21:56:46 CST 2019")
    assert remote == {"node.clock.remote_time": "2019-04-05T21:56:46 CST"}
    # public: rancher/rke2#1702 (util-linux before 2.32: locale date and the correction)
    hardware = _read("hwclock --show", "Sat 05 Mar 2022 05:55:52 PM EET  -0.774025 seconds")
    assert hardware == {"node.clock.hardware_time": "2022-03-05T17:55:52 EET"}
    # util-linux 2.32 and later print ISO 8601 with the offset
    assert clock_time("2024-12-13 13:47:36.543026-03:00") == "2024-12-13T13:47:36 -03:00"
    assert interpret("date -d yesterday", [(2, "Fri Apr  5 21:56:46 CST 2019")]) is None
    assert interpret("date +%s", [(2, "1554558536")]) is None


def test_timedatectl_gives_the_system_and_rtc_clocks_in_one_zone() -> None:
    # public: CactuseSecurity/firewall-orchestrator#1349, before and after set-local-rtc
    utc_rtc = _read(
        "timedatectl status",
        "               Local time: Sat 2021-12-18 08:57:20 CET",
        "           Universal time: Sat 2021-12-18 07:57:20 UTC",
        "                 RTC time: Sat 2021-12-18 07:57:20",
        "                Time zone: Europe/Berlin (CET, +0100)",
        "System clock synchronized: yes",
        "          RTC in local TZ: no",
    )
    assert utc_rtc["node.clock.hardware_time"] == "2021-12-18T07:57:20 UTC"
    assert utc_rtc["node.clock.system_time"] == "2021-12-18T07:57:20 UTC"
    assert utc_rtc["node.clock.synchronized"] is True
    # public: lazypic/tdcourse#49 (a Korean weekday; the RTC kept in local time)
    local_rtc = _read(
        "timedatectl",
        "      Local time: 금 2019-01-04 11:11:12 KST",
        "  Universal time: 금 2019-01-04 02:11:12 UTC",
        "        RTC time: 금 2019-01-04 11:11:12",
        " RTC in local TZ: yes",
    )
    assert local_rtc["node.clock.hardware_time"] == local_rtc["node.clock.system_time"]


def _skew(tmp_path: Path, session: str) -> tuple[str | None, float | None]:
    (tmp_path / "terminal.txt").write_text(session)
    report = diagnose(Request(paths=(tmp_path / "terminal.txt",), jobs=1), default_knowledge_base())
    top = report.findings[0] if report.findings else None
    return (top.failure_mode, top.confidence) if top else (None, None)


def test_two_clocks_hours_apart_are_clock_skew_and_seconds_apart_are_not(tmp_path: Path) -> None:
    # public: rancher/rke2#1702, the two commands as posted
    skewed = (
        "$ hwclock --show\nSat 05 Mar 2022 05:55:52 PM EET  -0.774025 seconds\n\n"
        "$ date\nSat Mar  5 15:55:56 EET 2022\n"
    )
    assert _skew(tmp_path, skewed)[0] == "clock-skew"
    # The same two clocks read four seconds apart: no finding about the clock.
    agreeing = skewed.replace("05:55:52 PM", "03:55:52 PM")
    assert _skew(tmp_path, agreeing)[0] != "clock-skew"
    # Two zones' names are not compared: CST on one machine and EET on another.
    other_zone = skewed.replace("Sat Mar  5 15:55:56 EET 2022", "Sat Mar  5 15:55:56 CST 2022")
    assert _skew(tmp_path, other_zone)[0] != "clock-skew"


def test_offsets_are_compared_in_utc() -> None:
    one = to_utc("2022-03-05T17:55:52 +02:00")
    other = to_utc("2022-03-05T15:55:52 UTC")
    assert one == other == datetime(2022, 3, 5, 15, 55, 52, tzinfo=UTC)
    assert to_utc("2022-03-05T15:55:52 EET") is None
