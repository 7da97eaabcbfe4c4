"""The kernel's multi-line reports read whole: OOM reports of 3.10 to 6.18 in dmesg, syslog and
journal output (wrapped lines without prefix included), hung tasks and soft lockups with their
stacks; and the bounds on a big log."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from kubewhy.facts.kernel import mechanism_of
from kubewhy.parsers import kernel_reports
from kubewhy.parsers.journald import JOURNALD
from kubewhy.parsers.kernel_reports import (
    KernelReports,
    OomReport,
    message_of,
    read_kernel_reports,
    reports_in_text,
)
from kubewhy.parsers.kmsg import KMSG

DATA = Path(__file__).parents[1] / "data" / "kernel"


def _read(name: str, fmt: object = None) -> KernelReports:
    with (DATA / name).open("rb") as stream:
        return read_kernel_reports(stream, fmt)  # type: ignore[arg-type]


def _one_oom(name: str, fmt: object = None) -> OomReport:
    reports = _read(name, fmt)
    assert len(reports.ooms) == 1, reports.ooms
    return reports.ooms[0]


def test_a_real_memcg_oom_of_6_18() -> None:
    report = _one_oom("kernel_memcg_oom_6_18.txt", KMSG)
    assert report.oom and report.memcg
    assert report.invoker == "kwcap-hog" and report.invoker_pid == 18241
    assert report.release == "6.18.44-fc-v1272"
    assert report.constraint == "CONSTRAINT_MEMCG"
    assert report.oom_memcg == "/kwtest-memory-c11430bd"
    assert (report.usage_kb, report.limit_kb, report.failcnt) == (32768, 32768, 19)
    # v1 memcg stats ("rss 33419264", one per line) are not the node's Mem-Info
    assert report.mem_info == {}
    assert report.victim is not None
    assert (report.victim.pid, report.victim.name) == (18241, "kwcap-hog")
    assert report.victim.rss_kb == 32640 + 1016
    assert report.victim.cited.line == 79
    # 6.x table: rss rss_anon rss_file rss_shmem pgtables_bytes ...; rss in pages
    assert [(t.pid, t.name, t.rss_kb) for t in report.tasks] == [(18241, "kwcap-hog", 8414)]
    # the page size from the victim's total-vm (kB) over its row's total_vm (pages)
    assert report.page_kb() == 4.0
    stamp = report.cited["summary"].stamp
    assert stamp is not None and stamp.since_boot == pytest.approx(9042.175981)


def test_a_node_wide_oom_in_a_journal_with_wrapped_counters() -> None:
    report = _one_oom("kernel_global_oom_journal.txt", JOURNALD)
    assert report.oom and not report.memcg and report.constraint == "CONSTRAINT_NONE"
    assert report.invoker == "java" and report.order == 0
    # the counters after the first Mem-Info line come without the journal's prefix
    info = report.mem_info
    assert (info["active_anon"], info["inactive_anon"]) == (3769154, 82761)
    assert (info["active_file"], info["inactive_file"], info["free"]) == (1193, 1766, 32897)
    assert report.node_kb["active_anon"] == 15076616
    assert report.zone_free_kb == 13312 + 61148 + 57128
    assert report.zone_min_kb == 128 + 25528 + 110548
    assert report.swap_total_kb == 0 and report.ram_pages == 4135814
    assert [t.name for t in report.tasks] == ["java", "node", "python3", "kubelet", "containerd"]
    assert report.table_rows == 7
    assert report.victim is not None and report.victim.name == "java"
    assert report.victim.rss_kb == 14444836
    cited = report.cited["meminfo_active_file"]
    assert cited.text.startswith("active_file:1193") and cited.line == 16
    first = report.first
    assert first.host == "worker-7" and first.stamp is not None and not first.stamp.has_year


def test_a_3_10_oom_in_syslog() -> None:
    report = _one_oom("kernel_oom_3_10_syslog.txt", JOURNALD)
    assert report.oom and not report.memcg
    assert report.release == "3.10.0-693.el7.x86_64"
    # the per-CPU lists come first in 3.x; the counters after them are still read
    assert report.mem_info["active_file"] == 89 and report.mem_info["free"] == 25390
    assert (report.zone_free_kb, report.zone_min_kb) == (15908 + 85652, 132 + 90828)
    assert [t.pid for t in report.tasks] == [24572, 1150, 622]
    assert report.victim is not None and report.victim.rss_kb == 7635268
    assert "kill" in report.cited and "victim" in report.cited


def test_a_pod_memcg_oom_of_4_14_names_the_cgroup_over_its_limit() -> None:
    report = _one_oom("kernel_memcg_oom_kubepods_4_14.txt", KMSG)
    assert report.memcg and report.constraint == "CONSTRAINT_MEMCG"
    path = (
        "/kubepods/burstable/pod0330b2c1-a15b-4cdd-b5e5-72d4a90bee82/"
        "b27201334a41cd0749d053b18378d7ea65617b8e26277197ea25c974da1a5a8a"
    )
    assert report.oom_memcg == path and report.task_memcg == path
    assert report.limit_kb == 1048576 and report.failcnt == 3021
    assert [t.name for t in report.tasks] == ["python3", "sh", "pause"]
    assert report.victim is not None and report.victim.name == "python3"


def test_stalls_and_what_their_stacks_wait_in() -> None:
    stalls = _read("kernel_stalls.txt", KMSG).stalls
    got = [(s.kind, s.comm, s.pid, s.seconds, mechanism_of(s.top())) for s in stalls]
    assert got == [
        ("hung", "containerd", 2741, 122, "journal"),
        ("hung", "kworker/u16:3", 1043, 241, "netns"),
        ("lockup", "kubelet", 2211, 23, "memcg"),
        ("dstate", "dockerd", 1812, None, "netns"),
    ]
    containerd, worker, kubelet, dockerd = stalls
    # the scheduler and entry code are not what a task waits on
    assert containerd.top()[:3] == [
        "jbd2_log_wait_commit",
        "jbd2_complete_transaction",
        "ext4_fc_commit",
    ]
    assert worker.top()[:2] == ["__mutex_lock.constprop.0", "rtnl_lock"]
    assert containerd.release == "5.15.0-91-generic"
    # a soft lockup's RIP is where the CPU spins
    assert kubelet.rip == "mem_cgroup_iter" and kubelet.top()[0] == "mem_cgroup_iter"
    # 3.x marks every frame unsure ("? f"): they are used when there are no others
    assert dockerd.frames == [] and "copy_net_ns" in dockerd.top()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Mar 03 04:11:02 worker-7 kernel: Mem-Info:", "Mem-Info:"),
        ("2024-03-03T04:11:02+0000 worker-7 kernel: Mem-Info:", "Mem-Info:"),
        ("[Sun Jun 14 13:14:38 2020] Mem-Info:", "Mem-Info:"),
        ("kern  :warn  : [ 5012.48] Mem-Info:", "Mem-Info:"),
        ("4,3021,5012482741,-;Mem-Info:", "Mem-Info:"),
        ("Jan  5 02:11:58 node-4 kernel: [ 81.1] Mem-Info:", "Mem-Info:"),
        (
            "                                  active_file:1193",
            "                                  active_file:1193",
        ),
    ],
)
def test_the_kernel_message_under_any_prefix(line: str, message: str) -> None:
    assert message_of(line) == message


def test_a_pasted_dmesg_in_a_document_is_read_too() -> None:
    text = (DATA / "kernel_oom_3_10_syslog.txt").read_text()
    reports = reports_in_text("$ journalctl -k\n" + text, None, first_line=10)
    assert reports.ooms[0].first.line == 11


def _noise(lines: int) -> bytes:
    return b"".join(
        b"[%6d.000000] eth0: link up, 10000 Mbps, full duplex, flow control rx/tx\n" % i
        for i in range(lines)
    )


def test_a_report_across_block_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernel_reports, "BLOCK_BYTES", 4096)
    report = (DATA / "kernel_global_oom_journal.txt").read_bytes()
    before = _noise(200)
    data = before + report + _noise(300)
    reports = read_kernel_reports(io.BytesIO(data), JOURNALD)
    assert len(reports.ooms) == 1
    found = reports.ooms[0]
    assert found.first.line == 201
    assert found.victim is not None and found.victim.cited.line == 200 + 44
    assert found.mem_info["active_file"] == 1193 and len(found.tasks) == 5


def test_an_excerpt_that_begins_inside_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """A report whose opening lines fell in the block before the one with its words: that block's
    tail is read too."""
    monkeypatch.setattr(kernel_reports, "BLOCK_BYTES", 1024)
    frames = b"".join(b"[ 99.1]  frame_%d+0x1/0x2\n" % i for i in range(30))
    data = _noise(50) + b"[ 99.0]  out_of_memory+0x1b3/0x4d0\n" + frames + b"[ 99.2] Mem-Info:\n"
    data += b"[ 99.2] active_anon:100 inactive_anon:0 isolated_anon:0\n"
    data += b" active_file:1 inactive_file:0 isolated_file:0\n"
    reports = read_kernel_reports(io.BytesIO(data), KMSG)
    assert len(reports.ooms) == 1 and reports.ooms[0].oom
    assert reports.ooms[0].first.line == 51 and reports.ooms[0].mem_info["active_file"] == 1


def test_reports_kept_are_capped() -> None:
    report = (DATA / "kernel_memcg_oom_6_18.txt").read_bytes()
    many = report * (kernel_reports.MAX_OOM_REPORTS + 36)
    reports = read_kernel_reports(io.BytesIO(many), KMSG)
    assert reports.oom_total == kernel_reports.MAX_OOM_REPORTS + 36
    assert len(reports.ooms) == kernel_reports.MAX_OOM_REPORTS
    # the latest are kept
    assert reports.ooms[-1].first.line == (kernel_reports.MAX_OOM_REPORTS + 35) * 79 + 1


def test_a_big_log_is_searched_in_blocks_and_bounded() -> None:
    """48 MiB of kernel log with one report at the end: searched, not read line by line."""
    noise = _noise(1000) * 640
    data = noise + (DATA / "kernel_memcg_oom_6_18.txt").read_bytes()
    started = time.perf_counter()
    reports = read_kernel_reports(io.BytesIO(data), KMSG)
    elapsed = time.perf_counter() - started
    assert len(reports.ooms) == 1 and reports.ooms[0].first.line == 640_001
    assert elapsed < 20, elapsed


def test_reading_stops_at_the_byte_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernel_reports, "MAX_READ_BYTES", 1 << 20)
    data = _noise(40_000) + (DATA / "kernel_memcg_oom_6_18.txt").read_bytes()
    reports = read_kernel_reports(io.BytesIO(data), KMSG)
    assert reports.truncated and not reports.ooms
