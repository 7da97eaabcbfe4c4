"""time output after a timed command."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.timing import TimingFormat

FORMAT = TimingFormat()


def test_memory_stat_read_time(parse, facts) -> None:
    result = parse(FORMAT, "time_memory_stat.txt", node="n1")
    assert facts(result, "node.memcg.stat_read_seconds") == [3.217]
    fact = result.facts[0]
    assert fact.entity.name == "n1"
    assert fact.evidence is not None and fact.evidence.line == 10
    # The other timed command is a record only.
    assert [r.text for r in result.records] == [
        "time cat /sys/fs/cgroup/memory/memory.stat: real 3.217s",
        "time ls /sys/fs/cgroup/memory | wc -l: real 0.004s",
    ]


def test_other_commands_give_no_fact(parse) -> None:
    result = parse(FORMAT, "time_bash_real.txt")
    assert result.facts == []
    assert len(result.records) == 1


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_real_bash_time_of_a_memory_stat_file(tmp_path) -> None:
    stat = tmp_path / "memory.stat"
    stat.write_text("cache 0\nrss 0\n")
    script = f"echo '# time cat {stat}'; {{ time cat {stat}; }} 2>&1"
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=10, check=True
    )
    assert FORMAT.sniff(done.stdout.splitlines()) >= 0.9
    result = FORMAT.parse(done.stdout, Context("t"))
    seconds = [f.value for f in result.facts if f.name == "node.memcg.stat_read_seconds"]
    assert len(seconds) == 1 and 0 <= float(seconds[0]) < 5


def test_zsh_and_posix_shapes() -> None:
    zsh = "cat /sys/fs/cgroup/memory.stat  0.00s user 2.50s system 99% cpu 2.503 total\n"
    assert [f.value for f in FORMAT.parse(zsh, Context("z")).facts] == [2.503]
    posix = "$ time -p cat /sys/fs/cgroup/memory/memory.stat\nreal 1.50\nuser 0.00\nsys 1.49\n"
    assert [f.value for f in FORMAT.parse(posix, Context("p")).facts] == [1.5]
