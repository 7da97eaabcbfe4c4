"""sysctl -a output and cat /proc/sys transcripts."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.sysctl import SysctlFormat

FORMAT = SysctlFormat()


def test_sysctl_a_sample(parse, facts_by_entity) -> None:
    result = parse(FORMAT, "sysctl_a.txt", node="node-1")
    pid_max = facts_by_entity(result, "sysctl.kernel.pid_max")
    assert pid_max == {"node/node-1": 32768}
    assert facts_by_entity(result, "sysctl.kernel.threads_max") == {"node/node-1": 192724}
    # Multi-value parameters keep their words; the stderr line is neither a fact nor malformed.
    assert facts_by_entity(result, "sysctl.net.ipv4.tcp_rmem") == {
        "node/node-1": "4096 131072 33554432"
    }
    assert result.malformed == 0
    threads = next(f for f in result.facts if f.name == "sysctl.kernel.threads_max")
    assert threads.evidence is not None and threads.evidence.line == 6
    assert threads.evidence.text == "kernel.threads-max = 192724"


def test_transcript_pairs_commands_with_values(parse, facts) -> None:
    result = parse(FORMAT, "sysctl_transcript.txt")
    assert facts(result, "sysctl.kernel.pid_max") == [49152]
    assert facts(result, "sysctl.kernel.threads_max") == [1031126]
    assert facts(result, "sysctl.vm.max_map_count") == [262144]
    # The uptime output is not a kernel parameter: skipped and counted.
    assert result.malformed == 1
    assert {f.entity.name for f in result.facts} == {"(unknown node)"}


def test_garbage_lines_are_counted_not_raised() -> None:
    text = "kernel.pid_max = 4194304\nthis is not a parameter\n\x00\x01 = \n"
    result = FORMAT.parse(text, Context("x"))
    assert [f.value for f in result.facts] == [4194304]
    assert result.malformed == 2


@pytest.mark.skipif(shutil.which("sysctl") is None, reason="no sysctl here")
def test_real_sysctl_output() -> None:
    done = subprocess.run(["sysctl", "-a"], capture_output=True, text=True, timeout=30, check=False)
    text = done.stdout
    assert FORMAT.sniff(text.splitlines()[:60]) >= 0.9
    result = FORMAT.parse(text, Context("sysctl -a"))
    with open("/proc/sys/kernel/pid_max") as handle:
        expected = int(handle.read())
    assert [f.value for f in result.facts if f.name == "sysctl.kernel.pid_max"] == [expected]
    assert result.malformed == 0


def test_long_transcript_is_claimed_only_weakly() -> None:
    lines = ["# cat /proc/sys/kernel/pid_max", "32768"] + [f"other output {i}" for i in range(20)]
    assert 0.3 <= FORMAT.sniff(lines) < 0.5


def test_other_one_line_checks_of_a_transcript() -> None:
    text = (
        "root@kube-node-1 ~ # cat /proc/sys/kernel/pid_max\n32768\n"
        "root@kube-node-1 ~ # sysctl kernel.pid_max kernel.threads-max\n"
        "kernel.pid_max = 32768\nkernel.threads-max = 257215\n"
        "root@kube-node-1 ~ # ps -eLf | wc -l\n32541\n"
        "root@kube-node-1 ~ # ps -eo stat | grep -c '^Z'\n25873\n"
        "root@kube-node-1 ~ # uname -r\n4.15.0-45-generic\n"
        "root@kube-node-1 ~ # ulimit -u\nunlimited\n"
    )
    assert FORMAT.sniff(text.splitlines()) >= 0.8
    result = FORMAT.parse(text, Context("checks.txt", node="kube-node-1"))
    got = {f.name: f.value for f in result.facts}
    assert got == {
        "sysctl.kernel.pid_max": 32768,
        "sysctl.kernel.threads_max": 257215,
        "node.threads.total": 32540,  # less the header line
        "node.zombies.total": 25873,
        "kernel.release": "4.15.0-45-generic",
    }
    assert result.malformed == 1  # `ulimit -u` printed no number
    threads = next(f for f in result.facts if f.name == "node.threads.total")
    assert threads.evidence is not None and threads.evidence.text == "ps -eLf | wc -l -> 32541"
