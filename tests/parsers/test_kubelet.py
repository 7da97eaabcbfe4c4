"""kubelet flags, KubeletConfiguration files and /configz."""

from __future__ import annotations

from kubewhy.parsers.base import Context
from kubewhy.parsers.kubelet import KubeletFormat
from kubewhy.parsers.registry import detect

FORMAT = KubeletFormat()


def test_ps_line_flags_and_hostname_override(parse, facts_by_entity, facts) -> None:
    result = parse(FORMAT, "kubelet_ps_line.txt")
    node = "node/cn-hangzhou.172.21.128.138"
    assert facts_by_entity(result, "kubelet.kube_api_qps") == {node: 5}
    assert facts(result, "kubelet.kube_api_burst") == [10]
    assert facts(result, "kubelet.kube_reserved") == ["cpu=140m,memory=3436Mi"]
    assert facts(result, "kubelet.system_reserved") == ["cpu=100m,memory=500Mi"]
    assert facts(result, "kubelet.eviction_hard") == ["nodefs.available<10%,memory.available<100Mi"]
    assert facts(result, "kubelet.eviction_memory_available_bytes") == [100 * 2**20]
    assert facts(result, "kubelet.fail_swap_on") == [False]
    assert facts(result, "kubelet.pod_pids_limit") == [16384]
    assert facts(result, "kubelet.max_pods") == [110]
    assert facts(result, "kubelet.serialize_image_pulls") == [True]
    assert facts(result, "kubelet.cgroup_driver") == ["cgroupfs"]
    assert facts(result, "kubelet.config_source") == ["flags"]


def test_systemd_dropin_reads_environment_flags(parse, facts) -> None:
    result = parse(FORMAT, "kubelet_dropin_kubeadm.conf", node="master-1")
    assert facts(result, "kubelet.cgroup_driver") == ["systemd"]
    assert {f.entity.name for f in result.facts} == {"master-1"}
    # Nothing the drop-in does not set: no invented defaults.
    assert facts(result, "kubelet.kube_api_qps") == []
    assert facts(result, "kubelet.pod_pids_limit") == []


def test_docs_config_file(parse, facts) -> None:
    result = parse(FORMAT, "kubelet_config_docs.yaml")
    assert facts(result, "kubelet.eviction_hard") == ["memory.available<200Mi"]
    assert facts(result, "kubelet.eviction_memory_available_bytes") == [200 * 2**20]
    assert facts(result, "kubelet.config_source") == ["config file"]
    assert len(result.facts) == 3


def test_full_config_file(parse, facts) -> None:
    result = parse(FORMAT, "kubelet_config_full.yaml")
    assert facts(result, "kubelet.kube_api_qps") == [50]
    assert facts(result, "kubelet.serialize_image_pulls") == [False]
    assert facts(result, "kubelet.max_parallel_image_pulls") == [5]
    assert facts(result, "kubelet.pod_pids_limit") == [4096]
    assert facts(result, "kubelet.kube_reserved") == ["cpu=200m,memory=1Gi"]
    assert facts(result, "kubelet.eviction_memory_available_bytes") == [500 * 2**20]
    qps = next(f for f in result.facts if f.name == "kubelet.kube_api_qps")
    assert qps.evidence is not None and qps.evidence.text == "kubeAPIQPS: 50"


def test_configz(parse, facts) -> None:
    result = parse(FORMAT, "kubelet_configz.json", node="n1")
    assert facts(result, "kubelet.pod_pids_limit") == [-1]
    assert facts(result, "kubelet.kube_api_qps") == [5]
    assert facts(result, "kubelet.config_source") == ["configz"]
    evidence = next(f for f in result.facts if f.name == "kubelet.kube_api_qps").evidence
    assert evidence is not None and evidence.text == '"kubeAPIQPS": 5'


def test_proc_cmdline_with_nuls_and_space_separated_values() -> None:
    cmdline = "/usr/bin/kubelet\x00--max-pods\x00250\x00--fail-swap-on\x00--kube-api-qps=20\x00"
    result = FORMAT.parse(cmdline, Context("cmdline"))
    values = {f.name: f.value for f in result.facts}
    assert values["kubelet.max_pods"] == 250
    assert values["kubelet.fail_swap_on"] is True
    assert values["kubelet.kube_api_qps"] == 20


def test_broken_config_is_counted() -> None:
    result = FORMAT.parse("kind: KubeletConfiguration\nmaxPods: [unclosed\n", Context("c"))
    assert result.facts == []
    assert result.malformed == 1


def test_grep_transcript_with_version() -> None:
    text = (
        "root@kub07:~# ps -ef | grep [k]ubelet\n"
        "root      2231     1 11 Aug20 ?        2-01:13:52 /usr/bin/kubelet"
        " --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml"
        " --cgroup-driver=cgroupfs --v=2\n"
        "root@kub07:~# kubelet --version\nKubernetes v1.11.2\n"
    )
    assert FORMAT.sniff(text.splitlines()) >= 0.8
    result = FORMAT.parse(text, Context("cmdline.txt", node="kub07"))
    assert {f.name: f.value for f in result.facts} == {
        "kubelet.cgroup_driver": "cgroupfs",
        "node.kubelet_version": "v1.11.2",
        "kubelet.config_source": "flags",
    }


def test_full_ps_listing_is_not_ours() -> None:
    text = "UID  PID PPID C STIME TTY TIME CMD\n"
    text += "root 2231 1 11 Aug20 ? 2-01:13:52 /usr/bin/kubelet --a=1 --b=2 --c=3\n"
    text += "root 1 0 0 Aug20 ? 00:01:00 /sbin/init\nroot 2 0 0 Aug20 ? 00:00:00 [kthreadd]\n"
    assert FORMAT.sniff(text.splitlines()) == 0.0


def test_a_prompt_fetching_the_kubelets_journal_is_not_its_command_line() -> None:
    # A session's section: the prompt asks journalctl for the kubelet's unit with three flags,
    # and journald lines follow (written for this test in journald's short format).
    section = [
        "root@node-7:~# journalctl -u kubelet --since 16:13:50 --until 16:21 --no-pager",
        "-- Logs begin at Thu 2018-07-05 13:04:12 MSK, end at Tue 2018-09-04 16:21:07 MSK. --",
        "Sep 04 16:13:51 node-7 kubelet[2211]: I0904 16:13:51.018434    2211 request.go:480] "
        "Throttling request took 2.828286201s, request: GET:https://10.10.0.1:6443/api/v1/pods",
    ]
    assert detect(section).name == "journald"
    # The kubelet's own command line in a ps row still is one.
    row = "root  2211  3.1  1.2 /usr/bin/kubelet --kubeconfig=/etc/k.conf --v=4 --max-pods=250"
    assert detect([row]).name == "kubelet-config"
