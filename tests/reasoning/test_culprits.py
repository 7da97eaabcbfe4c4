"""Culprits named by the lines themselves: a symptom's ``blames`` (the program whose wording it
is, a group of the line, or the component that logged it) becomes the finding's culprit when no
culprit finder measures one. The inputs are single lines in the emitters' documented wording
(cited in the knowledge base), written for these tests."""

from __future__ import annotations

from pathlib import Path

from kubewhy.model.diagnosis import Finding
from kubewhy.pipeline import Request, diagnose


def _top(tmp_path: Path, name: str, text: str) -> Finding:
    path = tmp_path / name
    path.write_text(text)
    findings = diagnose(Request(paths=(path,))).findings
    assert findings, "no finding"
    return findings[0]


def test_the_ipam_daemon_whose_wording_it_is(tmp_path: Path) -> None:
    line = (
        "Warning  FailedCreatePodSandBox  4m  kubelet  Failed to create pod sandbox: rpc error: "
        'code = Unknown desc = failed to setup network for sandbox "0f1e": plugin type="aws-cni" '
        'name="aws-cni" failed (add): add cmd: failed to assign an IP address to container\n'
    )
    top = _top(tmp_path, "events.txt", line)
    assert top.failure_mode == "cni-ip-exhaustion"
    assert top.culprit is not None and top.culprit.name == "aws-node"
    assert "line" in top.culprit.why


def test_the_process_the_kernel_names(tmp_path: Path) -> None:
    lines = "".join(
        f"[{100 + i}.000000] Out of memory: Killed process {4000 + i} (java) total-vm:9000000kB, "
        "anon-rss:8000000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:16000kB oom_score_adj:0\n"
        for i in range(3)
    )
    top = _top(tmp_path, "dmesg.txt", lines)
    assert top.failure_mode == "node-oom-kill"
    assert top.culprit is not None and top.culprit.name == "java"


def test_the_program_of_the_pasted_command(tmp_path: Path) -> None:
    # kubectl's own notice under the kubectl command that printed it: the client that throttles
    # itself is kubectl (under `kubectl logs coredns-x` it would be coredns).
    session = (
        "$ kubectl apply -f big.yaml\n"
        "I0301 10:00:00.000000   4242 request.go:665] Waited for 1.19s due to client-side "
        "throttling, not priority and fairness, request: GET:https://10.0.0.1:6443/api/v1\n"
        "I0301 10:00:02.000000   4242 request.go:665] Waited for 1.4s due to client-side "
        "throttling, not priority and fairness, request: GET:https://10.0.0.1:6443/api/v1\n"
        "deployment.apps/web configured\n"
    )
    top = _top(tmp_path, "terminal.txt", session)
    assert top.failure_mode == "client-side-throttling"
    assert top.culprit is not None and top.culprit.name == "kubectl"


def test_no_blame_without_a_name(tmp_path: Path) -> None:
    # The same notice with nothing saying which program printed it: no culprit is invented.
    line = (
        "I0301 10:00:00.000000   4242 request.go:665] Waited for 1.19s due to client-side "
        "throttling, not priority and fairness, request: GET:https://10.0.0.1:6443/api/v1\n"
    ) * 2
    top = _top(tmp_path, "notes.txt", line)
    assert top.failure_mode == "client-side-throttling"
    assert top.culprit is None


def test_the_program_whose_log_file_it_is(tmp_path: Path) -> None:
    # CoreDNS's forward plugin wording (plugin/pkg/parse/host.go ErrNoNameservers behind the
    # plugin's prefix) in a file named after the program that wrote it: a NodeLocal DNSCache
    # is CoreDNS under another name, and the file's name is the only place that says which.
    line = "[ERROR] plugin/forward: no nameservers found\n"
    top = _top(tmp_path, "node-local-dns.log", line)
    assert top.failure_mode == "host-resolv-conf-no-nameserver"
    assert top.culprit is not None and top.culprit.name == "node-local-dns"
    # a generic name says nothing of the writer
    other = tmp_path / "other"
    other.mkdir()
    assert _top(other, "app.log", line).culprit is None


def test_the_container_a_refused_thread_ran_in(tmp_path: Path) -> None:
    # A shell's refused fork under `docker exec` is the container's limit: the container is named,
    # not the shell (bash's wording: "bash: fork: retry: Resource temporarily unavailable").
    session = (
        "$ docker exec -it mongo_db /bin/bash\n"
        + "bash: fork: retry: Resource temporarily unavailable\n" * 3
    )
    top = _top(tmp_path, "terminal.txt", session)
    assert top.failure_mode == "pids-cgroup-limit"
    assert top.culprit is not None and top.culprit.name == "mongo_db"


def test_the_zombies_command_when_their_parent_is_not_listed(tmp_path: Path) -> None:
    # `ps aux | grep defunct` in procps' aux layout: only zombies, no parent column.
    header = "USER   PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND\n"
    rows = "".join(
        f"root  {pid}  0.0  0.0  0  0 ?  Zs  16:01  0:00 [git] <defunct>\n"
        for pid in range(900, 930)
    )
    top = _top(tmp_path, "ps.txt", header + rows)
    assert top.failure_mode == "zombie-processes"
    assert top.culprit is not None and top.culprit.name == "git"
    assert "30 <defunct> git processes" in top.culprit.why


def test_the_program_a_goroutine_signature_was_dumped_from() -> None:
    # A real dump (containerd/containerd#2750, in the corpus's dev half): docker-containerd's
    # goroutine stuck for days in the OOM notifier's Flush. A signature is a known bug of the
    # dumped program's own code, so the program is the culprit.
    case = Path(__file__).parents[2] / "corpus" / "cases" / "containerd-containerd-2750"
    findings = diagnose(Request(paths=(case,))).findings
    hung = next(f for f in findings if f.failure_mode == "container-runtime-hung")
    assert hung.culprit is not None and hung.culprit.name == "containerd"
    assert "(*oom).Flush" in hung.culprit.why


def test_the_component_a_mode_is_about_by_nature(tmp_path: Path) -> None:
    # the kubelet's bootstrap.go wording (kubelet-certificate-expired's example): nothing in the
    # line blames anyone, the mode itself says whose certificate it is
    line = (
        "E1001 11:34:07.899084    1914 bootstrap.go:266] part of the existing bootstrap client "
        "certificate in /etc/kubernetes/kubelet.conf is expired: 2024-09-12 09:18:55 +0000 UTC\n"
    )
    top = _top(tmp_path, "kubelet.log", line)
    assert top.failure_mode == "kubelet-certificate-expired"
    assert top.culprit is not None and top.culprit.name == "kubelet"
    assert "client certificate" in top.culprit.why


def test_the_pod_an_admission_refusal_names(tmp_path: Path) -> None:
    # The API server's Forbidden error names the refused pod (a controller's generateName
    # prefix); the finding is about the cluster's policy, its culprit the refused workload.
    line = (
        "Warning  FailedCreate  7m (x18 over 18m)  replicaset-controller  Error creating: pods "
        '"chart-operator-7c6db97676-" is forbidden: pods with system-cluster-critical '
        "priorityClass is not permitted in giantswarm namespace\n"
    )
    top = _top(tmp_path, "events.txt", line)
    assert top.failure_mode == "priority-class-admission-rejects-pods"
    assert top.culprit is not None
    assert (top.culprit.kind, top.culprit.name) == ("pod", "chart-operator-7c6db97676")


def test_the_pod_that_holds_the_volume_not_the_one_that_waits(tmp_path: Path) -> None:
    # The event row is about the new pod; the attach/detach controller's words name the pod
    # that still holds the volume, which is the one to deal with.
    row = (
        "2m          Warning   FailedAttachVolume   pod/web-1   Multi-Attach error for volume "
        '"pvc-15f7c61b" Volume is already used by pod(s) web-0-old\n'
    )
    top = _top(tmp_path, "events.txt", row)
    assert top.failure_mode == "volume-multi-attach"
    assert top.culprit is not None and top.culprit.name == "web-0-old"


def test_the_one_pod_the_evidence_describes_when_the_oom_kill_names_none(tmp_path: Path) -> None:
    # A describe of one pod (cut before its containers) beside a container state pasted without
    # its name: the OOM kill is that pod's. With a second pod described, nobody is named.
    (tmp_path / "describe-pod.txt").write_text(
        "Name:         istiod-66f6989c4f-pw964\n"
        "Namespace:    istio-system\n"
        "Node:         node-1/10.250.20.189\n"
        "Status:       Running\n"
    )
    (tmp_path / "container-status.txt").write_text(
        "    Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137\n"
    )
    findings = diagnose(Request(paths=(tmp_path,))).findings
    top = next(f for f in findings if f.failure_mode == "container-oomkilled")
    assert top.culprit is not None
    assert (top.culprit.kind, top.culprit.name) == ("pod", "istiod-66f6989c4f-pw964")
    assert "one pod" in top.culprit.why
    (tmp_path / "describe-other.txt").write_text(
        "Name:         web-5d9c8f7b6-x2kq9\nNamespace:    web\nNode:         node-2/10.0.0.2\n"
        "Status:       Running\n"
    )
    findings = diagnose(Request(paths=(tmp_path,))).findings
    top = next(f for f in findings if f.failure_mode == "container-oomkilled")
    assert top.culprit is None or top.culprit.name != "istiod-66f6989c4f-pw964"


def test_who_keeps_the_node_firewall_shut(tmp_path: Path) -> None:
    # iptables-save's layout (the filter table of a node that drops forwarded pod traffic): with
    # dockerd's own rules beside the DROP policy it is dockerd's; without them, the rules'.
    rules = (
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        "{docker}-A FORWARD -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n"
    )
    with_docker = "-A FORWARD -o docker0 -j DOCKER\n-A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "iptables-save.txt").write_text(rules.format(docker=with_docker))
    findings = diagnose(Request(paths=(tmp_path / "a",))).findings
    top = next(f for f in findings if f.failure_mode == "host-firewall-blocks-pod-traffic")
    assert top.culprit is not None and top.culprit.name == "dockerd"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "iptables-save.txt").write_text(
        rules.format(docker="-A FORWARD -i eth1 -j ACCEPT\n")
    )
    findings = diagnose(Request(paths=(tmp_path / "b",))).findings
    top = next(f for f in findings if f.failure_mode == "host-firewall-blocks-pod-traffic")
    assert top.culprit is not None and top.culprit.name == "iptables"
    assert "FORWARD policy is DROP" in top.culprit.why
