"""vmstat, iostat -x and sar read from this machine's real output (sysstat and procps run here)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.monitors import MONITORS
from kubewhy.parsers.registry import detect


def _run(*argv: str) -> str:
    if shutil.which(argv[0]) is None:
        if os.environ.get("KUBEWHY_REQUIRE_PEERS") == "1":
            pytest.fail(f"{argv[0]} is required (KUBEWHY_REQUIRE_PEERS=1)")
        pytest.skip(f"{argv[0]} is not installed")
    env = {**os.environ, "LC_ALL": "C"}
    return subprocess.run(
        argv, capture_output=True, text=True, check=True, timeout=60, env=env
    ).stdout


def _facts(text: str) -> dict[str, object]:
    return {f.name: f.value for f in MONITORS.parse(text, Context("terminal.txt")).facts}


def _column(text: str, header_word: str, column: str) -> list[float]:
    """A column's values under every header holding ``header_word``, read the plain way: by the
    column's index in its header, rows right-aligned."""
    lines = text.splitlines()
    values = []
    for at in [i for i, line in enumerate(lines) if header_word in line.split()]:
        names = lines[at].split()
        for line in lines[at + 1 :]:
            cells = line.split()
            if not cells or header_word in cells or not re.match(r"^-?[\d.]+$", cells[-1]):
                break
            values.append(float(cells[len(cells) - len(names) + names.index(column)]))
    return values


def test_vmstat_worst_interval() -> None:
    text = _run("vmstat", "1", "3")
    assert detect(text.splitlines()).name == "monitor-tables"
    facts = _facts(text)
    assert facts["node.cpu.iowait_percent"] == max(_column(text, "swpd", "wa"))
    assert facts["node.dstate.total"] == max(_column(text, "swpd", "b"))


def test_iostat_extended_devices_and_cpu() -> None:
    text = _run("iostat", "-x", "1", "2")
    facts = _facts(text)
    assert facts["node.disk.util_percent_max"] == max(_column(text, "%util", "%util"))
    assert 0 <= facts["node.cpu.iowait_percent"] <= 100  # type: ignore[operator]
    assert facts["node.disk.await_ms_max"] >= 0  # type: ignore[operator]


def test_sar_reports_in_one_paste() -> None:
    text = _run("sar", "-B", "-r", "-q", "-u", "-d", "1", "2")
    facts = _facts(text)
    assert facts["node.paging.majflt_per_s"] == max(_column(text, "majflt/s", "majflt/s"))
    assert facts["node.dstate.total"] == max(_column(text, "runq-sz", "blocked"))
    available = min(_column(text, "kbavail", "kbavail"))
    assert facts["node.memory.available_bytes"] == round(available * 1024)
    meminfo = Path("/proc/meminfo").read_text()
    total = int(re.search(r"MemTotal:\s+(\d+) kB", meminfo).group(1)) * 1024  # type: ignore[union-attr]
    # sar prints no total: kbmemused over %memused gives it, to its two decimals.
    assert abs(int(facts["node.memory.total_bytes"]) - total) / total < 0.01  # type: ignore[call-overload]


def test_sar_in_twelve_hour_times_and_a_prompt_above() -> None:
    # This machine's sar -q, its times rewritten in the 12-hour form sysstat prints in en_US
    # locales (AM/PM is a separate word); a prompt line on top, as pasted from a terminal.
    text = _run("sar", "-q", "1", "2")
    text = re.sub(r"^(\d\d:\d\d:\d\d)", r"\1 PM", text, flags=re.M)
    pasted = "root@node-3:~# sar -q 1 2\n" + text
    assert _facts(pasted)["node.dstate.total"] == max(_column(text, "runq-sz", "blocked"))


def test_tables_of_other_tools_are_not_monitors() -> None:
    assert (
        MONITORS.sniff(["NAME   READY   STATUS    RESTARTS   AGE", "web-1  1/1  Running  0  5d"])
        == 0
    )
    assert _facts("Device            r/s     w/s\nvda  x y\n") == {}
