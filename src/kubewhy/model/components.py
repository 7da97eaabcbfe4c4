"""Which component a piece of evidence is about: the one place that answers it.

Evidence names its component in many ways: a pod's name in a cluster-info dump
(``kube-apiserver-10.0.0.8/logs.txt``), a static pod's ``component`` label, a journald
identifier (``dockerd[812]:``), a metric's ``job`` label, or only the packages in a goroutine
dump's stack frames. Every stage asks here, so a component has one name whatever the source.

>>> of_pod_name("kube-apiserver-10.0.0.8"), of_pod_name("web-5d9c")
('kube-apiserver', None)
>>> static_pod_component("etcd-master-1", "kube-system", "master-1")
'etcd'
>>> static_pod_component("etcd-operator-5d8", "default", None) is None
True
>>> of_journal_identifier("dockerd"), of_journal_identifier("my-daemon")
('docker', 'my-daemon')
>>> of_metric_labels({"job": "apiserver"}), of_metric_labels({"job": "my-etcd"})
('kube-apiserver', 'my-etcd')
>>> of_metric_labels({"job": "kube-state-metrics", "container": "kube-apiserver"})
'kube-apiserver'
>>> of_stack_frames(["k8s.io/apiserver/pkg/registry/generic/registry.(*Store).DeleteCollection"])
'kube-apiserver'
>>> of_stack_frames(["k8s.io/kubernetes/pkg/apiserver.(*timeoutHandler).ServeHTTP"])
'kube-apiserver'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from kubewhy.lazy_re import lazy_compile

# The control plane's static pods (kubeadm: ``kube-apiserver-<node>``, label ``component``).
CONTROL_PLANE = ("kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler")

# Pods of the control plane and node agents, recognised from a pod's name alone.
POD_NAME_PREFIXES = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
    "etcd",
    "coredns",
    "calico-node",
    "calico-kube-controllers",
    "terway",
    "flannel",
    "cilium",
    "node-problem-detector",
)

# journald identifiers (SYSLOG_IDENTIFIER) -> the component names kubewhy reasons about.
JOURNAL_IDENTIFIERS = {
    "dockerd": "docker",
    "docker": "docker",
    "containerd": "containerd",
    "kubelet": "kubelet",
    # OpenShift 3.x runs the kubelet inside its node service.
    "origin-node": "kubelet",
    "atomic-openshift-node": "kubelet",
    # Container Linux ran the kubelet through its kubelet-wrapper script (rkt fly).
    "kubelet-wrapper": "kubelet",
    # OpenShift 4's kubelet.service runs ``hyperkube kubelet``; the control plane runs in static
    # pods, so the journal's hyperkube is the kubelet.
    "hyperkube": "kubelet",
    "kernel": "kernel",
    "etcd": "etcd",
    "kube-apiserver": "kube-apiserver",
    "crio": "crio",
    "systemd": "systemd",
}

# Prometheus ``job`` labels of the usual scrape configurations -> components.
METRIC_JOBS = {
    "apiserver": "kube-apiserver",
    "kube-apiserver": "kube-apiserver",
    "kubernetes-apiservers": "kube-apiserver",
    "etcd": "etcd",
    "kube-etcd": "etcd",
    "kubelet": "kubelet",
    "kubernetes-nodes": "kubelet",
    "kube-controller-manager": "kube-controller-manager",
    "kube-scheduler": "kube-scheduler",
    "coredns": "coredns",
    "kube-dns": "coredns",
    "node-exporter": "node-exporter",
}
KNOWN_METRIC_COMPONENTS = frozenset(METRIC_JOBS.values())

# Go packages whose presence in a dump's stacks names the program that was dumped.
STACK_PACKAGES = (
    ("k8s.io/apiserver", "kube-apiserver"),
    ("pkg/kubelet", "kubelet"),
    # Before k8s.io/apiserver was split out (Kubernetes 1.6) the API server's handlers and
    # filters were k8s.io/kubernetes/pkg/apiserver; after pkg/kubelet, whose binary of that time
    # could link some of them.
    ("k8s.io/kubernetes/pkg/apiserver", "kube-apiserver"),
    ("terway", "terwayd"),
    ("go.etcd.io/etcd", "etcd"),
    ("containerd", "containerd"),
)
# Programs known by their own module, which frames start with (not under another's /vendor/:
# dockerd vendors containerd's client, whose frames would otherwise name containerd).
OWN_MODULES = (("github.com/docker/docker/", "docker"), ("github.com/moby/moby/", "docker"))
UNKNOWN_GO_PROGRAM = "go-program"

# Distributions that run several components in one process, under one journal identifier: a
# line from it may be any of theirs. k3s (server and agent) embeds the control plane, the kubelet,
# kube-proxy and containerd's CRI plugin and may embed etcd; MicroK8s's kubelite (from 1.21)
# runs the control plane, the kubelet and kube-proxy.
BUNDLES = {
    "k3s": (*CONTROL_PLANE, "kubelet", "kube-proxy", "containerd"),
    "kubelite": (
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kubelet",
        "kube-proxy",
    ),
}
# Every component kubewhy names from some evidence.
KNOWN_COMPONENTS = frozenset(
    {*CONTROL_PLANE, *POD_NAME_PREFIXES, *JOURNAL_IDENTIFIERS.values(), *METRIC_JOBS.values()}
    | {name for _, name in STACK_PACKAGES}
    | set(BUNDLES)
)


# The control plane's and the node agents' well-known ports (kubeadm's defaults): a line that
# names only an address names its listener by the port.
PORTS = {
    "2379": "etcd",
    "2380": "etcd",
    "6443": "kube-apiserver",
    "10250": "kubelet",
    "10256": "kube-proxy",
    "10257": "kube-controller-manager",
    "10259": "kube-scheduler",
}


def of_port(port: str) -> str | None:
    """The component that listens on a well-known port.

    >>> of_port("2380"), of_port("8080")
    ('etcd', None)
    """
    return PORTS.get(port)


def roles_of(component: str) -> tuple[str, ...]:
    """The components whose lines ``component`` writes: itself, and those a bundle runs.

    >>> roles_of("kubelite")[-2:], roles_of("kubelet")
    (('kubelet', 'kube-proxy'), ('kubelet',))
    """
    return (component, *BUNDLES.get(component, ()))


# Words in a file's name that say whose log it is (a person saves the kubelet's journal as
# kubelet.log or journalctl-u-kubelet.txt), most specific first.
FILE_NAME_WORDS = (
    ("kube-apiserver", "kube-apiserver"),
    ("apiserver", "kube-apiserver"),
    ("kube-controller-manager", "kube-controller-manager"),
    ("controller-manager", "kube-controller-manager"),
    ("kube-scheduler", "kube-scheduler"),
    ("kube-proxy", "kube-proxy"),
    ("kubelet", "kubelet"),
    ("containerd", "containerd"),
    ("dockerd", "docker"),
    ("docker", "docker"),
    ("crio", "crio"),
    ("cri-o", "crio"),
    ("etcd", "etcd"),
    ("coredns", "coredns"),
)


def of_file_name(name: str) -> str | None:
    """The component whose output a file's name says it holds.

    >>> of_file_name("journalctl-u-kubelet.txt"), of_file_name("kube-apiserver-10.0.0.8.log")
    ('kubelet', 'kube-apiserver')
    >>> of_file_name("dmesg.txt") is None
    True
    """
    lowered = name.lower()
    for word, pattern, component in _FILE_NAME_PATTERNS:
        if word in lowered and pattern.search(lowered):
            return component
    return None


# Each word as a whole word of a name: compiled once (this is asked of every file read).
_FILE_NAME_PATTERNS = tuple(
    (word, re.compile(rf"(?:^|[^a-z]){re.escape(word)}(?:[^a-z]|$)"), component)
    for word, component in FILE_NAME_WORDS
)


# Stems of log files that name where a log was taken from or what kind it is, not a program.
_GENERIC_LOG_STEMS = frozenset(
    """app application all audit boot build combined console container containers current daemon
    debug dmesg e2e error errors full install journal kern kernel log logs main master messages
    node out output pod previous run serial server service setup sidecar stderr stdout syslog
    system test trace worker""".split()
)
# A log file's name: ``<program>.log`` (rotated or compressed), ``<program>-logs.txt``.
_LOG_FILE_NAME = lazy_compile(
    r"^(?P<stem>[a-z][a-z0-9_.-]*?)(?:\.log(?:\.\d+)?(?:\.gz|\.zst|\.xz|\.bz2)?|[-_.]logs?\.txt)$"
)
# What follows a program's name in a log file's name: a date, an address, a copy's number.
_NAME_SUFFIX = lazy_compile(r"(?:[-_.](?:\d[\d._:-]*|previous|old|bak))+$")


def of_log_file_name(name: str) -> str | None:
    """The program whose own log a file's name says it is, for programs kubewhy has no name
    for (``mongod.log``, ``kafka-lag-exporter-logs.txt``); None for generic names
    (``app.log``, ``console.log``) and for the components :func:`of_file_name` knows.

    >>> of_log_file_name("mongod.log"), of_log_file_name("cadvisor-2021-09-10.log.gz")
    ('mongod', 'cadvisor')
    >>> of_log_file_name("app.log"), of_log_file_name("kubelet.log"), of_log_file_name("ps.txt")
    (None, None, None)
    """
    found = _LOG_FILE_NAME.match(name.lower())
    if found is None or of_file_name(name) is not None:
        return None
    stem = _NAME_SUFFIX.sub("", found.group("stem"))
    if len(stem) < 2 or stem in _GENERIC_LOG_STEMS:
        return None
    return stem


def of_pod_name(pod: str) -> str | None:
    """The component a pod runs, from its name alone (a cluster-info dump's folders)."""
    for prefix in POD_NAME_PREFIXES:
        if pod == prefix or pod.startswith(prefix + "-"):
            return prefix
    return None


def static_pod_component(
    pod: str, namespace: str | None, node: str | None, labels: Mapping[str, Any] | None = None
) -> str | None:
    """The control-plane component a kubeadm-style static pod runs (``kube-apiserver-<node>``,
    label ``component: kube-apiserver``); None for any other pod."""
    if namespace not in (None, "kube-system"):
        return None
    label = (labels or {}).get("component")
    if label in CONTROL_PLANE:
        return str(label)
    for component in CONTROL_PLANE:
        if node and pod == f"{component}-{node}":
            return component
        if not node and pod.startswith(component + "-") and namespace == "kube-system":
            return component
    return None


def of_journal_identifier(identifier: str) -> str:
    """The component a journal identifier (or unit name) stands for; snap-packaged Kubernetes
    (Charmed Kubernetes) logs as ``kube-scheduler.daemon`` from the unit
    ``snap.kube-scheduler.daemon``.

    >>> of_journal_identifier("dockerd"), of_journal_identifier("snap.kubelet.daemon")
    ('docker', 'kubelet')
    >>> of_journal_identifier("microk8s.daemon-kubelite")
    'kubelite'
    """
    if identifier.endswith(".daemon"):
        identifier = identifier.removeprefix("snap.").removesuffix(".daemon")
    # MicroK8s's services: snap.microk8s.daemon-kubelite logs as microk8s.daemon-kubelite.
    identifier = identifier.removeprefix("snap.").removeprefix("microk8s.daemon-")
    return JOURNAL_IDENTIFIERS.get(identifier, identifier)


def of_metric_labels(labels: Mapping[str, str]) -> str | None:
    """The component a control-plane series is about, from its labels."""
    if labels.get("component"):
        return labels["component"]
    # kube-state-metrics series name the component in ``container``, their job is the exporter.
    if labels.get("container") in KNOWN_METRIC_COMPONENTS:
        return labels["container"]
    job = labels.get("job")
    return METRIC_JOBS.get(job, job) if job else None


# Modules every Kubernetes program links: a frame in them says nothing about which program ran.
_LIBRARY_MODULES = lazy_compile(
    r"^(?:k8s\.io/(?:client-go|apimachinery|api|klog|utils|kube-openapi|component-base)|"
    r"sigs\.k8s\.io/(?:controller-runtime|structured-merge-diff|json|yaml)|"
    r"golang\.org/x/|google\.golang\.org/|gopkg\.in/|go\.uber\.org/|go\.opencensus\.io|go\.etcd\.io/bbolt|"
    r"go\.opentelemetry\.io|github\.com/(?:golang|gogo|prometheus|grpc-ecosystem|sirupsen|spf13|"
    r"hashicorp|google|json-iterator|modern-go|pkg|davecgh|emicklei|go-logr|cespare|beorn7|"
    r"matttproud|mailru|munnerz|imdario|evanphx|gorilla|fsnotify|vishvananda|containernetworking"
    r"|opencontainers|docker|moby|coreos|cilium/ebpf|miekg)/)"
)
# A module path's last element does not end in a dot: "go.etcd.io/bbolt.(*DB).Begin" is the
# function Begin of the module go.etcd.io/bbolt.
_MODULE = lazy_compile(
    r"^((?:github\.com|gitlab\.com|bitbucket\.org)/[\w.-]+/[\w.-]*[\w-]|[\w-]+\.[\w.-]+/[\w.-]*[\w-])"
)


def of_stack_frames(frames: Iterable[str]) -> str:
    """The program a goroutine dump came from, from the packages in its stacks: a known
    component's, else the program's own module (what its frames vendor libraries under, or the
    module most of its non-library frames are in), by its last path element.

    >>> of_stack_frames(["k8s.io/ingress/vendor/k8s.io/client-go/tools/cache.(*DeltaFIFO).Pop"])
    'ingress'
    >>> of_stack_frames(["github.com/cilium/cilium/pkg/endpoint.(*Endpoint).lockAlive",
    ...                  "k8s.io/client-go/tools/cache.(*processorListener).run"])
    'cilium'
    >>> of_stack_frames(["main.main", "sync.(*Mutex).Lock"])
    'go-program'
    """
    frames = list(frames)
    for module, name in OWN_MODULES:
        if any(frame.startswith(module) for frame in frames):
            return name
    joined = " ".join(frames)
    for needle, name in STACK_PACKAGES:
        if needle in joined:
            return name
    counts: dict[str, int] = {}
    for frame in frames:
        vendored, sep, _ = frame.partition("/vendor/")
        module = vendored if sep else frame
        found = _MODULE.match(module)
        if found is None or (not sep and _LIBRARY_MODULES.match(module)):
            continue
        weight = 1000 if sep else 1  # a vendor tree is the program's own
        counts[found.group(1)] = counts.get(found.group(1), 0) + weight
    if not counts:
        return UNKNOWN_GO_PROGRAM
    module = max(sorted(counts), key=counts.__getitem__)
    return module.rsplit("/", 1)[-1]
