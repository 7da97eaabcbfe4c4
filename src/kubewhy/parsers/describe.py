"""``kubectl describe pod`` and ``kubectl describe node`` output, old and new layouts::

    Name:         nginx-deployment-67d4bdd6f5-w6kd7
    Namespace:    default
    Node:         kube-worker-1/192.168.0.113
    Status:       Running
    Containers:
      nginx:
        State:          Running
        Last State:     Terminated
          Reason:       OOMKilled
          Exit Code:    137
        Restart Count:  3
    QoS Class:        Guaranteed
    Events:
      Type     Reason     Age                From     Message
      ----     ------     ----               ----     -------
      Warning  Unhealthy  49s (x2 over 51s)  kubelet  Readiness probe failed: ...

A pod gives phase, node, QoS class, readiness, container states, restarts, last terminations,
images, memory limits/requests and exec probes; a node gives its conditions, System Info, pod
capacity and the count of its non-terminated pods (read into the views of
:mod:`kubewhy.parsers.kube_views`, which name the facts as for API objects). Events (every layout
of :mod:`kubewhy.parsers.event_tables`) become ``"Reason: Message"`` records about the pod or
node, with their repeat count and their ages on the describe's own clock (old layouts put the
node in ``From``: ``kubelet, node-1``). Several describes in one input are split at each
``Name:``. A describe squashed onto one line (pasted from a web page) is read best-effort.

Pieces of a describe are read for what they hold: a bare ``Events:`` block, the Containers or
Conditions section alone, the lines a ``| grep`` kept, a paste quoted with ``>``. Without a
``Name:`` the object is the one the command names (``kubectl describe pod web-1 -n prod``), else
the one its events name (``Successfully assigned prod/web-1 to n1``, ``Node n1 status is now:``).

>>> text = '''Name: web-1
... Namespace: prod
... Node: n1/10.0.0.1
... Status: Running
... Events:
...   Type     Reason     Age   From     Message
...   ----     ------     ----  ----     -------
...   Warning  Unhealthy  8m    kubelet  Readiness probe failed: timeout'''
>>> r = DescribeFormat().parse(text, Context("describe.txt"))
>>> [(f.name, f.value) for f in r.facts if f.name == "pod.phase"], r.records[0].text
([('pod.phase', 'Running')], 'Unhealthy: Readiness probe failed: timeout')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.components import static_pod_component
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult, Record, add_anchor
from kubewhy.parsers.event_tables import (
    ASSIGNED,
    OLD_ROW_HINT,
    PASTE_MARK,
    EventTable,
    is_event_row,
)
from kubewhy.parsers.event_tables import HEADER as EVENTS_HEADER
from kubewhy.parsers.event_times import absolute_time
from kubewhy.parsers.kube_views import (
    Cited,
    ConditionView,
    ContainerView,
    NodeView,
    PodView,
    StateView,
    add_node,
    add_pod,
    status_text,
)
from kubewhy.parsers.objects import parse_cpu_millis, parse_quantity
from kubewhy.parsers.sessions import PROMPT_HINT, prompt_of
from kubewhy.parsers.shell import described_object, parse_command

_TOP = lazy_compile(r"^([A-Z][\w -]*?):(?:\s+(.*?))?\s*$")
_NAME = lazy_compile(r"^Name:\s+(\S+)\s*$")
_NODE_MARKERS = lazy_compile(
    r"^(?:Roles|Taints|System Info|Non-terminated Pods|Addresses|Unschedulable):"
)
_CONTAINER = lazy_compile(r"^  ([\w.-]+):\s*$")
_KEY = lazy_compile(r"^(\s+)([A-Za-z][\w ]*?):(?:\s+(.*?))?\s*$")
_TIME = r"\w{3}, \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
_CONDITION = lazy_compile(
    rf"^\s+(\w+)\s+(True|False|Unknown)\b\s*(?:({_TIME})\s*)?(?:({_TIME})\s*)?(?:(\S+)\s*)?(.*)$"
)
# Top-level keys of pod and node describes (k8s.io/kubectl/pkg/describe/describe.go): inside
# Events, a flush-left line is a new section only if it is one of these; any other continues a
# message (a Go panic's "SIGABRT: abort" line is no section).
_SECTIONS = frozenset(
    {
        *"Name Namespace Priority Node Labels Annotations Status Reason Message IP IPs".split(),
        *"Controllers Containers Conditions Volumes Node-Selectors Tolerations Events".split(),
        *"Roles CreationTimestamp Taints Unschedulable Lease Addresses Capacity".split(),
        *"Allocatable PodCIDR PodCIDRs ProviderID ExternalID Version Hostname".split(),
        "Priority Class Name",
        "Runtime Class Name",
        "Service Account",
        "Start Time",
        "SeccompProfile",
        "Controlled By",
        "Nominated Node Name",
        "Init Containers",
        "Ephemeral Containers",
        "Readiness Gates",
        "QoS Class",
        "Topology Spread Constraints",
        "System Info",
        "Non-terminated Pods",
        "Allocated resources",
    }
)
# Keys a container's block holds, seen at the top of a piece that lost the Containers header
# (``kubectl describe pod x | grep -A3 'Last State'``).
_CONTAINER_KEYS = frozenset(
    {"Container ID", "Image", "Image ID", "State", "Last State", "Ready", "Restart Count"}
)
# Condition types only nodes have (pods have Initialized, Ready, ContainersReady, ...).
_NODE_CONDITIONS = frozenset(
    {"MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable", "OutOfDisk"}
)
# Reasons only node events have (the kubelet's node status and lifecycle events).
_NODE_REASONS = lazy_compile(
    r"^(?:Node\w+|RegisteredNode|RemovingNode|DeletingNode|Rebooted|InvalidDiskCapacity|"
    r"EvictionThresholdMet|Starting|"
    r"NodeAllocatableEnforced|FreeDiskSpaceFailed|ImageGCFailed|SystemOOM|ContainerGCFailed|"
    r"CIDRNotAvailable|KubeletSetupFailed)$"
)
# Reasons of events about pods (the kubelet's container, volume, sandbox and probe events and
# the scheduler's).
_POD_REASONS = frozenset(
    """Scheduled FailedScheduling Pulling Pulled Created Started Killing BackOff Unhealthy Failed
    FailedMount FailedAttachVolume SuccessfulAttachVolume FailedCreatePodSandBox SandboxChanged
    FailedSync Preempted Evicted ErrImageNeverPull ProbeWarning FailedKillPod FailedPreStopHook
    FailedPostStartHook ExceededGracePeriod NetworkNotReady DNSConfigForming""".split()
)
# Node events name their node: "Node n1 status is now: NodeReady", "Node n1 event: ...".
_NODE_NAMED = lazy_compile(r"^Node (?P<node>\S+) (?:status is now|event):")
# A container named by its events: "Created container web", "Started container web" (newer
# kubelets, kuberuntime_container.go: "Created container: web").
_CONTAINER_NAMED = lazy_compile(r"^(?:Created|Started) container:? (?P<name>\S+)$")
_QUOTE = lazy_compile(r"^\s*>[ \t]?")
_SYSTEM_INFO = frozenset(
    {"Kernel Version", "OS Image", "Container Runtime Version", "Kubelet Version", "Machine ID"}
)
_SQUASHED_EVENT = lazy_compile(
    r"\b(Normal|Warning)\s+([A-Z]\w+)\s+"
    r"(<unknown>|\d+[smhdy][\dsmhdy]*(?:\s+\(x\d+ over [\dsmhdy]+\))?)"
    r"\s+([\w.-]+(?:,\s+[\w.-]+)?)\s+"
)


def parse_describe_time(text: str) -> datetime | None:
    """A describe timestamp (``Thu, 17 Feb 2022 16:51:05 -0500``) as aware UTC.

    >>> parse_describe_time("Thu, 17 Feb 2022 16:51:05 -0500").isoformat()
    '2022-02-17T21:51:05+00:00'
    """
    return absolute_time(text)


@dataclass
class _Container:
    name: str
    line: int
    image: str | None = None
    state: str | None = None
    state_detail: dict[str, tuple[str, int]] = field(default_factory=dict)
    last: str | None = None
    last_detail: dict[str, tuple[str, int]] = field(default_factory=dict)
    restarts: int | None = None
    ready: bool | None = None
    limit: int | None = None
    request: int | None = None
    cpu_limit: int | None = None
    exec_probe: bool = False
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)


class _Block:
    """One describe (one object), read line by line; ``raw`` keeps each line as printed (tabs
    and all: the oldest events tables are aligned with tabs)."""

    def __init__(
        self,
        ctx: Context,
        result: ParseResult,
        lines: list[tuple[int, str]],
        raw: dict[int, str] | None = None,
    ) -> None:
        self.ctx = ctx
        self.result = result
        self.lines = lines
        self.raw = raw or {}
        self.top: dict[str, tuple[str, int]] = {}
        self.is_node = any(_NODE_MARKERS.match(text) for _, text in lines)
        first = lines[0][0] if lines else 1
        # The describe's ages are on the clock of the moment it was printed.
        self.events = EventTable((ctx.source, first))

    def evidence(self, number: int | None, text: str, moment: datetime | None = None) -> Evidence:
        return Evidence(self.ctx.source, number, moment, text.strip())

    def fact(self, name: str, entity: Entity, value: Value, number: int, text: str) -> None:
        self.result.facts.append(Fact(name, entity, value, self.evidence(number, text)))

    def read(self) -> None:
        section = ""
        containers: list[_Container] = []
        current: _Container | None = None
        sub = ""
        self.conditions: list[tuple[int, str]] = []
        self.pods_on_node: list[tuple[str, str]] = []
        capacity: dict[str, tuple[str, int]] = {}
        info: dict[str, tuple[str, int]] = {}
        self.addresses: list[tuple[int, str, str]] = []
        # A piece without the Containers header: its container keys are one unnamed container's,
        # read as if at a container's indent (4) from where the first of them stood.
        loose: _Container | None = None
        loose_indent = 0
        has_containers = any(
            text.rstrip(":") in ("Containers", "Init Containers") for _, text in self.lines
        )
        for number, text in self.lines:
            if not text.strip():
                continue
            top = _TOP.match(text)
            flush = not text[0].isspace()
            if flush and section == "Events" and (top is None or top.group(1) not in _SECTIONS):
                self.events.feed(number, self.raw.get(number, text))
                continue
            if flush and (EVENTS_HEADER.match(text) or (not top and is_event_row(text))):
                # An events table without its "Events:" line (pasted alone, or grep kept it).
                section = "Events"
                self.events.feed(number, self.raw.get(number, text))
                continue
            key = _KEY.match(text) if not flush else None
            opens = (top.group(1) if top and flush else key.group(2) if key else "") in (
                _CONTAINER_KEYS
            )
            if opens and not has_containers and (flush or section == ""):
                if loose is None:
                    loose = _Container("", number)
                    containers = containers or [loose]
                loose_indent = len(text) - len(text.lstrip())
                section, current, sub = "Containers", loose, ""
            elif top and flush:
                section, value = top.group(1), top.group(2) or ""
                self.top.setdefault(section, (value, number))
                current, sub = None, ""
                continue
            if section in ("Containers", "Init Containers"):
                if current is loose and loose is not None:
                    if len(text) - len(text.lstrip()) < loose_indent:
                        current, section = None, ""  # a line above the container's keys
                        continue
                    sub = self.container_line(loose, sub, number, "    " + text[loose_indent:])
                    continue
                found = _CONTAINER.match(text)
                if found:
                    current = _Container(found.group(1), number)
                    if section == "Containers":
                        containers.append(current)
                    sub = ""
                    continue
                if current is not None:
                    sub = self.container_line(current, sub, number, text)
            elif section == "Conditions":
                self.conditions.append((number, text))
            elif section == "Events":
                self.events.feed(number, self.raw.get(number, text))
            elif section in ("System Info", "Version"):
                key = _KEY.match(text)
                if key and key.group(2) in _SYSTEM_INFO:
                    info[key.group(2)] = (key.group(3) or "", number)
            elif section == "Addresses":
                key = _KEY.match(text)
                if key and key.group(3):
                    self.addresses.append((number, key.group(3).strip(), text.strip()))
            elif section == "Capacity":
                key = _KEY.match(text)
                if key:
                    capacity[key.group(2)] = (key.group(3) or "", number)
            elif section == "Non-terminated Pods":
                cells = text.split()
                if len(cells) >= 2 and cells[0] not in ("Namespace", "---------"):
                    self.pods_on_node.append((cells[0], cells[1]))
        self.result.malformed += self.events.malformed
        if loose is not None:
            loose.name = self._named_container()
        if self._is_node():
            self.node(info, capacity)
        else:
            self.pod(containers)

    def _described(self) -> tuple[str, str | None, str | None] | None:
        """The kind, name and namespace the command that printed this describe names."""
        pipeline = parse_command(self.ctx.command or "")
        return described_object(pipeline) if pipeline is not None else None

    def _is_node(self) -> bool:
        if self.is_node:
            return True
        if "Name" in self.top or self.top.keys() & {"Containers", "QoS Class", "Node"}:
            return False
        described = self._described()
        if described is not None and described[0] in ("pod", "node"):
            return described[0] == "node"
        kinds = {found.group(1) for _, text in self.conditions if (found := _CONDITION.match(text))}
        if kinds & _NODE_CONDITIONS:
            return True
        # A piece with events only: a node's if some are a node's own and none a pod's.
        rows = self.events.rows
        node = any(
            _NODE_REASONS.match(row.reason) or _NODE_NAMED.match(row.message.strip())
            for row in rows
        )
        return node and not any(row.reason in _POD_REASONS for row in rows)

    def _named_container(self) -> str:
        """The container of a pod whose piece showed no container name: the one its events
        name, when they name exactly one."""
        names = {
            found.group("name")
            for row in self.events.rows
            if (found := _CONTAINER_NAMED.match(row.message.strip()))
        }
        return names.pop() if len(names) == 1 else ""

    def container_line(self, container: _Container, sub: str, number: int, text: str) -> str:
        key = _KEY.match(text)
        if not key:
            return sub
        indent, name, value = len(key.group(1)), key.group(2), key.group(3) or ""
        if indent <= 4:
            container.lines[name] = (text, number)
            if name == "Image":
                container.image = value
            elif name == "State":
                container.state = value.split()[0].lower() if value else None
            elif name in ("Last State", "Last Termination State"):
                container.last = value.split()[0].lower() if value else None
            elif name == "Ready":
                container.ready = value == "True"
            elif name == "Restart Count" and value.isdigit():
                container.restarts = int(value)
            elif name in ("Liveness", "Readiness", "Startup") and value.startswith("exec"):
                container.exec_probe = True
            return name
        if sub == "State":
            container.state_detail[name] = (value, number)
        elif sub in ("Last State", "Last Termination State"):
            container.last_detail[name] = (value, number)
        elif sub == "Limits" and name == "memory":
            container.limit = parse_quantity(value)
            container.lines["memory limit"] = (text, number)
        elif sub == "Limits" and name == "cpu":
            container.cpu_limit = parse_cpu_millis(value)
            container.lines["cpu limit"] = (text, number)
        elif sub == "Requests" and name == "memory":
            container.request = parse_quantity(value)
            container.lines["memory request"] = (text, number)
        return sub

    # --- pod ---------------------------------------------------------------------------------

    def _pod_named(self) -> tuple[str, str | None, str, int]:
        """Name, namespace, ``Node:`` value and its line: from the header, else from the command
        that printed the piece, else from the Scheduled event (which names the node too)."""
        name = self.top.get("Name", ("", 0))[0]
        namespace = self.top.get("Namespace", ("", 0))[0] or None
        node_value, node_line = self.top.get("Node", ("", 0))
        described = self._described()
        if described is not None and described[0] == "pod":
            name = name or described[1] or ""
            namespace = namespace or described[2]
        name = name or self.ctx.pod or ""
        namespace = namespace or self.ctx.namespace
        assigned = next(
            (
                (row, found)
                for row in self.events.rows
                if row.reason == "Scheduled" and (found := ASSIGNED.match(row.message.strip()))
            ),
            None,
        )
        if assigned is not None:
            row, found = assigned
            if not name or name == found.group("pod"):
                name, namespace = found.group("pod"), namespace or found.group("ns")
                if not node_value:
                    node_value, node_line = found.group("node"), row.line
        return name, namespace, node_value, node_line

    def pod(self, containers: list[_Container]) -> None:
        name, namespace, node_value, node_line = self._pod_named()
        name_line = self.top.get("Name", ("", 0))[1]
        node_name = node_value.split("/", 1)[0] or None
        if node_name in ("<none>", ""):
            node_name = None
        if not name:
            # Whose pod it is, nothing says: its events still tell, about their node.
            for container in containers:
                self.container_records(container, None)
            self.event_records(None)
            return
        view = PodView(name, namespace)
        if node_name:
            placed = self.evidence(node_line, f"Node: {node_value}")
            view.node = Cited(node_name, placed)
            address = node_value.split("/", 1)[1] if "/" in node_value else ""
            if address and address != "<none>":
                view.node_address = Cited(address, placed)
        status, status_line = self.top.get("Status", ("", 0))
        if status:
            view.phase = Cited(status.split()[0], self.evidence(status_line, f"Status: {status}"))
        qos, qos_line = self.top.get("QoS Class", ("", 0))
        if qos:
            view.qos_class = Cited(qos, self.evidence(qos_line, f"QoS Class: {qos}"))
        moment = parse_describe_time(self.top.get("Start Time", ("", 0))[0])
        add_anchor(self.result, moment)
        reason = self.top.get("Reason", ("", 0))
        if reason[0]:
            message = self.top.get("Message", ("", 0))[0]
            text = f"pod {reason[0]}: {message}"
            self.result.records.append(Record(text, reason[1], entity=view.entity))
        for number, text in self.conditions:
            found = _CONDITION.match(text)
            if found and found.group(1) == "Ready":
                view.ready.append(Cited(found.group(2) == "True", self.evidence(number, text)))
        view.containers = [self.container(container) for container in containers if container.name]
        if containers and "Containers" in self.top:
            # A count of containers only where the section was read whole (not a grep's piece).
            cite = self.evidence(containers[0].line, "Containers:")
            view.containers_total = Cited(len(containers), cite)
            view.states_read = True
        probe = next((c for c in containers if c.exec_probe), None)
        if probe is not None:
            text, number = next(
                (probe.lines[k] for k in ("Liveness", "Readiness", "Startup") if k in probe.lines),
                ("", probe.line),
            )
            view.exec_probe = self.evidence(number, text)
        component = static_pod_component(name, namespace, node_name)
        if component:
            view.component = Cited(component, self.evidence(name_line, f"Name: {name}"))
        add_pod(view, self.result)
        for container in containers:
            if not container.name:
                self.container_records(container, view.entity)
        self.event_records(view.entity)

    def container_records(self, container: _Container, pod: Entity | None) -> None:
        """A container known by its states only (a piece that lost its name): the records of
        its states, about its pod."""
        for which, key, details in (
            ("state", "State", container.state_detail),
            ("lastState", "Last State", container.last_detail),
        ):
            state = container.state if which == "state" else container.last
            reason = details.get("Reason", ("", 0))[0]
            if state not in ("waiting", "terminated") or not reason:
                continue
            exit_code = details.get("Exit Code", ("", 0))[0] or None
            text = status_text("container", which, state, reason, exit_code=exit_code)
            line = details.get("Reason", ("", container.lines.get(key, ("", 0))[1]))[1]
            self.result.records.append(Record(text, line, entity=pod))

    def container(self, container: _Container) -> ContainerView:
        def cited(key: str) -> Evidence:
            text, number = container.lines.get(key) or container.lines.get(
                "Last Termination State", ("", container.line)
            )
            return self.evidence(number, text)

        def detail(details: dict[str, tuple[str, int]], key: str) -> str:
            return details.get(key, ("", 0))[0]

        state: StateView | None = None
        if "State" in container.lines:
            told = container.state_detail
            reason = detail(told, "Reason")
            state = StateView(
                container.state or "",
                reason or None,
                cited("State"),
                detail(told, "Exit Code") or None,
                # A describe's state is recorded with its reason (a message alone is not).
                message=(detail(told, "Message") or None) if reason else None,
                finished=parse_describe_time(detail(told, "Finished")),
                started=parse_describe_time(detail(told, "Started")),
                line=container.lines["State"][1],
            )
        last: StateView | None = None
        if "Last State" in container.lines or "Last Termination State" in container.lines:
            told = container.last_detail
            exit_text = detail(told, "Exit Code")
            last = StateView(
                container.last or "",
                detail(told, "Reason") or None,
                cited("Last State"),
                int(exit_text) if exit_text.lstrip("-").isdigit() else None,
                finished=parse_describe_time(detail(told, "Finished")),
                started=parse_describe_time(detail(told, "Started")),
                line=told.get("Reason", ("", container.line))[1],
            )

        def quantity(value: int | None, key: str) -> Cited[int] | None:
            if value is None:
                return None
            text, number = container.lines.get(key, ("", container.line))
            return Cited(value, self.evidence(number, text))

        restarts = container.restarts
        return ContainerView(
            container.name,
            state=state,
            last_state=last,
            restart_count=Cited(restarts, cited("Restart Count")) if restarts is not None else None,
            image=Cited(container.image, cited("Image")) if container.image else None,
            memory_limit=quantity(container.limit, "memory limit"),
            memory_request=quantity(container.request, "memory request"),
            cpu_limit=quantity(container.cpu_limit, "cpu limit"),
        )

    def event_records(self, entity: Entity | None) -> None:
        """A record per event row, about the described object (on the node the row's source
        names, where the object says none), or about that node when the object is unknown."""
        for row in self.events.rows:
            host = row.host
            target = entity
            if entity is None:
                target = Entity.for_node(host) if host else None
                if target is not None:
                    self.result.entities.append(target)
            elif entity.kind == "pod" and entity.node is None and host:
                target = Entity.pod(entity.name, entity.namespace, host)
            seen = row.seen
            record = Record(row.text, row.line, seen.stamp, target, count=seen.count)
            self.result.records.append(replace(record, since=seen.since))
            for stamp in (seen.stamp, seen.since):
                if stamp is not None and stamp.listed is None:
                    add_anchor(self.result, stamp.value)

    def reboots(self) -> int:
        return sum(row.seen.count for row in self.events.rows if row.reason == "Rebooted")

    # --- node --------------------------------------------------------------------------------

    def _node_named(self) -> str:
        """The node's name: the header's, else the command's, else the one its events name."""
        name = self.top.get("Name", ("", 0))[0]
        described = self._described()
        if not name and described is not None and described[0] == "node":
            name = described[1] or ""
        named = {
            found.group("node")
            for row in self.events.rows
            if (found := _NODE_NAMED.match(row.message.strip()))
        }
        hosts = {host for row in self.events.rows if (host := row.host)}
        for candidates in (named, hosts):
            if not name and len(candidates) == 1:
                name = candidates.pop()
        return name

    def node(self, info: dict[str, tuple[str, int]], capacity: dict[str, tuple[str, int]]) -> None:
        name = self._node_named()
        if not name:
            self.event_records(None)
            return
        view = NodeView(name)
        # InternalIP and Hostname: the names other sources (journal hosts, scrapes) use.
        for number, address, text in self.addresses:
            if address != name:
                view.addresses.append(Cited(address, self.evidence(number, text)))
        for number, text in self.conditions:
            found = _CONDITION.match(text)
            if not found:
                if not re.match(r"^\s*(?:Type\b|-{2,})", text):
                    self.result.malformed += 1
                continue
            kind, status, _heartbeat, transition, reason, message = found.groups()
            moment = parse_describe_time(transition or "")
            said = f"{kind} {status} {reason or ''}: {(message or '').strip()}"
            evidence = self.evidence(number, text, moment)
            message = message.strip() if message else None
            view.conditions.append(ConditionView(kind, status, reason, message, said, evidence))
        told = {
            key: Cited(value, self.evidence(number, f"{key}: {value}"))
            for key, (value, number) in info.items()
        }
        view.kernel_release = told.get("Kernel Version")
        view.os_image = told.get("OS Image")
        view.container_runtime = told.get("Container Runtime Version")
        view.kubelet_version = told.get("Kubelet Version")
        view.machine_id = told.get("Machine ID")
        capacities = {
            key: Cited(value, self.evidence(number, f"{key}: {told}"))
            for key, (told, number) in capacity.items()
            if (value := parse_quantity(told)) is not None
        }
        view.capacity_pods = capacities.get("pods")
        view.capacity_pids = capacities.get("pid")
        total, total_line = self.top.get("Non-terminated Pods", ("", 0))
        counted = re.search(r"\((\d+) in total\)", total)
        if counted:
            cite = self.evidence(total_line, f"Non-terminated Pods: {total}")
            view.pods_count = Cited(int(counted.group(1)), cite)
            coredns = sum(1 for ns, pod in self.pods_on_node if pod.startswith("coredns-"))
            view.coredns_pods = Cited(coredns, cite)
        view.pods = list(self.pods_on_node)
        reboots = self.reboots()
        if reboots:
            view.reboots = Cited(reboots, self.evidence(total_line, f"{reboots} Rebooted events"))
        add_node(view, self.result)
        components = {
            component
            for namespace, pod in self.pods_on_node
            if (component := static_pod_component(pod, namespace, name))
        }
        if "kube-apiserver" in components:
            stacked = "etcd" in components
            text = f"node {name} runs kube-apiserver {'and' if stacked else 'without'} etcd pods"
            self.fact("cluster.etcd_stacked", Entity.cluster(), stacked, total_line, text)
        self.event_records(view.entity)


Block = tuple[list[tuple[int, str]], dict[int, str]]


def _blocks(text: str) -> list[Block]:
    """The describes in ``text``, split at each ``Name:``; what comes before the first one is a
    block too when it holds a piece of a describe. Each block has its lines with tabs expanded
    and the common indent removed, and the lines as printed (``raw``, for the events table)."""
    printed = [line.rstrip() for line in text.splitlines()]
    filled = [line for line in printed if line.strip()]
    if filled and all(_QUOTE.match(line) for line in filled):
        printed = [_QUOTE.sub("", line, count=1) for line in printed]
    # A command at a prompt (a session's section), grep's group separators, a markdown fence
    # and an elision are no content.
    kept = [
        (number, line)
        for number, line in enumerate(printed, start=1)
        if line.strip()
        and line.strip() != "--"
        and not PASTE_MARK.match(line)
        and prompt_of(line) is None
    ]
    expanded = [(number, line.expandtabs()) for number, line in kept]
    # A describe pasted with a common indent (from a document or a mail) is read as if flush.
    indent = min((len(x) - len(x.lstrip()) for _, x in expanded), default=0)
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, full in expanded:
        line = full[indent:]
        if _NAME.match(line):
            blocks.append([])
        blocks[-1].append((number, line))
    if not _describable(blocks[0]):
        blocks.pop(0)
    raw = dict(kept)
    return [(block, {number: raw[number] for number, _ in block}) for block in blocks]


def _describable(lines: list[tuple[int, str]]) -> bool:
    """Whether lines without a ``Name:`` hold a piece of a describe: a section of one, a
    container's keys, an events table or its rows."""
    for _, line in lines:
        if line[:1].isspace():
            continue
        top = _TOP.match(line)
        key = top.group(1) if top else ""
        if key in _SECTIONS or key in _CONTAINER_KEYS:
            return True
        if EVENTS_HEADER.match(line) or is_event_row(line):
            return True
    return False


def _is_squashed(line: str) -> bool:
    return len(line) > 200 and "Name:" in line and ("Events:" in line or "Containers:" in line)


class DescribeFormat:
    name = "kubectl-describe"
    # What each of its scores needs, in a line as pasted (a quote mark cut and tabs expanded
    # change only blanks before or between these): a prompt (kubectl describe), the key of a
    # section it counts (a squashed describe holds Events: or Containers:), or at a line's
    # start a pod's or node's Name:, the events table's header or one of its rows (today's
    # type first, or an older layout's two times and a count).
    hints = (
        PROMPT_HINT,
        "Containers:",
        "Conditions:",
        "Events:",
        "Class:",
        re.compile(
            r"^\s*>?\s*(?:Name:\s|Type\s+Reason\s+Age|FirstSeen\s+LastSeen|Normal\s|Warning\s)"
        ),
        OLD_ROW_HINT,
    )

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        if any(_is_squashed(line) for line in lines[:5]):
            return 0.8
        flush = [_QUOTE.sub("", line, count=1).expandtabs().strip() for line in lines]
        keys = {m.group(1) for line in flush if (m := _TOP.match(line))}
        if any(_NAME.match(line) for line in flush[:5]):
            pod = {"Namespace", "Node", "Status", "Containers", "QoS Class", "Start Time", "IP"}
            node = {"Roles", "Labels", "Taints", "Conditions", "Addresses", "Capacity"}
            if len(keys & pod) >= 3 or len(keys & (node | {"System Info"})) >= 3:
                return 0.9
        prompt = prompt_of(lines[0])
        if prompt is not None and _describes(prompt.command):
            # Whatever ``kubectl describe pod|node`` printed is a describe, or a piece of one.
            return 0.9
        body = flush[1:] if prompt is not None else flush
        if any(EVENTS_HEADER.match(line) for line in body[:12]):
            return 0.85
        pieces = {"Containers", "Init Containers", "Conditions", "Events", "QoS Class"}
        if keys & pieces and len(keys & _SECTIONS) >= 2:
            return 0.7
        rows = sum(1 for line in body if is_event_row(line))
        if rows >= 2 and rows >= 0.6 * len(body):
            return 0.6
        if body and is_event_row(body[0]):
            # One event row pasted alone, its message perhaps going on over the next lines.
            return 0.5
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        lines = text.splitlines()
        squashed = [(n, line) for n, line in enumerate(lines, start=1) if _is_squashed(line)]
        for number, line in squashed:
            _squashed(line, number, ctx, result)
        if not squashed or len(lines) > len(squashed):
            for block, raw in _blocks(text):
                _Block(ctx, result, block, raw).read()
        return result


def _describes(command: str) -> bool:
    """Whether ``command`` is ``kubectl describe`` of pods or nodes (maybe piped to grep)."""
    pipeline = parse_command(command)
    if pipeline is None or "describe" not in pipeline.source.words[:2]:
        return False
    described = described_object(pipeline)
    return described is not None and described[0] in ("pod", "node")


def _squashed(line: str, number: int, ctx: Context, result: ParseResult) -> None:
    """A whole describe pasted onto one line: the key fields and the events, best effort."""

    def field_value(pattern: str) -> str | None:
        found = re.search(pattern, line)
        return found.group(1) if found else None

    def evidence(text: str) -> Evidence:
        return Evidence(ctx.source, number, None, text)

    name = field_value(r"\bName:\s+(\S+)") or ""
    namespace = field_value(r"\bNamespace:\s+(\S+)") or ctx.namespace
    node = field_value(r"\bNode:\s+([^\s/<]+)/")
    pod = Entity.pod(name, namespace, node)
    result.entities.append(pod)
    facts: list[tuple[str, Value, str]] = []
    if node:
        facts.append(("pod.node", node, f"Node: {node}"))
    status = field_value(r"\bStatus:\s+([A-Z]\w+)")
    if status:
        facts.append(("pod.phase", status, f"Status: {status}"))
    qos = field_value(r"\bQoS Class:\s+(\w+)")
    if qos:
        facts.append(("pod.qos_class", qos, f"QoS Class: {qos}"))
    if re.search(r"\b(?:Liveness|Readiness|Startup):\s+exec\b", line):
        facts.append(("pod.has_exec_probe", True, "exec probe"))
    result.facts.extend(Fact(n, pod, v, evidence(t)) for n, v, t in facts)
    for found in re.finditer(
        r"\b(State|Last State):\s+(Waiting|Terminated)\s+Reason:\s+(\w+)(?:\s+Exit Code:\s+(\d+))?",
        line,
    ):
        which = "state" if found.group(1) == "State" else "lastState"
        text = status_text(
            name, which, found.group(2).lower(), found.group(3), exit_code=found.group(4)
        )
        result.records.append(Record(text, number, entity=pod))
    events = line.split("Events:", 1)[1] if "Events:" in line else ""
    matches = list(_SQUASHED_EVENT.finditer(events))
    for index, found in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(events)
        message = " ".join(events[found.end() : end].split())
        result.records.append(Record(f"{found.group(2)}: {message}", number, entity=pod))


FORMATS = [DescribeFormat()]
