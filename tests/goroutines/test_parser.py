"""The goroutine dump parser on every shape, including logs and broken input."""

# Real dump lines are long: they are kept whole.
# ruff: noqa: E501

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kubewhy.facts.goroutines import analyze
from kubewhy.parsers.base import Context
from kubewhy.parsers.goroutines import (
    GOROUTINES,
    GoroutineDump,
    parse_goroutine_chunks,
    parse_goroutine_lines,
    parse_goroutine_stream,
)

DATA = Path(__file__).parent / "data"

APISERVER = """goroutine 18970952966 [chan send, 429 minutes]:
k8s.io/kubernetes/vendor/k8s.io/apiserver/pkg/registry/generic/registry.(*Store).DeleteCollection.func1(0xc00f082ba0, 0xc04e059b90, 0x9, 0x9, 0xc235e37570)
\t/workspace/anago-v1.18.4/src/k8s.io/kubernetes/_output/dockerized/go/src/k8s.io/kubernetes/vendor/k8s.io/apiserver/pkg/registry/generic/registry/store.go:1074 +0x9e
created by k8s.io/kubernetes/vendor/k8s.io/apiserver/pkg/registry/generic/registry.(*Store).DeleteCollection
\t/workspace/anago-v1.18.4/src/k8s.io/kubernetes/_output/dockerized/go/src/k8s.io/kubernetes/vendor/k8s.io/apiserver/pkg/registry/generic/registry/store.go:1070 +0x1fd
"""

TERWAY = """goroutine 67570 [syscall, 1595 minutes, locked to thread]:
syscall.Syscall6()
github.com/AliyunContainerService/terway/vendor/golang.org/x/sys/unix.recvfrom()
github.com/AliyunContainerService/terway/vendor/golang.org/x/sys/unix.Recvfrom()
github.com/AliyunContainerService/terway/vendor/github.com/vishvananda/netlink/nl.(*NetlinkSocket).Receive()
github.com/AliyunContainerService/terway/vendor/github.com/vishvananda/netlink/nl.(*NetlinkRequest).Execute()
github.com/AliyunContainerService/terway/vendor/github.com/vishvananda/netlink.(*Handle).LinkSetNsFd()

goroutine {id} [semacquire, {minutes} minutes]:
sync.runtime_SemacquireMutex()
sync.(*Mutex).Lock()
github.com/AliyunContainerService/terway/daemon.(*networkService).AllocIP()
"""

KUBELET_JOURNAL = """\
Jun 14 13:14:38 node-1 kubelet[2211]: I0614 13:14:38.000001    2211 kubelet.go:1888] SyncLoop (PLEG)
Jun 14 13:14:39 node-1 kubelet[2211]: SIGABRT: abort
Jun 14 13:14:39 node-1 kubelet[2211]: goroutine 412 [semacquire, 95 minutes]:
kubelet: sync.runtime_SemacquireMutex()kubelet: sync.(*Mutex).Lock()
kubelet: #011/usr/local/go/src/sync/mutex.go:81 +0x8f
kubelet: k8s.io/kubernetes/pkg/kubelet/dockershim/network.(*PluginManager).GetPodNetworkStatus(0xc000a, 0x1)
kubelet: #011/workspace/src/k8s.io/kubernetes/pkg/kubelet/dockershim/network/plugins.go:390 +0x9d
kubelet: k8s.io/kubernetes/pkg/kubelet/dockershim.(*dockerService).getIP(0xc0001)
kubelet: k8s.io/kubernetes/pkg/kubelet/dockershim.(*dockerService).PodSandboxStatus(0xc0001)
kubelet: k8s.io/kubernetes/pkg/kubelet/pleg.(*GenericPLEG).relist(0xc0002)
Jun 14 13:14:39 node-1 kubelet[2211]:
Jun 14 13:14:39 node-1 kubelet[2211]: goroutine 413 [semacquire, 95 minutes]:
kubelet: sync.runtime_SemacquireMutex()kubelet: sync.(*Mutex).Lock()
kubelet: #011/usr/local/go/src/sync/mutex.go:81 +0x8f
kubelet: k8s.io/kubernetes/pkg/kubelet/dockershim/network.(*PluginManager).GetPodNetworkStatus(0xc000b, 0x2)
kubelet: #011/workspace/src/k8s.io/kubernetes/pkg/kubelet/dockershim/network/plugins.go:390 +0x9d
kubelet: k8s.io/kubernetes/pkg/kubelet/dockershim.(*dockerService).getIP(0xc0003)
kubelet: k8s.io/kubernetes/pkg/kubelet/dockershim.(*dockerService).PodSandboxStatus(0xc0003)
kubelet: k8s.io/kubernetes/pkg/kubelet/pleg.(*GenericPLEG).relist(0xc0004)
Jun 14 13:14:40 node-1 systemd[1]: kubelet.service: Main process exited, code=dumped
"""


def group_counts(dump: GoroutineDump) -> dict[tuple[str, ...], tuple[int, dict[str, int]]]:
    return {g.signature: (g.count, dict(g.states)) for g in dump.groups}


def test_apiserver_header_waits_and_created_by() -> None:
    dump = parse_goroutine_lines(APISERVER.splitlines())
    (group,) = dump.groups
    assert (group.count, group.state, group.max_wait, group.longest_id) == (
        1,
        "chan send",
        429,
        18970952966,
    )
    assert group.frames[0].line == 1074
    assert group.frames[0].file is not None and group.frames[0].file.endswith("store.go")
    assert group.created_by is not None
    assert group.created_by.function.endswith("registry.(*Store).DeleteCollection")
    assert (dump.malformed, dump.total) == (0, 1)


# public: moby/moby#22671 (a dockerd goroutine as posted in the thread, every line indented
# below its header; the last frames cut)
INDENTED = """goroutine 167876743 [semacquire, 1285 minutes]:
     sync.runtime_Semacquire(0xc824b92c44)
         /usr/local/go/src/runtime/sema.go:43 +0x26
     sync.(*Mutex).Lock(0xc824b92c40)
         /usr/local/go/src/sync/mutex.go:82 +0x1c4
     github.com/docker/docker/daemon.(*Daemon).reducePsContainer(0xc820660780, 0xc822961a40)
         /go/src/github.com/docker/docker/daemon/list.go:126 +0x49
"""


def test_a_dump_pasted_with_its_frames_indented_is_read_frame_by_frame() -> None:
    dump = parse_goroutine_lines(INDENTED.splitlines())
    (group,) = dump.groups
    assert [f.function for f in group.frames] == [
        "sync.runtime_Semacquire",
        "sync.(*Mutex).Lock",
        "github.com/docker/docker/daemon.(*Daemon).reducePsContainer",
    ]
    assert [f.line for f in group.frames] == [43, 82, 126]
    assert (dump.malformed, group.max_wait) == (0, 1285)
    (convoy,) = analyze(dump).convoys
    assert convoy.lock_function.endswith("reducePsContainer")


def test_goroutines_that_differ_only_in_arguments_and_ids_share_a_group() -> None:
    text = "\n".join(
        APISERVER.replace("18970952966", str(1000 + n)).replace("0xc00f082ba0", hex(n)) + "\n"
        for n in range(60)
    )
    dump = parse_goroutine_lines(text.splitlines())
    assert [g.count for g in dump.groups] == [60]


def test_go121_created_by_in_goroutine_n_is_one_group() -> None:
    def goroutine(gid: int, parent: int) -> str:
        return (
            f"goroutine {gid} [select, {gid} minutes]:\n"
            "main.worker(0xc000012345)\n\t/src/main.go:10 +0x25\n"
            f"created by main.main in goroutine {parent}\n\t/src/main.go:20 +0x3d\n"
        )

    dump = parse_goroutine_lines((goroutine(5, 1) + "\n" + goroutine(9, 7)).splitlines())
    (group,) = dump.groups
    assert (group.count, group.max_wait, group.longest_id, group.min_wait) == (2, 9, 9, 5)
    assert group.created_by is not None and group.created_by.function == "main.main"


def test_crash_traceback_frame_pointers_elided_frames_and_running_elsewhere() -> None:
    text = (
        "SIGABRT: abort\nPC=0x46e8e1 m=0 sigcode=0\n\n"
        "goroutine 1 gp=0xc000002380 m=0 mp=0x5bc180 [running]:\n"
        "runtime.raise()\n\t/go/src/runtime/sys_linux_amd64.s:154 +0x21 fp=0xc0000 sp=0xc0001 pc=0x4\n"
        "main.deep(...)\n\t/src/main.go:7\n"
        "...additional frames elided...\n"
        "created by main.main\n\t/src/main.go:30 +0x1d\n\n"
        "goroutine 2 [running]:\n\tgoroutine running on other thread; stack unavailable\n\n"
        "rax    0x0\nrbx    0x6\n"
    )
    dump = parse_goroutine_lines(text.splitlines())
    by_id = {g.first_id: g for g in dump.groups}
    assert by_id[1].signature == (
        "runtime.raise",
        "main.deep",
        "...additional frames elided...",
        "created by main.main",
    )
    assert by_id[1].frames[0].line == 154
    assert by_id[2].frames == ()
    assert (dump.total, dump.malformed, dump.ignored_lines) == (2, 0, 4)


def test_debug1_profile_counts_labels_and_guessed_states() -> None:
    both = (DATA / "convoy.debug1.txt").read_text() + (DATA / "distributor.debug1.txt").read_text()
    dump = parse_goroutine_stream(io.StringIO(both))
    assert dump.total == 45 + 124
    assert dump.declared_total == 124  # the last "goroutine profile: total N" read
    assert dump.shapes == frozenset({"profile"})
    states = {f.function: g.state for g in dump.groups for f in g.frames}
    assert states["main.(*LinkManager).AllocateIP"] == "semacquire"
    assert states["main.(*LinkManager).setupLink"] == "syscall"
    assert states["main.(*Store).DeleteCollection.func1"] == "unknown"
    labelled = 'goroutine profile: total 3\n3 @ 0x1 0x2\n# labels: {"k":"v"}\n#\t0x1\tmain.f+0x1\t/m.go:3\n'
    (group,) = parse_goroutine_lines(labelled.splitlines()).groups
    assert (group.count, group.signature) == (3, ("main.f",))


def test_debug1_excerpt_without_its_total_and_with_tabs_turned_to_spaces() -> None:
    # distributor.debug1.txt without its first line, tabs expanded (as a paste makes them).
    text = (DATA / "distributor.debug1-excerpt-spaced.txt").read_text()
    assert GOROUTINES.sniff(text.splitlines()[:20]) == pytest.approx(0.9)
    dump = parse_goroutine_stream(io.StringIO(text))
    assert (dump.total, dump.malformed, dump.declared_total) == (124, 0, None)
    biggest = dump.ranked()[0]
    assert biggest.count == 120
    assert str(biggest.frames[0]) == (
        "main.(*Store).DeleteCollection.func1 (example.com/distributor/main.go:32)"
    )


def test_counted_frame_lines_of_uniq_c() -> None:
    # grep -A1 '^goroutine' | sort | uniq -c over distributor.debug2.txt, command line kept.
    text = (DATA / "distributor.counted-frames.txt").read_text()
    assert GOROUTINES.sniff(text.splitlines()[:20]) == pytest.approx(0.6)
    dump = parse_goroutine_stream(io.StringIO(text))
    assert (dump.total, dump.malformed, dump.shapes) == (124, 0, frozenset({"counted"}))
    counts = {g.frames[0].function: g.count for g in dump.groups}
    assert counts["main.(*Store).DeleteCollection.func1"] == 120
    assert counts["time.Sleep"] == 1
    leak = analyze(dump).leaks[0]
    assert (leak.function, leak.count) == ("main.(*Store).DeleteCollection.func1", 120)
    # Counted lines that are no frames are no dump.
    assert GOROUTINES.sniff(["   12 apples", "    3 pears()", "    4 plums"]) == 0.0


def test_counted_creators_and_frames_cut_at_their_arguments() -> None:
    # public: kumahq/kuma#2004 (grep StreamHandler dump | awk -F '0x' '{ print $1 }' | uniq -c)
    lines = [
        "   1 created by github.com/envoyproxy/go-control-plane/pkg/server/sotw/v2.(*server).StreamHandler",
        "31631 created by github.com/envoyproxy/go-control-plane/pkg/server/sotw/v3.(*server).StreamHandler",
        "  55 created by github.com/kumahq/kuma/pkg/hds/server.(*server).StreamHandler",
        "31631 github.com/envoyproxy/go-control-plane/pkg/server/sotw/v3.(*server).StreamHandler.func1(",
    ]
    assert GOROUTINES.sniff(lines) == pytest.approx(0.6)
    dump = parse_goroutine_lines(lines)
    counts = {g.frames[0].function: g.count for g in dump.groups}
    creator = "github.com/envoyproxy/go-control-plane/pkg/server/sotw/v3.(*server).StreamHandler"
    assert counts[creator] == 31631 and counts[creator + ".func1"] == 31631
    assert dump.malformed == 0
    # A count of names that are no functions is still no dump.
    assert GOROUTINES.sniff(["   12 created by", "    3 kubelet(", "    4 plums"]) == 0.0


def test_kubelet_journal_with_prefixes_rsyslog_tabs_and_glued_frames() -> None:
    dump = parse_goroutine_lines(io.StringIO(KUBELET_JOURNAL))
    (group,) = dump.groups
    assert group.count == 2
    assert group.signature == (
        "sync.runtime_SemacquireMutex",
        "sync.(*Mutex).Lock",
        "k8s.io/kubernetes/pkg/kubelet/dockershim/network.(*PluginManager).GetPodNetworkStatus",
        "k8s.io/kubernetes/pkg/kubelet/dockershim.(*dockerService).getIP",
        "k8s.io/kubernetes/pkg/kubelet/dockershim.(*dockerService).PodSandboxStatus",
        "k8s.io/kubernetes/pkg/kubelet/pleg.(*GenericPLEG).relist",
    )
    assert group.frames[1].file == "/usr/local/go/src/sync/mutex.go"
    assert (group.max_wait, group.state) == (95, "semacquire")
    assert dump.ignored_lines >= 3  # the SyncLoop line, SIGABRT and the systemd line


def test_klog_and_rfc3339_prefixed_dump() -> None:
    lines = [
        "2024-03-01T10:00:00.123456789Z stderr F goroutine 7 [IO wait, 12 minutes]:",
        "2024-03-01T10:00:00.123456789Z stderr F internal/poll.runtime_pollWait(0x7f, 0x72)",
        "2024-03-01T10:00:00.123456789Z stderr F \t/go/src/runtime/netpoll.go:305 +0x89",
        "E0301 10:00:00.123456       1 runtime.go:78] main.loop()",
    ]
    (group,) = parse_goroutine_lines(lines).groups
    assert group.signature == ("internal/poll.runtime_pollWait", "main.loop")
    assert (group.state, group.max_wait) == ("IO wait", 12)


def test_malformed_lines_are_skipped_and_counted() -> None:
    text = (
        "goroutine 1 [chan receive]:\nmain.main()\n\t/src/main.go:5 +0x1\n"
        "this is not a frame\n\t???\n\n"
        "goroutine x [running]:\nmain.f()\n\n"
        "goroutine 3 [select, many minutes]:\nmain.g()\n"
    )
    dump = parse_goroutine_lines(text.splitlines())
    assert dump.total == 1
    assert dump.malformed == 2 + 2 + 2  # two bad lines, the bad id block, the bad minutes block
    assert dump.groups[0].signature == ("main.main",)


@pytest.mark.parametrize("name", ["distributor.debug2.txt", "convoy.sigquit.txt"])
def test_result_does_not_depend_on_how_the_text_is_cut(name: str) -> None:
    text = (DATA / name).read_text()
    whole = parse_goroutine_chunks([text])
    for size in (7, 4096):
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        assert group_counts(parse_goroutine_chunks(pieces)) == group_counts(whole)
    assert group_counts(parse_goroutine_lines(text.splitlines(keepends=True))) == group_counts(
        whole
    )
    # Noise between goroutines takes the record-by-record path: same groups.
    noisy = text.replace("\n\ngoroutine ", "\n\nsome log line\n\ngoroutine ")
    assert group_counts(parse_goroutine_chunks([noisy])) == group_counts(whole)


def test_crlf_and_blank_line_runs() -> None:
    text = (DATA / "healthy.debug2.txt").read_text()
    odd = text.replace("\n\n", "\n\n\n\n").replace("\n", "\r\n")
    assert group_counts(parse_goroutine_chunks([odd])) == group_counts(
        parse_goroutine_chunks([text])
    )


def test_document_format_sniff_and_parse() -> None:
    text = (DATA / "distributor.debug2.txt").read_text()
    assert GOROUTINES.sniff(text.splitlines()[:20]) >= 0.9
    assert GOROUTINES.sniff(KUBELET_JOURNAL.splitlines()[:5]) == pytest.approx(0.6)
    assert GOROUTINES.sniff(["I0614 13:14:38.0 1 a.go:1] hello"]) == 0.0
    result = GOROUTINES.parse(text, Context(source="apiserver.txt", node="n1"))
    (fact,) = result.facts
    assert (fact.name, fact.value, fact.entity.name, fact.entity.node) == (
        "component.goroutines",
        124,
        "go-program",
        "n1",
    )
    (dump,) = result.goroutine_dumps
    assert isinstance(dump, GoroutineDump) and dump.total == 124


def test_terway_convoy_holder_is_the_netlink_receive() -> None:
    text = TERWAY.format(id=70001, minutes=1590)
    text += "\n" + TERWAY.split("\n\n")[1].format(id=70002, minutes=1200)
    report = analyze(parse_goroutine_lines(text.splitlines()))
    (convoy,) = report.convoys
    assert convoy.waiters == 2
    assert convoy.holder is not None
    assert (convoy.holder.goroutine, convoy.holder.wait_minutes) == (67570, 1595)
    assert convoy.holder.function.endswith("netlink/nl.(*NetlinkSocket).Receive")
    assert convoy.lock_function.endswith("daemon.(*networkService).AllocIP")


def test_builtin_knowledge_base_signature_on_an_apiserver_dump() -> None:
    from kubewhy.cli.goroutines import knowledge_base_signatures

    text = "\n".join(APISERVER.replace("18970952966", str(n)) for n in range(1, 61))
    report = analyze(parse_goroutine_lines(text.splitlines()), knowledge_base_signatures())
    assert {m.failure_mode: m.count for m in report.signatures} == {
        "apiserver-goroutine-leak-oom": 60
    }
