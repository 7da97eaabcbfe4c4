"""Column tables: ``kubectl get pods`` (plain, ``-A``, ``-o wide``), ``kubectl get nodes``
(plain and ``-o wide``: each node's readiness, kubelet version, address, OS, kernel and runtime),
``kubectl get svc`` (the cluster DNS Service's ClusterIP),
``docker ps``, whose container names (``k8s_<container>_<pod>_<namespace>_<uid>_<attempt>``) say
which pod a running container belongs to, and ``kubectl get pvc``, whose claims still Pending say
no volume was bound.

>>> text = '''NAME        READY   STATUS    RESTARTS   AGE   IP       NODE
... sphinx-0    0/2     Pending   0          1m    <none>   ss-dev-kub07'''
>>> r = TABLES.parse(text, Context("get-pods.txt"))
>>> sorted((f.name, f.value) for f in r.facts if f.name.startswith("pod."))[:3]
[('pod.containers_total', 2), ('pod.node', 'ss-dev-kub07'), ('pod.phase', 'Pending')]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, ParseResult, Record
from kubewhy.parsers.event_tables import slice_row, table_columns
from kubewhy.parsers.event_times import age_seconds
from kubewhy.parsers.kube_views import Cited, ConditionView, NodeView, add_node

POD_HEADER = re.compile(r"^(?:NAMESPACE\s+)?NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\b")
PVC_HEADER = re.compile(
    r"^(?:NAMESPACE\s+)?NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+"
    r"(?:VOLUMEATTRIBUTESCLASS\s+)?AGE\b"
)
# A claim is Pending for the seconds its volume takes to provision; a minute on, it is stuck.
PVC_STUCK_SECONDS = 60
DOCKER_HEADER = re.compile(r"^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\b")
# kubectl's node printer: NAME STATUS ROLES AGE VERSION (ROLES since 1.10; 1.8 and 1.9 print
# NAME STATUS AGE VERSION), -o wide adds INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION
# CONTAINER-RUNTIME. (NAME STATUS AGE alone is also a namespace list: left out.)
NODE_HEADER = re.compile(r"^NAME\s+STATUS\s+(?:ROLES\s+)?AGE\s+VERSION\b")
# kubectl's service printer: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE (TYPE since 1.6 or so;
# older releases print NAME CLUSTER-IP EXTERNAL-IP PORT(S) AGE), -A adds NAMESPACE first.
SERVICE_HEADER = re.compile(
    r"^(?:NAMESPACE\s+)?NAME\s+(?:TYPE\s+)?CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\b"
)
# The cluster DNS Service's names: kubeadm and most installers keep "kube-dns" for CoreDNS too;
# Helm charts and RKE2 name it after CoreDNS. NodeLocal DNSCache's kube-dns-upstream is not it.
DNS_SERVICES = ("kube-dns", "coredns", "rke2-coredns-rke2-coredns")
# The Ready condition as the STATUS cell words it, before ",SchedulingDisabled" (a cordoned node).
NODE_READY = {"Ready": "True", "NotReady": "False", "Unknown": "Unknown"}
# -o wide's columns, as the facts a node's describe gives.
NODE_WIDE = (
    ("KERNEL-VERSION", "kernel_release"),
    ("OS-IMAGE", "os_image"),
    ("CONTAINER-RUNTIME", "container_runtime"),
)
# kubelet names docker containers k8s_<container>_<pod>_<namespace>_<pod uid>_<attempt>
DOCKER_NAME = re.compile(
    r"\bk8s_(?P<container>[^_\s]+)_(?P<pod>[^_\s]+)_(?P<ns>[^_\s]+)_[0-9a-f-]+_\d+\b"
)
# Pod STATUS words that mean the pod has not started yet.
PENDING_STATUSES = {"Pending", "ContainerCreating", "PodInitializing"}
PHASES = {
    "Running": "Running",
    "Completed": "Succeeded",
    "Succeeded": "Succeeded",
    "Failed": "Failed",
}


def _pods(lines: list[tuple[int, str]], ctx: Context, result: ParseResult) -> None:
    header = lines[0][1]
    split = header.split()
    for n, line in lines[1:]:
        parts = line.split()
        if len(parts) < 5:
            result.malformed += 1
            continue
        if split[0] == "NAMESPACE":
            namespace, name, ready, status = parts[0], parts[1], parts[2], parts[3]
            rest = parts[4:]
        else:
            namespace, name, ready, status = (
                ctx.namespace or "default",
                parts[0],
                parts[1],
                parts[2],
            )
            rest = parts[3:]
        node = None
        if "NODE" in split:
            idx = split.index("NODE") - (1 if split[0] == "NAMESPACE" else 0) - 3
            # RESTARTS may read "3 (2m ago)": take the node from the end when it shifts.
            node = rest[idx] if idx < len(rest) else None
            if node and "(" in " ".join(rest[:idx]):
                node = rest[idx + 2] if idx + 2 < len(rest) else None
            if node in ("<none>", None):
                node = None
        found = re.fullmatch(r"(\d+)/(\d+)", ready)
        # `kubectl get all` names each row with its kind: pod/web-1 is the pod web-1.
        name = name.removeprefix("pod/").removeprefix("pods/")
        pod = Entity.pod(name, namespace, node)
        ev = Evidence(ctx.source, n, None, line.strip())
        result.entities.append(pod)
        phase = PHASES.get(status, "Pending" if status in PENDING_STATUSES else None)
        if phase:
            result.facts.append(Fact("pod.phase", pod, phase, ev))
        if found:
            result.facts.append(Fact("pod.containers_total", pod, int(found.group(2)), ev))
            result.facts.append(Fact("pod.ready", pod, found.group(1) == found.group(2), ev))
        if node:
            result.facts.append(Fact("pod.node", pod, node, ev))
        # The row as kubectl printed it: patterns are written for that wording.
        result.records.append(Record(line.strip(), n, None, pod))


def _nodes(lines: list[tuple[int, str]], ctx: Context, result: ParseResult) -> None:
    """Each row a node: its Ready condition from STATUS, its kubelet's version and, with -o wide,
    its address, OS image, kernel and runtime (cells sliced under the header: OS-IMAGE has
    spaces)."""
    columns = table_columns(lines[0][1])
    for n, line in lines[1:]:
        cells = slice_row(line, columns)
        name, status = cells.get("NAME", ""), cells.get("STATUS", "").split(",")[0]
        ready = NODE_READY.get(status)
        if not name or " " in name or ready is None:
            result.malformed += 1
            continue
        ev = Evidence(ctx.source, n, None, line.strip())
        view = NodeView(name)
        view.conditions.append(ConditionView("Ready", ready, None, None, line.strip(), ev))
        if cells.get("VERSION"):
            view.kubelet_version = Cited(cells["VERSION"], ev)
        address = cells.get("INTERNAL-IP")
        if address and address != "<none>":
            view.addresses.append(Cited(address, ev))
        for title, attribute in NODE_WIDE:
            if cells.get(title):
                setattr(view, attribute, Cited(cells[title], ev))
        add_node(view, result)


def _services(lines: list[tuple[int, str]], ctx: Context, result: ParseResult) -> None:
    """The cluster DNS Service's ClusterIP, the address the kubelet must give pods as their
    nameserver (its clusterDNS)."""
    columns = table_columns(lines[0][1])
    for n, line in lines[1:]:
        cells = slice_row(line, columns)
        name, address = cells.get("NAME", ""), cells.get("CLUSTER-IP", "")
        namespace = cells.get("NAMESPACE", ctx.namespace or "kube-system")
        dns = name.removeprefix("service/") in DNS_SERVICES and "53/" in cells.get("PORT(S)", "")
        if dns and namespace == "kube-system" and re.fullmatch(r"[\d.]+|[0-9a-fA-F:]+", address):
            ev = Evidence(ctx.source, n, None, line.strip())
            result.facts.append(Fact("cluster.dns_service_ip", Entity.cluster(), address, ev))
            return


def _docker(lines: list[tuple[int, str]], ctx: Context, result: ParseResult) -> None:
    node = ctx.node or UNKNOWN_NODE
    running: Counter[Entity] = Counter()
    first_line: dict[Entity, Evidence] = {}
    for n, line in lines[1:]:
        found = DOCKER_NAME.search(line)
        if not found:
            continue
        if found.group("container") == "POD":  # the sandbox (pause) container
            continue
        pod = Entity.pod(found.group("pod"), found.group("ns"), node)
        ev = Evidence(ctx.source, n, None, line.strip())
        if " Up " in f" {line} " or "Running" in line:
            running[pod] += 1
            first_line.setdefault(pod, ev)
        container = Entity.container(
            found.group("container"), found.group("pod"), found.group("ns"), node
        )
        state = "running" if " Up " in f" {line} " else "exited"
        result.facts.append(Fact("container.state", container, state, ev))
    for pod, count in running.items():
        result.facts.append(Fact("pod.containers_running", pod, count, first_line[pod]))


def _claims(lines: list[tuple[int, str]], ctx: Context, result: ParseResult) -> None:
    """Claims Pending a minute or more, and those of them without a storage class (in a
    cluster without a default class nothing provisions them)."""
    # By where each header title starts (kubectl's tabwriter): a claim not bound yet leaves
    # VOLUME, CAPACITY, ACCESS MODES and STORAGECLASS blank, so its words cannot be counted.
    columns = table_columns(lines[0][1])
    stuck: list[tuple[int, str]] = []
    classless = 0
    for n, line in lines[1:]:
        cells = slice_row(line, columns)
        if cells.get("STATUS") != "Pending":
            continue
        age = age_seconds(cells.get("AGE", ""))
        if age is None or age < PVC_STUCK_SECONDS:
            continue
        stuck.append((n, line.strip()))
        classless += not cells.get("STORAGECLASS")
    if not stuck:
        return
    cluster = Entity.cluster()
    first = Evidence(ctx.source, stuck[0][0], None, stuck[0][1])
    result.facts.append(Fact("cluster.claims.pending", cluster, len(stuck), first))
    result.facts.append(Fact("cluster.claims.pending_without_class", cluster, classless, first))


class Tables:
    name = "table"
    hints = ("READY", "CONTAINER ID", "ACCESS MODES", "VERSION", "CLUSTER-IP")

    def sniff(self, head: Sequence[str]) -> float:
        if not head:
            return 0.0
        first = head[0]
        headers = (POD_HEADER, DOCKER_HEADER, PVC_HEADER, NODE_HEADER, SERVICE_HEADER)
        if any(h.match(first) for h in headers):
            return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if not lines:
            return result
        header = lines[0][1]
        if POD_HEADER.match(header):
            _pods(lines, ctx, result)
        elif DOCKER_HEADER.match(header):
            _docker(lines, ctx, result)
        elif PVC_HEADER.match(header):
            _claims(lines, ctx, result)
        elif NODE_HEADER.match(header):
            _nodes(lines, ctx, result)
        elif SERVICE_HEADER.match(header):
            _services(lines, ctx, result)
        return result


TABLES = Tables()
FORMATS = [TABLES]
