"""Goroutines quoted from a dump, as people paste them into a thread: one goroutine with or
without its header, a gdb backtrace, Cilium's consolidated stacks. Read as stacks, and what the
quoted goroutine waits for (a mutex, the next runtime's reply) is a lead, never more."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.facts.goroutines import is_excerpt, runtime_waited_on
from kubewhy.model.diagnosis import Diagnosis
from kubewhy.parsers.goroutines import parse_goroutine_lines, sniff_goroutines
from kubewhy.pipeline import Request, diagnose

DATA = Path(__file__).parent / "data"
QUOTED = DATA / "quoted"


def block_with(dump: str, needle: str) -> str:
    """The first goroutine of a real dump whose stack holds ``needle``, as a person cuts it."""
    return next(block for block in dump.split("\n\n") if needle in block)


def diagnosed(tmp_path: Path, text: str, name: str = "goroutines.txt") -> Diagnosis:
    (tmp_path / name).write_text(text)
    return diagnose(Request(paths=(tmp_path,)))


@pytest.fixture(scope="module")
def waiter() -> str:
    """One of the 40 goroutines queued on the mutex in the recorded convoy dump."""
    return block_with((DATA / "convoy.sigquit.txt").read_text(), "sync.(*Mutex).Lock")


def test_one_quoted_mutex_waiter_is_a_lock_convoy_lead(tmp_path: Path, waiter: str) -> None:
    diagnosis = diagnosed(tmp_path, waiter + "\n")
    assert [f.failure_mode for f in diagnosis.findings] == ["lock-convoy"]
    finding = diagnosis.findings[0]
    assert finding.tier == "lead"
    cited = " ".join(e.text for e in finding.evidence)
    assert "waits to take a mutex, in main.(*LinkManager).ReleaseIP (main.go:39)" in cited
    assert "an excerpt of 1" in cited
    assert finding.culprit is not None and finding.culprit.name == "go-program"


def test_the_waiter_quoted_without_its_header_reads_the_same(tmp_path: Path, waiter: str) -> None:
    headerless = waiter.split("\n", 1)[1]
    assert sniff_goroutines(headerless.splitlines()) > 0
    dump = parse_goroutine_lines(headerless.splitlines())
    assert (dump.total, dump.groups[0].state, dump.shapes) == (1, "semacquire", {"headerless"})
    diagnosis = diagnosed(tmp_path, "the goroutine that hangs:\n" + headerless + "\n")
    assert [(f.failure_mode, f.tier) for f in diagnosis.findings] == [("lock-convoy", "lead")]


def test_the_whole_dump_is_no_excerpt(waiter: str) -> None:
    whole = parse_goroutine_lines((DATA / "convoy.sigquit.txt").read_text().splitlines())
    assert not is_excerpt(whole)
    assert is_excerpt(parse_goroutine_lines(waiter.splitlines()))


def test_a_quoted_goroutine_that_waits_on_nothing_held_is_no_finding(tmp_path: Path) -> None:
    """The accept loop of a healthy server, quoted alone: an idle wait, not a lead."""
    accept = block_with((DATA / "healthy.sigquit.txt").read_text(), "main.main")
    assert "[IO wait]" in accept.split("\n", 1)[0]
    assert diagnosed(tmp_path, accept + "\n").findings == []


def test_dockerd_waiting_on_containerd_blames_containerd(tmp_path: Path) -> None:
    text = (QUOTED / "dockerd-waits-on-containerd.txt").read_text()
    dump = parse_goroutine_lines(text.splitlines())
    assert runtime_waited_on(dump.groups[0], "docker") == "containerd"
    # containerd's own CRI plugin calls its client in-process: not a wait on another runtime
    assert runtime_waited_on(dump.groups[0], "containerd") is None
    diagnosis = diagnosed(tmp_path, text)
    assert [(f.failure_mode, f.tier) for f in diagnosis.findings] == [
        ("container-runtime-hung", "lead")
    ]
    finding = diagnosis.findings[0]
    assert finding.culprit is not None and finding.culprit.name == "containerd"
    assert "goroutine 3061 [select] of docker waits for the reply of containerd" in (
        finding.evidence[0].text
    )


def test_a_gdb_backtrace_of_a_goroutine_reads_as_its_stack() -> None:
    lines = (QUOTED / "dockerd-gdb-backtrace.txt").read_text().splitlines()
    assert sniff_goroutines(lines) > 0
    dump = parse_goroutine_lines(lines)
    assert dump.total == 1
    group = dump.groups[0]
    # frames 0 and 1 wrap their arguments onto a second line in gdb's output and are lost
    assert [f.function for f in group.frames] == [
        "runtime.semacquire",
        "sync.runtime_Semacquire",
        "sync.(*Mutex).Lock",
    ]
    assert (group.frames[2].file, group.frames[2].line) == ("/usr/lib/golang/src/sync/mutex.go", 85)
    assert group.state == "semacquire"


def test_cilium_consolidated_stacks_keep_their_counts() -> None:
    text = (QUOTED / "cilium-consolidated.txt").read_text()
    counted = (
        "9 occurences. Sample stack trace:\n" + text.split("1 occurences. Sample stack trace:\n")[1]
    )
    dump = parse_goroutine_lines(counted.splitlines())
    assert (dump.total, dump.groups[0].count) == (9, 9)
    assert dump.groups[0].signature[:2] == (
        "sync.runtime_SemacquireMutex",
        "sync.(*Mutex).lockSlow",
    )
    # the paste as a whole: the first group starts mid-stack with one located frame (no stack);
    # the two groups under a count line are read, one goroutine each
    whole = parse_goroutine_lines(text.splitlines())
    assert whole.total == 2
    assert {g.signature[1] for g in whole.groups} == {
        "sync.(*Mutex).lockSlow",
        "sync.(*WaitGroup).Wait",
    }


def test_a_log_quoting_one_frame_is_not_a_stack() -> None:
    lines = [
        "E0301 10:00:00.000000    1234 runtime.go:78] Observed a panic: boom",
        "main.main()",
        "\t/src/main.go:12 +0x1d",
    ]
    assert sniff_goroutines(lines) == 0.0
    assert parse_goroutine_lines(lines).total == 0


def test_a_quoted_goroutine_in_stat_is_a_filesystem_lead(tmp_path: Path) -> None:
    text = (QUOTED / "kubelet-stat-of-pod-volume.txt").read_text()
    diagnosis = diagnosed(tmp_path, text)
    assert [(f.failure_mode, f.tier) for f in diagnosis.findings] == [
        ("nfs-server-unresponsive-volume-hang", "lead")
    ]
    cited = diagnosis.findings[0].evidence[0].text
    assert cited.startswith(
        "goroutine 159 [syscall] of kubelet waits in syscall.Stat, a filesystem call, in "
        "k8s.io/kubernetes/pkg/util/mount.IsNotMountPoint"
    )
    # the same stack running, not in the system call: nothing waits
    running = text.replace("[syscall, 2 minutes]", "[running]", 1)
    assert diagnosed(tmp_path, running).findings == []


def test_the_kubelet_waiting_on_dockerd_over_http_blames_docker(tmp_path: Path) -> None:
    text = (QUOTED / "kubelet-waits-on-dockerd.txt").read_text()
    dump = parse_goroutine_lines(text.splitlines())
    assert runtime_waited_on(dump.groups[0], "kubelet") == "docker"
    finding = diagnosed(tmp_path, text, "kubelet-goroutines.txt").findings[0]
    assert (finding.failure_mode, finding.tier) == ("container-runtime-hung", "lead")
    assert finding.culprit is not None and finding.culprit.name == "docker"


def test_kubewhy_goroutines_says_an_excerpt_is_one_and_what_it_waits_for() -> None:
    from kubewhy.facts.goroutines import analyze

    text = (QUOTED / "dockerd-waits-on-containerd.txt").read_text()
    notes = analyze(parse_goroutine_lines(text.splitlines())).notes
    assert any(
        note.startswith("an excerpt of 1 goroutine(s)")
        and "waits for the reply of containerd" in note
        for note in notes
    )
    whole = parse_goroutine_lines((DATA / "convoy.sigquit.txt").read_text().splitlines())
    assert not any("excerpt" in note for note in analyze(whole).notes)
