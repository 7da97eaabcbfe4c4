"""Node conditions from a diagnosis, the way node-problem-detector reports permanent problems.

One condition type per class of root cause (``KubewhyPIDPressure``, ...), always all of them:
``True`` with the root cause as reason and its title (and culprit) as message while a root cause of
the class is active on the node, ``False`` otherwise. Consequences never set a condition: the
condition names what to fix, not everything that broke.

Pod- and cluster-level failure modes (a crash loop, an expired API server certificate) are not
conditions of a node. A failure mode in neither table (a site's own, or a new one not yet
classified here) takes ``KubewhyOtherProblem`` when it is about a node (scope ``node``,
``cgroup`` or ``container``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kubewhy.model.diagnosis import Diagnosis, Finding, counts

# Condition type -> the failure modes whose root causes set it.
CLASSES: dict[str, tuple[str, ...]] = {
    "KubewhyPIDPressure": (
        "node-pid-exhaustion",
        "thread-leak-container",
        "zombie-processes",
        "pids-cgroup-limit",
        "container-runtime-fork-failure",
    ),
    "KubewhyMemoryPressure": (
        "memory-pressure-node-hang",
        "node-oom-kill",
        "memcg-zombie-cgroups",
        "container-oomkilled",
    ),
    "KubewhyDiskProblem": (
        "disk-pressure-eviction",
        "inode-exhaustion",
        "image-gc-failure",
        "filesystem-readonly",
    ),
    "KubewhyKernelProblem": (
        "kernel-bug-node-reboot",
        "kernel-oops-panic",
        "memcg-kmem-accounting-broken",
        "soft-lockup-rcu-stall",
        "hung-task-d-state",
        "unregister-netdevice-hang",
        "inotify-watch-exhaustion",
        "systemd-mount-unit-leak",
    ),
    "KubewhyContainerRuntimeProblem": (
        "container-runtime-hung",
        "pleg-unhealthy",
        "cni-plugin-hang",
        "cgroup-driver-mismatch",
        "serialized-image-pulls",
        "slow-image-pull",
    ),
    "KubewhyNetworkProblem": (
        "conntrack-insert-race",
        "conntrack-table-full",
        "cni-ip-exhaustion",
        "bridge-netfilter-disabled",
        "host-loopback-stub-resolver",
        "host-resolv-conf-no-nameserver",
        "iptables-backend-mismatch",
        "pod-network-mtu-mismatch",
        "stale-udp-conntrack-entry",
        "vxlan-checksum-offload-drop",
    ),
    "KubewhyKubeletProblem": (
        "kubelet-api-throttling",
        "kubelet-certificate-expired",
        "clock-skew",
        "telemetry-gap-node-processes",
    ),
}
OTHER = "KubewhyOtherProblem"
CONDITION_TYPES: tuple[str, ...] = (*CLASSES, OTHER)
# Failure modes of pods, components and the cluster: never a condition of one node.
NOT_NODE_CONDITIONS: frozenset[str] = frozenset(
    {
        "apiserver-certificate-expired",
        "apiserver-client-flood",
        "apiserver-goroutine-leak-oom",
        "apiserver-overload",
        "client-side-throttling",
        "coredns-forward-loop",
        "crashloop-backoff",
        "dns-timeout",
        "etcd-db-quota-exceeded",
        "etcd-expensive-range-requests",
        "etcd-leader-churn",
        "etcd-member-lost-quorum-kept",
        "etcd-slow-disk",
        "etcd-unavailable",
        "image-pull-backoff",
        "pod-sandbox-creation-failed",
        "probe-failure",
    }
)
NODE_SCOPES = frozenset({"node", "cgroup", "container"})
_CLASS_OF = {fm: kind for kind, modes in CLASSES.items() for fm in modes}
# The API server refuses longer messages in some versions; a condition is a pointer, not a report.
MAX_MESSAGE = 1024


@dataclass(frozen=True)
class NodeCondition:
    """One entry of ``status.conditions`` (Node v1), without its timestamps."""

    type: str
    status: str  # "True" or "False"
    reason: str
    message: str


def condition_type(failure_mode: str, scope: str) -> str | None:
    """The condition a root cause of ``failure_mode`` sets, None when it is not a node's."""
    if failure_mode in _CLASS_OF:
        return _CLASS_OF[failure_mode]
    if failure_mode in NOT_NODE_CONDITIONS or scope not in NODE_SCOPES:
        return None
    return OTHER


def reason_of(failure_mode: str) -> str:
    """CamelCase, as condition and event reasons are written.

    >>> reason_of("node-pid-exhaustion")
    'NodePidExhaustion'
    """
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", failure_mode) if part)


def _message(finding: Finding) -> str:
    text = f"{finding.title} (kubewhy explain {finding.failure_mode})"
    if finding.culprit is not None:
        text += f"; culprit {finding.culprit.kind}/{finding.culprit.name}"
    return text[:MAX_MESSAGE]


def node_conditions(diagnosis: Diagnosis, scopes: Mapping[str, str]) -> list[NodeCondition]:
    """Every condition type, True for the most confident active root cause of its class.
    ``scopes`` maps failure-mode ids to their scope (local rules included)."""
    active: dict[str, Finding] = {}
    for finding in diagnosis.findings:  # ranked: the first of a class is its strongest
        if finding.explained_by is not None or not counts(finding):
            continue  # consequences, leads and past events set no condition
        kind = condition_type(finding.failure_mode, scopes.get(finding.failure_mode, ""))
        if kind is not None and kind not in active:
            active[kind] = finding
    conditions = []
    for kind in CONDITION_TYPES:
        strongest = active.get(kind)
        if strongest is None:
            reason = "No" + kind.removeprefix("Kubewhy")
            message = "kubewhy's last diagnosis found no root cause of this class"
            conditions.append(NodeCondition(kind, "False", reason, message))
        else:
            reason = reason_of(strongest.failure_mode)
            conditions.append(NodeCondition(kind, "True", reason, _message(strongest)))
    return conditions
