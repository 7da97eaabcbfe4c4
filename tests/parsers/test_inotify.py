"""Who holds the node's inotify instances: inotify-info's report, and the counts people make of
the ``anon_inode:inotify`` descriptors under /proc per process.

Lines marked "public" are as posted in the public thread named; the real-process test makes a
process hold inotify instances on this machine, lists them with the pipeline people use, and
reads that output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kubewhy.kb.load import default_knowledge_base
from kubewhy.parsers.base import Context
from kubewhy.parsers.commands import interpret
from kubewhy.parsers.inotify_info import INOTIFY_INFO
from kubewhy.parsers.registry import detect
from kubewhy.parsers.sessions import prompt_of
from kubewhy.parsers.shell import parse_command
from kubewhy.pipeline import Request, diagnose

LISTING = (
    "find /proc/*/fd -lname anon_inode:inotify | cut -d/ -f3 | "
    "xargs -I '{}' -- ps --no-headers -o '%p %U %c' -p '{}' | uniq -c | sort -nr"
)


def _found(command: str, rows: list[str]) -> dict[str, object]:
    readings = interpret(command, list(enumerate(rows, 2)))
    assert readings is not None, command
    return {r.name: r.value for r in readings}


def test_counts_per_program_through_a_loop_over_proc() -> None:
    # public: containerd/containerd#10468 (the command pasted without its prompt, a loop)
    command = (
        "for foo in /proc/*/fd/*; do readlink -f $foo; done | grep inotify | cut -d/ -f3 | "
        "xargs -I '{}' -- ps --no-headers -o comm {} | sort | uniq -c | sort -nr"
    )
    rows = ["      28 containerd-shim", "      10 systemd", "       6 kubelet", "       1 fwupd"]
    found = _found(command, rows)
    assert found["node.inotify.instances"] == 45
    assert (found["node.inotify.top_holder"], found["node.inotify.top_holder_instances"]) == (
        "containerd-shim",
        28,
    )
    # Grouped by program name, 28 is many shims' sum: no single process is said to hold it.
    assert "node.inotify.top_process_instances" not in found
    assert prompt_of(" " + command) is not None


def test_counts_per_process_with_user_and_args_columns() -> None:
    # public: containerd/containerd#5670 (a header row, then one shim; filtered to root)
    command = (
        "find /proc/*/fd -lname anon_inode:inotify |    cut -d/ -f3 |    xargs -I '{}' -- ps "
        "--no-headers -o '%p %U %c %a %P' -p '{}' |    uniq -c |    sort -nr | grep root"
    )
    rows = [
        "COUNT PID USER     COMMAND         COMMAND                        PPID",
        " 46 3276111 root     containerd-shim /usr/local/bin/containerd-s       1",
    ]
    found = _found(command, rows)
    assert found["node.inotify.top_holder"] == "containerd-shim"
    assert found["node.inotify.top_process_instances"] == 46
    # public: kubernetes/kubernetes#7815 (a bare `# ` prompt before the loop)
    loop = "# for foo in /proc/*/fd/*; do readlink -f $foo; done |grep inotify"
    assert prompt_of(loop) is not None


def test_only_the_user_holding_most_counts_against_the_limit() -> None:
    rows = ["      6      1 root     systemd", "      4  81153 root     kubelet", "  9 4605 gdm  x"]
    found = _found(LISTING, rows)
    assert found["node.inotify.instances"] == 10
    assert found["node.inotify.top_holder"] == "x"


def test_a_count_of_inotify_descriptors_and_commands_that_are_not_listings() -> None:
    found = _found("find /proc/*/fd -lname anon_inode:inotify 2>/dev/null | wc -l", ["117"])
    assert found == {"node.inotify.instances": 117}
    assert interpret("find /proc/*/fd -lname anon_inode:inotify | cut -d/ -f3", []) is None
    assert interpret("readlink -f /proc/1/fd/3 | uniq -c", []) is None


@pytest.mark.parametrize(
    "loop",
    [
        "for x in a b; do ls $x; ls; done",  # two commands in the body
        "for x in a b; do ls /tmp; done",  # the variable unused: not one command over the list
        "for x in a b; do cat /proc/$x/status; done",  # used inside a word
        "for x in; do ls $x; done",
        "for x in a b; do ls $x",
    ],
)
def test_loops_that_are_not_one_command_over_a_list(loop: str) -> None:
    assert parse_command(loop) is None


def test_prose_that_starts_with_for_is_no_command() -> None:
    assert prompt_of("# for example, raise the limit") is None
    assert prompt_of("for the record; do not do this; done") is None


# public: mikesart/inotify-info README (the older layout: colons, no Uid column)
README_REPORT = """\
------------------------------------------------------------------------------
INotify Limits:
  max_queued_events:  16384
  max_user_instances: 128
  max_user_watches:   65536
------------------------------------------------------------------------------
     Pid  App                        Watches   Instances
     2632 systemd                         23   3
     2653 pulseaudio                       2   2
     3056 xfsettingsd                     56   1
      94111050 [10304h]
   205705 vivaldi-bin                      2   1
------------------------------------------------------------------------------
Total inotify Watches:   181
Total inotify Instances: 18
------------------------------------------------------------------------------
"""

# public: apecloud/kubeblocks#8460 (the newer layout: grouped digits, a Uid column; cut short)
UID_REPORT = """\
root@node4:~# inotify-info -v 34352
------------------------------------------------------------------------------
INotify Limits:
  max_queued_events    16,384
  max_user_instances   128
  max_user_watches     500,132
------------------------------------------------------------------------------
       Pid Uid        App                       Watches  Instances
         1 0          systemd                       637          5
      1760 0          kubelet                       364          6
       981 991        polkitd                         7          2
    426299 101        nginx-ingress-controller        6          6
"""


def test_inotify_info_both_layouts() -> None:
    old = {f.name: f.value for f in INOTIFY_INFO.parse(README_REPORT, Context("r")).facts}
    assert old["sysctl.fs.inotify.max_user_watches"] == 65536
    # Without a Uid column the report's own total is the figure (the rows shown were cut).
    assert old["node.inotify.instances"] == 18
    assert old["node.inotify.watches"] == 181
    assert old["node.inotify.top_holder"] == "systemd"
    lines = UID_REPORT.splitlines()
    assert detect(lines[1:]).name == "inotify-info"
    new = {f.name: f.value for f in INOTIFY_INFO.parse(UID_REPORT, Context("r")).facts}
    assert new["sysctl.fs.inotify.max_user_watches"] == 500132
    assert new["node.inotify.instances"] == 11  # uid 0's, not every user's 19
    assert "node.inotify.watches" not in new  # no total line: the report was cut


def test_a_row_without_the_uid_the_header_promised_is_malformed() -> None:
    text = UID_REPORT.replace("981 991        polkitd", "981 polkitd")
    result = INOTIFY_INFO.parse(text, Context("r"))
    assert result.malformed == 1


HOLDER = """\
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
fds = [libc.inotify_init1(0) for _ in range(int(sys.argv[1]))]
assert all(fd >= 0 for fd in fds), ctypes.get_errno()
print("ready", flush=True)
time.sleep(120)
"""


def test_a_real_process_holding_instances_is_found_and_named(tmp_path: Path) -> None:
    """Make a process hold 40 inotify instances (a third of the default per-user limit), list
    the holders as people do, and diagnose the pasted session."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, "40"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        listed = subprocess.run(
            LISTING, shell=True, capture_output=True, text=True, timeout=60, check=False
        ).stdout
        limit = int(Path("/proc/sys/fs/inotify/max_user_instances").read_text())
        comm = Path(f"/proc/{holder.pid}/comm").read_text().strip()
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert f" {holder.pid} " in listed
    found = _found(LISTING, listed.splitlines())
    assert found["node.inotify.top_holder"] == comm
    assert found["node.inotify.top_process_instances"] == 40
    session = tmp_path / "terminal.txt"
    session.write_text(
        f"root@node-1:~# cat /proc/sys/fs/inotify/max_user_instances\n{limit}\n"
        f"root@node-1:~# {LISTING}\n{listed}"
    )
    report = diagnose(Request(paths=(session,), jobs=1), default_knowledge_base())
    top = report.findings[0] if report.findings else None
    if 40 / limit >= 0.25:
        assert top is not None and top.failure_mode == "inotify-watch-exhaustion"
        assert top.culprit is not None and top.culprit.name == comm
    else:  # the limit was raised on this machine: 40 instances are no hoard
        assert top is None or top.failure_mode != "inotify-watch-exhaustion"
