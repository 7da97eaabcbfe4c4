"""A real JVM's thread dump: a program that leaks parked threads, read by jstack, diagnosed.

The JDK (java, jstack) is a peer: skipped without it, unless KUBEWHY_REQUIRE_PEERS=1 demands it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.jvm_threads import JVM_THREAD_DUMP

PROGRAM = Path(__file__).parent / "java" / "ThreadLeak.java"
# Off any default so the count can only come from this run; over the pile-up's 1,000.
LEAKED = 1234
START_TIMEOUT = 60.0
JSTACK_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def leaking_dump(tmp_path_factory: pytest.TempPathFactory) -> str:
    java, jstack = shutil.which("java"), shutil.which("jstack")
    if java is None or jstack is None:
        if os.environ.get("KUBEWHY_REQUIRE_PEERS") == "1":
            pytest.fail("the JDK (java, jstack) is required (KUBEWHY_REQUIRE_PEERS=1)")
        pytest.skip("the JDK (java, jstack) is not installed: no real thread dump")
    work = tmp_path_factory.mktemp("jvm")
    proc = subprocess.Popen(
        [java, "-Xss256k", "-XX:+UseSerialGC", str(PROGRAM), str(LEAKED)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=work,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the program prints READY once every thread runs
        assert line.strip() == "READY", line
        dump = subprocess.run(
            [jstack, str(proc.pid)],
            capture_output=True,
            text=True,
            timeout=JSTACK_TIMEOUT,
            check=True,
        ).stdout
    finally:
        proc.kill()
        proc.wait(timeout=START_TIMEOUT)
    (work / "jstack.txt").write_text(dump)
    return dump


def test_a_real_dump_counts_the_leaked_threads_by_name(leaking_dump: str) -> None:
    assert JVM_THREAD_DUMP.sniff(leaking_dump.splitlines()[:200]) > 0.5
    result = JVM_THREAD_DUMP.parse(leaking_dump, Context("jstack.txt"))
    facts = {f.name: f.value for f in result.facts}
    assert facts["jvm.thread_group"] == "connection timeout N"
    assert facts["jvm.thread_group_count"] == LEAKED
    assert isinstance(facts["jvm.threads"], int) and facts["jvm.threads"] > LEAKED
    assert result.records[0].text.startswith(f"JVM thread dump: {LEAKED} of ")


def test_the_real_dump_is_diagnosed_as_a_thread_leak(leaking_dump: str, tmp_path: Path) -> None:
    (tmp_path / "jstack.txt").write_text(leaking_dump)
    out = subprocess.run(
        [sys.executable, "-m", "kubewhy", "diagnose", str(tmp_path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    assert '"failure_mode": "thread-leak-container"' in out.stdout
