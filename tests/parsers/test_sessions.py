"""Pasted terminal sessions: prompts as people paste them, command lines, and the meaning of what
a command printed.

Lines marked "public" are as posted in public issue threads (the thread is named); the others are
real output of this machine's own commands, made by the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.commands import COMMANDS, facts_of, interpret
from kubewhy.parsers.sessions import prompt_of, transcript_sections
from kubewhy.parsers.shell import origin_of, parse_command


@pytest.mark.parametrize(
    ("line", "host", "command"),
    [
        ("root@node-1:~# uname -r", "node-1", "uname -r"),
        ("[root@k8s-master01 ~]# kubectl describe po -n kube-system x", "k8s-master01", None),
        ("(venv)buildbot@33c1b2f3efed:/tmp/test$ ps auxw | grep defunc", "33c1b2f3efed", None),
        ("10.35.16.155 root@sparrow-dev:/var/lib/cni/br0# crictl rmp ec2f", "sparrow-dev", None),
        ("kube-3 ~ # systemctl list-units --all | wc -l", "kube-3", None),  # public: k8s#57345
        ("k3os-30178 [~]$ date -u", "k3os-30178", None),  # public: rancher/k3os#381
        ("Tylers-MacBook-Pro:~ tylerlisowski$ kubectl get secrets -A | wc -l", None, None),
        ("/ # ps -o stat,pid,ppid,comm | grep ^Z | wc -l", None, None),  # public: habitat#1099
        ("# cat /proc/sys/fs/inotify/max_user_watches", None, None),
        ("$ curl -s localhost:9100/metrics | grep '^node_processes_pids '", None, None),
        ("✗ kubectl -n kindling get pods -o wide", None, None),
        ("➜  ~ kubectl get pods -A", None, "kubectl get pods -A"),
        ("➜  kubewhy git:(main) ✗ dmesg -T | tail", None, "dmesg -T | tail"),
        ("node-1% ps -ef", "node-1", "ps -ef"),
        ("node-1 % cat /proc/loadavg", "node-1", "cat /proc/loadavg"),
        ("bash-4.2$ ulimit -u", None, "ulimit -u"),
        ("sh-4.4# cat /proc/sys/kernel/pid_max", None, "cat /proc/sys/kernel/pid_max"),
        ("PS C:\\Users\\me> kubectl get nodes", None, "kubectl get nodes"),
        # host names redacted in part (public: Azure/AKS#3162)
        (
            "user@aks-nodepool-######-vmss000001:~$ cat /etc/resolv.conf",
            "aks-nodepool-######-vmss000001",
            "cat /etc/resolv.conf",
        ),
        ("[root@k8s-***-01 ~]# uname -r", "k8s-***-01", "uname -r"),
        # Alpine's and BusyBox ash's PS1 '\\h:\\w\\$ ' in a pod (public: kubernetes#127702)
        (
            "busybox-deploy-85d854b658-k4v49:~# ping rancher.devops.zenlayer.net",
            "busybox-deploy-85d854b658-k4v49",
            "ping rancher.devops.zenlayer.net",
        ),
        ("web-0:/etc# cat resolv.conf", "web-0", "cat resolv.conf"),
        # Commands pasted without their prompt (public: k3s-io/k3s#2143)
        (" k3s kubectl -n kube-system logs --previous coredns-7944c66d8d-w5twl", None, None),
        ("kubectl -n kube-system get pods", None, "kubectl -n kube-system get pods"),
        ("sudo crictl ps -a", None, "sudo crictl ps -a"),
        ("journalctl -u kubelet --no-pager", None, "journalctl -u kubelet --no-pager"),
        # A pipeline of known programs pasted without its prompt (public: k3s-io/k3s#9264)
        (
            "jq 'select(.stage == \"RequestReceived\")' audit_all.log | grep userAgent | sort"
            " | uniq -c",
            None,
            None,
        ),
        ("ps aux | grep defunct | wc -l", None, "ps aux | grep defunct | wc -l"),
    ],
)
def test_prompts_in_many_styles(line: str, host: str | None, command: str | None) -> None:
    prompt = prompt_of(line)
    assert prompt is not None, line
    if host is not None:
        assert prompt.host == host
    if command is not None:
        assert prompt.command == command


@pytest.mark.parametrize(
    "line",
    [
        "# HELP node_procs_blocked Number of processes blocked waiting for I/O",
        "# Controls the maximum number of processes",
        "> this is quoted text, not a command",
        "$ ",
        "Warning  Unhealthy  3m  kubelet  Readiness probe failed",
        "➜  this arrow points at prose",
        "CPU% MEM% used by the kubelet",
        "disk 95% full",
        # A program's own log line and prose that start with a client's name
        "kubectl.go:42] kubectl get failed",
        # a pipe in a log line, and a program that is not a filter after it
        'I0325 trace.go:116] Trace[1]: "List" url:/api/v1/pods | total time: 1.0s',
        "grep error app.log | mail -s report ops@example.com",
        "kubectl is not installed on this node",
        "docker0: port 1(veth3a1) entered forwarding state",
        # host:path then a mark, but no command kubewhy knows after it
        "app-1:/srv# of runs failed today",
        "Status:/running# of 3",
        # a script inside a manifest
        "        kubectl get pods -n kube-system",
    ],
)
def test_lines_that_are_not_prompts(line: str) -> None:
    assert prompt_of(line) is None


def test_one_prompt_on_top_makes_a_session_and_line_numbers_stay_the_files() -> None:
    text = "intro line\n$ uname -r\n4.4.0-104-generic\n$ nproc\n8\n"
    sections = transcript_sections(text)
    assert sections is not None
    assert [(s.start, s.prompt.command if s.prompt else None) for s in sections] == [
        (1, None),
        (2, "uname -r"),
        (4, "nproc"),
    ]
    assert transcript_sections("# ps auxw\nUSER PID\n") is not None
    assert transcript_sections("plain log line\n# ps auxw\n") is None  # one prompt, not on top
    # One "$ " prompt typing a known command below other text: a client's log, then the one
    # command run after it (public: kubernetes/kubernetes#101634).
    below = "GET https://h/apis/a.io/v1?timeout=32s\n$ kubectl get crd | wc -l\n226\n"
    found = transcript_sections(below)
    assert found is not None
    assert [(s.start, s.prompt.command if s.prompt else None) for s in found] == [
        (1, None),
        (2, "kubectl get crd | wc -l"),
    ]
    assert transcript_sections("plain log line\n$ frobnicate now\n") is None  # unknown command


def test_splitting_is_linear() -> None:
    """A session of 20,000 commands (about 1 MB) splits in well under a second."""
    text = "".join(f"root@n1:~# cat /proc/sys/kernel/pid_max\n{n}\n" for n in range(20_000))
    started = time.perf_counter()
    sections = transcript_sections(text)
    assert sections is not None and len(sections) == 20_000
    assert time.perf_counter() - started < 2.0


def test_pipelines() -> None:
    p = parse_command("sudo ps auxw | grep defunc | nl | tail -1")
    assert p is not None
    assert (p.source.name, p.grep_patterns, p.counts_lines, p.sampled) == (
        "ps",
        ["defunc"],
        True,
        False,
    )
    head = parse_command("kubectl get pods -A | head -20")
    assert head is not None and head.sampled and not head.counts_lines
    assert parse_command("ps aux; uptime") is None  # two commands: outputs cannot be told apart
    writes = parse_command("echo 1048576 > /proc/sys/fs/inotify/max_user_watches")
    assert writes is not None and writes.writes
    assert parse_command("sysctl -w fs.inotify.max_user_instances=1000").writes  # type: ignore[union-attr]
    assert not parse_command("cat /proc/self/status > /dev/null").writes  # type: ignore[union-attr]


def _values(command: str, *out: str) -> dict[str, object]:
    readings = interpret(command, list(enumerate(out, 2)))
    assert readings is not None, command
    return {r.name: r.value for r in readings}


def test_counts_take_their_meaning_from_the_command() -> None:
    # public: kubernetes/kubernetes#57345
    assert _values("systemctl list-units --all | wc -l", "131079") == {"node.systemd.units": 131079}
    assert _values("systemctl list-units --type=mount --all | wc -l", "9000") == {
        "node.systemd.mount_units": 8999
    }
    # public: habitat-sh/core-plans#1099 (the grep of ^Z does not list itself)
    assert _values("ps -o stat,pid,ppid,comm | grep ^Z | wc -l", "120") == {
        "node.zombies.total": 120
    }
    # public: datalad/datalad#132 -- `grep defunc` lists its own process: 587 lines, 586 zombies
    line = (
        "   587  buildbot 17850  0.0  0.0   8872   784 ?  S+  19:04   0:00 grep --color=auto defunc"
    )
    assert _values("ps auxw | grep defunc | nl | tail -1", line) == {"node.zombies.total": 586}
    assert _values("ps -eLf | wc -l", "32541") == {"node.threads.total": 32540}
    assert _values("kubectl get pods --all-namespaces -o wide --no-headers | wc -l", "13274") == {
        "cluster.pods.count": 13274
    }
    # A filtered or sampled listing is not a total: no reading.
    assert interpret("ps aux | grep java | wc -l", [(2, "12")]) is None


def test_a_stage_that_drops_the_header_keeps_every_row_counted() -> None:
    # public: kubernetes/kubernetes#101634 (awk drops the NAME header line; wc counts the CRDs)
    assert _values("kubectl get crd | awk 'NR>1' | wc -l", "     225") == {
        "cluster.objects.customresourcedefinitions": 225
    }
    assert _values("kubectl get pods -A | tail -n +2 | wc -l", "40") == {"cluster.pods.count": 40}
    # With the header still there, wc counted it: one line less.
    assert _values("kubectl get customresourcedefinitions | wc -l", "226") == {
        "cluster.objects.customresourcedefinitions": 225
    }
    # awk that selects rows is a filter: its count is no total.
    assert interpret("kubectl get pods -A | awk '$4 > 5' | wc -l", [(2, "3")]) is None


def test_a_count_of_the_clusters_objects_belongs_to_the_cluster() -> None:
    facts = facts_of("kubectl get crd --no-headers | wc -l", [(2, "225")], Context("t.txt"))
    assert facts is not None
    assert [(f.name, f.entity.kind, f.value) for f in facts] == [
        ("cluster.objects.customresourcedefinitions", "cluster", 225)
    ]


def test_grouped_zombie_counts_name_their_parent() -> None:
    # public: habitat-sh/core-plans#1099
    readings = interpret(
        "ps -o stat,ppid,comm | grep ^Z | sort | uniq -c",
        [(2, "     27 Z        1 epmd"), (3, "     26 Z        1 erl_child_setup")],
    )
    assert readings is not None
    by_name = {(r.name, r.entity.pid if r.entity else None): r.value for r in readings}
    assert by_name == {("node.zombies.total", None): 53, ("process.zombie_children", 1): 53}


def test_cat_of_kernel_and_cgroup_files_and_writes() -> None:
    real = subprocess.run(
        ["cat", "/proc/sys/kernel/pid_max"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert _values("cat /proc/sys/kernel/pid_max", real) == {"sysctl.kernel.pid_max": int(real)}
    readings = interpret("cat /sys/fs/cgroup/pids/kubepods/pod1/pids.max", [(2, "1024")])
    assert readings is not None
    (r,) = readings
    assert (r.name, r.value, r.entity) == ("cgroup.pids.max", 1024, r.entity)
    assert r.entity is not None and r.entity.name == "/kubepods/pod1"
    assert _values(
        "cat /sys/fs/cgroup/memory/x/memory.oom_control",
        "oom_kill_disable 0",
        "under_oom 0",
        "oom_kill 3",
    ) == {"cgroup.memory.oom_kills": 3}
    # public: kyma-project/kyma#13265 -- the value printed by `sysctl -w` is the new one
    assert (
        interpret(
            "sysctl -w fs.inotify.max_user_instances=1000",
            [(2, "fs.inotify.max_user_instances = 1000")],
        )
        == []
    )
    assert _values(
        "sysctl fs.inotify.max_user_instances", "fs.inotify.max_user_instances = 128"
    ) == {"sysctl.fs.inotify.max_user_instances": 128}


def test_empty_greps_are_evidence_of_absence() -> None:
    # public: prometheus/node_exporter#1669
    assert _values("curl -s localhost:9100/metrics | grep '^node_processes_pids '") == {
        "node.exporter.processes_metrics": False
    }
    # public: NVIDIA/NemoClaw#2418
    assert _values("lsmod | grep br_netfilter") == {"node.kmod.br_netfilter": False}
    assert _values("lsmod | grep br_netfilter", "br_netfilter           24576  0") == {
        "node.kmod.br_netfilter": True
    }
    # grep matches a part of the row: the module found is the one named (public: k8s#72370)
    assert _values("lsmod | grep vmx", "vmxnet3                65536  0") == {
        "node.kmod.vmxnet3": True
    }


def test_clock_and_backend_checks() -> None:
    # public: rancher/k3os#381
    assert _values("date -u", "Thu Jan  1 00:48:00 UTC 1970") == {
        "node.clock.year": 1970,
        "node.clock.system_time": "1970-01-01T00:48:00 UTC",
    }
    real = subprocess.run(["date"], capture_output=True, text=True, check=True, env={"LC_ALL": "C"})
    year = _values("date", real.stdout.strip())["node.clock.year"]
    assert isinstance(year, int) and year >= 2024
    assert _values("iptables --version", "iptables v1.8.2 (nf_tables)") == {
        "node.iptables.backend": "nf_tables",
        "node.iptables.version": "1.8.2",
    }
    # the alternatives link of the host's iptables (coreutils ls -l), and k3s-root's
    # iptables-detect.sh line (its echo "mode is $mode detected via $detected_via and
    # containerized is $containerized"), as k3s-io/k3s#1247 pasted them
    link = "lrwxrwxrwx 1 root root 12 Mar 10 15:12 /sbin/iptables -> iptables-nft"
    assert _values("ls -l /sbin/iptables", link) == {"node.iptables.backend": "nf_tables"}
    alternatives = (
        "lrwxrwxrwx 1 root root 26 May  2 09:00 /usr/sbin/iptables -> /etc/alternatives/iptables"
    )
    assert _values("ls -l /usr/sbin/iptables", alternatives) == {}
    detect = "mode is legacy detected via rules and containerized is false"
    assert _values("sudo /var/lib/rancher/k3s/data/x/bin/aux/iptables-detect.sh", detect) == {
        "node.iptables.bundled_mode": "legacy"
    }


def test_a_section_cites_the_command_and_its_output_line() -> None:
    text = "kube-3 ~ # systemctl list-units --all | wc -l\n131079\n"
    assert COMMANDS.sniff(text.splitlines()) > 0.9
    result = COMMANDS.parse(text, Context("terminal.txt", node="kube-3"))
    (fact,) = result.facts
    assert fact.evidence is not None
    assert (fact.evidence.line, fact.evidence.text) == (
        2,
        "systemctl list-units --all | wc -l -> 131079",
    )
    facts = facts_of("uname -r", [(7, "5.4.0-1")], Context("t", node="n1"))
    assert facts is not None and facts[0].entity.name == "n1"


def test_threads_of_one_program_counted_the_ways_people_do(tmp_path: Path) -> None:
    # A real program running 40 threads besides its main one, counted by a real
    # `ps -eLf | grep NAME | wc -l` (the grep started first, so ps lists it as people see it),
    # by `ls /proc/PID/task | wc -l` and by the Threads: line of /proc/PID/status.
    script = tmp_path / "kw-thread-probe.py"
    script.write_text(
        "import threading, time\n"
        "stop = threading.Event()\n"
        "for _ in range(40):\n"
        "    threading.Thread(target=stop.wait, daemon=True).start()\n"
        "print('up', flush=True)\n"
        "time.sleep(120)\n"
    )
    program = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert program.stdout is not None and program.stdout.readline().strip() == "up"
        grep = subprocess.Popen(
            ["grep", "kw-thread-probe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert grep.stdin is not None and grep.stdout is not None
        # ps cuts command lines at the terminal's width; a wide terminal, as people paste from.
        wide = {**os.environ, "COLUMNS": "4096"}
        subprocess.run(["ps", "-eLf"], stdout=grep.stdin, check=True, timeout=30, env=wide)
        grep.stdin.close()
        lines = grep.stdout.read().decode().count("\n")
        grep.wait(timeout=30)
        assert _values("ps -eLf | grep kw-thread-probe | wc -l", str(lines)) == {
            "container.threads": 41
        }
        task = f"/proc/{program.pid}/task"
        listed = len(list(Path(task).iterdir()))
        assert _values(f"ls {task} | wc -l", str(listed)) == {"process.threads": 41}
        status = Path(f"/proc/{program.pid}/status").read_text().splitlines()
        assert _values(f"cat /proc/{program.pid}/status", *status) == {"process.threads": 41}
    finally:
        program.kill()
        program.wait(timeout=30)
    # `grep -v grep` took the grep out: nothing to subtract. A zombie grep is not a program.
    assert _values("ps -eLf | grep java | grep -v grep | wc -l", "9000") == {
        "container.threads": 9000
    }
    assert interpret("ps -eLf | grep defunct | wc -l", [(2, "12")]) is not None
    assert "container.threads" not in _values("ps -eLf | grep defunct | wc -l", "12")


def test_cgroups_under_system_slice_are_counted_over_hierarchies() -> None:
    # public: kubernetes/kops#5916, a node running many short-lived pods (cgroup v1)
    command = "find /sys/fs/cgroup/*/system.slice -name tasks | wc -l"
    assert _values(command, "103910") == {"node.systemd.slice_cgroups": 103910}
    # A grep over the paths is not the count of the slice's cgroups.
    assert interpret(f"{command.removesuffix(' | wc -l')} | grep run- | wc -l", []) is None
    # Real: three unit cgroups made under system.slice in two v1 hierarchies, counted for real.
    made: list[Path] = []
    try:
        for controller in ("pids", "cpu"):
            root = Path("/sys/fs/cgroup") / controller
            if not (root / "tasks").exists():
                pytest.skip(f"no cgroup v1 {controller} hierarchy here")
            for part in (
                "system.slice",
                *(f"system.slice/kubewhy-test-{i}.scope" for i in range(3)),
            ):
                path = root / part
                if not path.exists():
                    path.mkdir()
                    made.append(path)
        out = subprocess.run(
            ["sh", "-c", command], check=True, capture_output=True, text=True, timeout=30
        ).stdout.strip()
        assert int(out) >= 8
        assert _values(command, out) == {"node.systemd.slice_cgroups": int(out)}
    finally:
        for path in reversed(made):
            path.rmdir()


def test_commands_run_by_a_shell_or_watch_are_read_as_themselves() -> None:
    # This machine's own shell, run as people wrap commands (sudo sh -c, bash -c, watch -n).
    done = subprocess.run(
        ["sh", "-c", "cat /proc/sys/kernel/pid_max"], capture_output=True, text=True, check=True
    )
    pid_max = int(done.stdout)
    assert _values('sudo sh -c "cat /proc/sys/kernel/pid_max"', str(pid_max)) == {
        "sysctl.kernel.pid_max": pid_max
    }
    assert _values("bash -c 'ps -eLf | wc -l'", "32541") == {"node.threads.total": 32540}
    # watch prints its own header above the command's output.
    header = "Every 1.0s: ps aux | grep defunct | wc -l        node-3: Sun Dec  6 16:50:01 2026"
    assert _values("watch -n1 'ps aux | grep defunct | wc -l'", header, "", "121") == {
        "node.zombies.total": 120
    }
    assert parse_command("watch -n 2 -d kubectl get pods") is not None


def test_a_session_pasted_without_prompts_is_split_per_command() -> None:
    # public: k3s-io/k3s#2143 (kubectl's table, then a pod's previous log)
    text = (
        "k3s kubectl -n kube-system get pods\n"
        "NAME                         READY   STATUS             RESTARTS   AGE\n"
        "coredns-7944c66d8d-w5twl     0/1     CrashLoopBackOff   7          15m\n"
        "\n"
        " k3s kubectl -n kube-system logs --previous coredns-7944c66d8d-w5twl\n"
        "plugin/forward: no nameservers found\n"
    )
    sections = transcript_sections(text)
    assert sections is not None
    assert [s.start for s in sections] == [1, 5]
    logs = sections[1].prompt
    assert logs is not None
    origin = origin_of(parse_command(logs.command) or parse_command("true"))
    assert (origin.component, origin.pod, origin.namespace) == (
        "coredns",
        "coredns-7944c66d8d-w5twl",
        "kube-system",
    )


def test_requests_counted_by_user_agent_name_the_busiest_client() -> None:
    # public: grafana/grafana-operator#460 (kubelets and the control plane are left out)
    rows = [
        (2, '      4 "app/v0.0.0 (linux/amd64) kubernetes/$Format"'),
        (3, '   2919 "csi-snapshotter/v0.0.0 (linux/amd64) kubernetes/$Format"'),
        (4, '  45894 "grafana-operator/v0.0.0 (linux/amd64) kubernetes/$Format"'),
        (5, '   3257 "kube-apiserver/v1.20.5 (linux/amd64) kubernetes/6b1d87a"'),
    ]
    command = "cat /var/log/kubernetes/kube-apiserver-audit*.log | jq .userAgent | sort | uniq -c"
    found = {r.name: r.value for r in interpret(command, rows) or []}
    assert found["apiserver.requests_by_agent.top"] == "grafana-operator"
    assert found["apiserver.requests_by_agent.top_count"] == 45894
    assert found["apiserver.requests_by_agent.total"] == 52074
    assert found["apiserver.requests_by_agent.top_share"] == round(45894 / 52074, 4)
    # Cut by head: the share of a sample is no share of the whole.
    sampled = interpret(command + " | sort -rn | head -3", rows) or []
    assert "apiserver.requests_by_agent.top_share" not in {r.name for r in sampled}


def test_one_clients_requests_counted_by_uri_give_its_collection_lists() -> None:
    # public: longhorn/longhorn#9432 (three of its ten rows)
    rows = [
        (2, '   3577 "/api/v1/namespaces/longhorn-system/secrets/longhorn-webhook-tls"'),
        (3, '   2216 "/api/v1/pods?resourceVersion=1391102207"'),
        (4, '   2084 "/api/v1/services?resourceVersion=1391102075"'),
    ]
    command = (
        "cat audit* | jq '. | select(.userAgent == \"longhorn-manager/v0.0.0 (linux/amd64) "
        "kubernetes/$Format\")' | jq .requestURI | sort -rn | uniq -c | sort -rn | head -n 10"
    )
    found = {r.name: r.value for r in interpret(command, rows) or []}
    assert found == {
        "apiserver.requests_by_agent.top": "longhorn-manager",
        "apiserver.requests_by_agent.top_count": 3577 + 2216 + 2084,
        "apiserver.requests_by_agent.top_collection_lists": 2216 + 2084,
    }
    # a watch of a collection and a namespaced object are no collection lists
    watched = [(2, '   900 "/api/v1/pods?watch=true&resourceVersion=5"')]
    watches = {r.name: r.value for r in interpret(command, watched) or []}
    assert watches["apiserver.requests_by_agent.top_collection_lists"] == 0


def test_open_descriptors_of_a_process_counted_and_named_by_the_note() -> None:
    # public: containerd/cri#448 (ls -al prints "total", "." and "..")
    found = interpret("sudo ls -al /proc/3113/fd | wc -l # containerd", [(2, "1024")])
    assert found is not None and len(found) == 1
    assert (found[0].name, found[0].value) == ("process.open_fds", 1021)
    assert found[0].entity is not None
    assert (found[0].entity.name, found[0].entity.pid) == ("containerd", 3113)
    plain = interpret("ls /proc/77/fd | wc -l", [(2, "12")]) or []
    assert [(r.value, r.entity.name if r.entity else None) for r in plain] == [(12, "pid 77")]


def test_files_shown_by_head_or_tail_are_read_as_themselves() -> None:
    # public: k3s-io/k3s#2601 (tail of two files; no memory hierarchy on a Raspberry Pi)
    text = (
        "tail -n 30 /etc/lsb-release /proc/self/cgroup\n"
        "==> /etc/lsb-release <==\n"
        "DISTRIB_ID=Ubuntu\n"
        "\n"
        "==> /proc/self/cgroup <==\n"
        "10:freezer:/\n"
        "9:cpuset:/\n"
        "5:pids:/user.slice/user-1000.slice/session-11.scope\n"
        "2:cpu,cpuacct:/user.slice\n"
        "1:name=systemd:/user.slice/user-1000.slice/session-11.scope\n"
        "0::/user.slice/user-1000.slice/session-11.scope\n"
    )
    sections = transcript_sections(text)
    assert sections is not None
    commands = [s.prompt.command if s.prompt else None for s in sections]
    assert commands == [None, "cat /etc/lsb-release", "cat /proc/self/cgroup"]
    body = sections[2].body.splitlines()
    found = interpret("cat /proc/self/cgroup", list(enumerate(body[1:], 2))) or []
    assert [(r.name, r.value) for r in found] == [("node.cgroup.disabled_controllers", "memory")]
    # cgroup v2 alone tells nothing about controllers
    assert interpret("cat /proc/self/cgroup", [(2, "0::/init.scope")]) == []


def test_open_files_limit_queries_and_not_settings() -> None:
    # A real shell's answers, then the ones rabbitmq/cluster-operator#959 pasted from a container
    # whose runtime allows a billion open files.
    real = subprocess.run(
        ["bash", "-c", "ulimit -Sn; ulimit -Hn"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert _values("ulimit -n", real[0]) == {"node.ulimit.open_files": int(real[0])}
    assert _values("ulimit -Hn", real[1]) == {"node.ulimit.open_files_hard": int(real[1])}
    assert _values("ulimit -Hn", "1073741816") == {"node.ulimit.open_files_hard": 1073741816}
    assert _values("ulimit -n -H", "1073741816") == {"node.ulimit.open_files_hard": 1073741816}
    # `ulimit -n 1024` sets the limit (it prints nothing); `ulimit -nH` is bash's error
    assert interpret("ulimit -n 1024", [(2, "")]) is None
    assert _values("ulimit -nH", "bash: ulimit: H: invalid number") == {}


def test_systemctl_status_gives_the_units_tasks_and_their_limit() -> None:
    # The status a public write-up pasted (docker.service under systemd's DefaultTasksMax).
    out = [
        (1, "● docker.service - Docker Application Container Engine"),
        (2, "   Loaded: loaded (/etc/systemd/system/docker.service; enabled)"),
        (3, " Main PID: 113233 (dockerd)"),
        (4, "    Tasks: 2043 (limit: 2048)"),
        (5, "   Memory: 1.1G"),
        (6, "   CGroup: /system.slice/docker.service"),
    ]
    readings = interpret("systemctl status docker", out)
    assert readings is not None
    assert {(r.name, r.value, r.line) for r in readings} == {
        ("cgroup.pids.current", 2043, 4),
        ("cgroup.pids.max", 2048, 4),
    }
    assert {r.entity.name for r in readings if r.entity} == {"/system.slice/docker.service"}
    # without a limit (TasksMax=infinity) only the count; a grep keeps whole lines
    unlimited = interpret("systemctl status containerd | grep Tasks", [(2, "    Tasks: 88")])
    assert unlimited is not None
    assert [(r.name, r.value) for r in unlimited] == [("cgroup.pids.current", 88)]
    assert unlimited[0].entity is not None
    assert unlimited[0].entity.name == "/system.slice/containerd.service"
    assert interpret("systemctl status docker | wc -l", [(2, "12")]) is None


def test_node_fields_from_custom_columns_named_by_the_command_line() -> None:
    # The table siderolabs/talos#4759 pasted: every node with the same machine ID.
    command = (
        "kubectl get nodes -o custom-columns=NAME:.metadata.name,"
        "MACHINE-ID:.status.nodeInfo.machineID"
    )
    out = [
        (2, "NAME                 MACHINE-ID"),
        (3, "talos-192-168-32-2   ad432f2cb0c28bbcd1f87a20199237f9"),
        (4, "talos-192-168-32-3   ad432f2cb0c28bbcd1f87a20199237f9"),
    ]
    readings = interpret(command, out)
    assert readings is not None
    assert [(r.name, r.entity.name if r.entity else None, r.line) for r in readings] == [
        ("node.machine_id", "talos-192-168-32-2", 3),
        ("node.machine_id", "talos-192-168-32-3", 4),
    ]
    # columns the reader does not know say nothing
    assert interpret("kubectl get nodes -o custom-columns=NAME:.metadata.name", out) is None


def test_words_typed_at_a_prompt_are_not_what_the_system_said(tmp_path: Path) -> None:
    from kubewhy.pipeline import Request, diagnose

    # public: kubernetes/node-problem-detector#617 (test messages written into the journal)
    typed = tmp_path / "typed.txt"
    typed.write_text(
        'root@n1:~# echo "task docker:7 blocked for more than 300 seconds."'
        " |systemd-cat -t kernel\n"
        'echo "task docker:7 blocked for more than 200 seconds." |systemd-cat -t kernel\n'
    )
    assert diagnose(Request(paths=(typed,), jobs=1)).findings == []
    # public: kubernetes/kubernetes#65142 (the kernel's console message printed after a prompt)
    glued = tmp_path / "console.txt"
    glued.write_text(
        "[root@node2 ~]# [12032.818764] NMI watchdog: BUG: soft lockup - CPU#6 stuck for 22s!"
        " [kubelet:1663]\n"
    )
    found = diagnose(Request(paths=(glued,), jobs=1)).findings
    assert [f.failure_mode for f in found][:1] == ["soft-lockup-rcu-stall"]


# public: etcd's upgrade guide for 3.5 (etcd-io/website, docs/v3.5/upgrades/upgrade_3_5.md):
# commands pasted without their prompt, one set only for etcdctl.
PROMPTLESS_ETCD = """\
etcdctl --endpoints=localhost:2379,localhost:22379,localhost:32379 endpoint health
localhost:2379 is healthy: successfully committed proposal: took = 2.118638ms
localhost:22379 is healthy: successfully committed proposal: took = 3.631388ms

curl http://localhost:2379/version
{"etcdserver":"3.4.0","etcdcluster":"3.4.0"}

ETCDCTL_API=3 etcdctl --endpoints=localhost:32379 endpoint health
localhost:32379 is healthy: successfully committed proposal: took = 2.157051ms
"""


def test_etcdctl_and_curl_pasted_without_a_prompt_start_sections() -> None:
    sections = transcript_sections(PROMPTLESS_ETCD)
    assert sections is not None
    commands = [s.prompt.command if s.prompt else None for s in sections]
    assert commands == [
        "etcdctl --endpoints=localhost:2379,localhost:22379,localhost:32379 endpoint health",
        "curl http://localhost:2379/version",
        "ETCDCTL_API=3 etcdctl --endpoints=localhost:32379 endpoint health",
    ]
    assert sections[1].body.splitlines()[1] == '{"etcdserver":"3.4.0","etcdcluster":"3.4.0"}'
    # a message of etcdctl's own is no command line
    assert prompt_of("etcdctl: error: unknown command") is None


def test_a_table_under_its_prompt_is_read_as_a_table(tmp_path: Path) -> None:
    """The section's format is told without the prompt line, and its reader reads it without
    it too: the pods table gives its facts, cited at the file's lines."""
    from kubewhy.kb.load import default_knowledge_base
    from kubewhy.pipeline import Request, observe

    (tmp_path / "terminal.txt").write_text(
        "$ kubectl get pods -o wide\n"
        "NAME        READY   STATUS    RESTARTS   AGE   IP       NODE\n"
        "sphinx-0    0/2     Pending   0          1m    <none>   ss-dev-kub07\n"
    )
    store = observe(Request(paths=(tmp_path,)), default_knowledge_base()).seen.store
    (pod,) = [e for e in store.entities("pod") if e.name == "sphinx-0"]
    phases = store.facts(pod, "pod.phase")
    assert [(f.value, f.evidence.line) for f in phases] == [("Pending", 3)]
