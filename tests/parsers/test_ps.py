"""ps listings, saved and live."""

from __future__ import annotations

import os
import subprocess
import time

from kubewhy.parsers.base import Context, ParseResult
from kubewhy.parsers.ps import PsFormat

FORMAT = PsFormat()


def _node(result: ParseResult) -> dict[str, object]:
    return {f.name: f.value for f in result.facts if f.name.startswith("node.")}


def _of(result: ParseResult, pid: int) -> dict[str, object]:
    return {f.name: f.value for f in result.facts if f.entity.pid == pid}


def test_auxf_forest_zombies_and_shims(parse) -> None:
    result = parse(FORMAT, "ps_auxf_zombies.txt", node="n1")
    cron = _of(result, 2932)
    assert cron["process.ppid"] == 2915  # from the forest indentation
    assert cron["process.zombie_children"] == 3
    assert cron["process.is_container_init"] is True
    assert cron["process.cpu_percent"] == 0.2
    assert cron["process.rss_bytes"] == 10712 * 1024
    assert _of(result, 31000)["process.state"] == "Z"
    assert _of(result, 3020)["process.is_container_init"] is True  # /pause under a shim
    assert "process.is_container_init" not in _of(result, 2915)
    assert _node(result) == {
        "node.processes.total": 14,
        "node.zombies.total": 3,
        "node.dstate.total": 1,
        "node.cni_plugin_processes": 1,
    }
    assert any("has 3 zombie children" in r.text for r in result.records)
    # The kubelet line also gives its flags.
    assert [f.value for f in result.facts if f.name == "kubelet.pod_pids_limit"] == [16384]
    assert result.malformed == 0


def test_ef_with_defunct_and_cni_plugins(parse) -> None:
    result = parse(FORMAT, "ps_ef.txt")
    assert _of(result, 2932)["process.zombie_children"] == 2
    assert _node(result)["node.cni_plugin_processes"] == 2
    assert _node(result)["node.zombies.total"] == 2
    assert "node.threads.total" not in _node(result)  # ps -ef shows no threads
    assert result.malformed == 1


def test_zombies_of_a_parent_the_filter_left_out() -> None:
    # `ps -ef | grep defunct`, rows in procps' -ef layout (written for this test): the parent is
    # not listed, its PID is, and it keeps at least the zombies shown.
    rows = "".join(
        f"root     {pid} 16414  0 Mar31 ?        00:00:00 [wc] <defunct>\n"
        for pid in (63412, 63451, 63588)
    )
    result = FORMAT.parse(
        "UID        PID  PPID  C STIME TTY          TIME CMD\n" + rows, Context("ps.txt")
    )
    assert _of(result, 16414)["process.zombie_children"] == 3
    assert _of(result, 16414)["process.zombie_command"] == "wc"
    assert "node.zombies.total" not in _node(result)  # a filtered listing gives no node totals


def test_a_listing_of_zombies_only_is_a_sample() -> None:
    # `ps aux | grep defunct` in procps' aux layout (written for this test): no PID 1, no parent
    # column, only zombies; three of one command are at least how many it left unreaped.
    rows = "".join(
        f"root  {pid}  0.0  0.0  0  0 ?  Zs  16:01  0:00 [git] <defunct>\n"
        for pid in (966, 1687, 2594)
    )
    header = "USER   PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\n"
    result = FORMAT.parse(header + rows, Context("ps.txt"))
    # the command they ran names the job whose exits nobody waits for
    assert _node(result) == {"node.zombies.sampled": 3, "node.zombies.sampled_command": "git"}
    mixed = FORMAT.parse(
        header + rows + rows.replace("Zs", "Ss").replace("966", "967"), Context("p")
    )
    assert "node.zombies.sampled" not in _node(mixed)


def test_elf_counts_threads(parse) -> None:
    result = parse(FORMAT, "ps_eLf.txt")
    assert _of(result, 1190)["process.threads"] == 3
    assert _node(result)["node.threads.total"] == 6
    assert _node(result)["node.processes.total"] == 3


def test_custom_columns_with_two_command_titles(parse) -> None:
    result = parse(FORMAT, "ps_eo_custom.txt")
    assert _of(result, 2932)["process.command"] == "java -Xmx2g -jar /app/app.jar"
    assert _of(result, 2932)["process.threads"] == 812
    assert _of(result, 2932)["process.is_container_init"] is True  # containerd-shim-runc-v2
    assert _node(result)["node.threads.total"] == 824


def test_one_line_forest_best_effort(parse) -> None:
    result = parse(FORMAT, "ps_squashed_line.txt")
    assert _of(result, 2932)["process.zombie_children"] == 2
    assert _of(result, 2932)["process.is_container_init"] is True
    assert _of(result, 31001)["process.state"] == "Z"
    assert [r.text for r in result.records if r.text.startswith("[curl]")] == [
        "[curl] <defunct>",
        "[curl] <defunct>",
    ]
    assert "node.zombies.total" not in _node(result)  # not a full listing


def test_filtered_listing_gives_no_node_totals() -> None:
    text = "root  1190  1  5 Jun10 ?  18:43:40 /usr/bin/kubelet --max-pods=50\n"
    result = FORMAT.parse(text, Context("grep"))
    assert _node(result) == {}
    assert [f.value for f in result.facts if f.name == "kubelet.max_pods"] == [50]


def test_live_ps_sees_a_real_zombie() -> None:
    # A parent that never reaps its child: `sh` execs `sleep`, leaving `true` a zombie.
    parent = subprocess.Popen(["sh", "-c", "true & exec sleep 30"])
    try:
        deadline = time.monotonic() + 5
        while True:
            done = subprocess.run(
                ["ps", "-eLf"], capture_output=True, text=True, timeout=10, check=True
            )
            result = FORMAT.parse(done.stdout, Context("ps -eLf"))
            mine = _of(result, parent.pid)
            if mine.get("process.zombie_children") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert mine["process.zombie_children"] == 1
        assert _of(result, os.getpid())["process.threads"] >= 1
        node = _node(result)
        assert node["node.zombies.total"] >= 1
        assert node["node.threads.total"] >= node["node.processes.total"]
        assert result.malformed == 0
    finally:
        parent.kill()
        parent.wait(timeout=10)


def test_vmstat_rows_are_not_ps_rows() -> None:
    text = (
        "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n"
        " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n"
        " 9  1      0 1198585   1127 2388869    0    0  7138   388 9474 13818 32  2 62  4  0\n"
        " 7  2      0 1198000   1127 2388000    0    0  7000   300 9400 13000 30  2 64  4  0\n"
    )
    assert FORMAT.sniff(text.splitlines()) == 0.0


def test_headerless_pid_ppid_stat_listing_of_real_zombies() -> None:
    # A parent that never reaps four children, listed the way a zombie hunt asks:
    # `ps -o pid,ppid,stat,comm --no-headers --ppid PARENT` (no header to name the columns).
    parent = subprocess.Popen(["sh", "-c", "true & true & true & true & exec sleep 30"])
    try:
        deadline = time.monotonic() + 5
        while True:
            listed = subprocess.run(
                ["ps", "-o", "pid,ppid,stat,comm", "--no-headers", "--ppid", str(parent.pid)],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
            if listed.count(" Z") >= 4 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert FORMAT.sniff(listed.splitlines()) > 0
        result = FORMAT.parse(listed, Context("ps-zombies.txt"))
        assert _of(result, parent.pid)["process.zombie_children"] == 4
        assert result.malformed == 0
    finally:
        parent.kill()
        parent.wait(timeout=10)
