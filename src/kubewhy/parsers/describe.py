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
capacity and the count of its non-terminated pods. Events become ``"Reason: Message"`` records
about the pod or node (old layouts put the node in ``From``: ``kubelet, node-1``). Several
describes in one input are split at each ``Name:``. A describe squashed onto one line (pasted
from a web page) is read best-effort.

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
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kubewhy.model.components import static_pod_component
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import Context, ParseResult, Record
from kubewhy.parsers.events import cut_boundary_ok, slice_row, table_columns
from kubewhy.parsers.objects import (
    add_anchor,
    parse_quantity,
    status_text,
)

_TOP = re.compile(r"^([A-Z][\w -]*?):(?:\s+(.*?))?\s*$")
_NAME = re.compile(r"^Name:\s+(\S+)\s*$")
_NODE_MARKERS = re.compile(
    r"^(?:Roles|Taints|System Info|Non-terminated Pods|Addresses|Unschedulable):"
)
_CONTAINER = re.compile(r"^  ([\w.-]+):\s*$")
_KEY = re.compile(r"^(\s+)([A-Za-z][\w ]*?):(?:\s+(.*?))?\s*$")
_TIME = r"\w{3}, \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}"
_CONDITION = re.compile(
    rf"^\s+(\w+)\s+(True|False|Unknown)\b\s*(?:({_TIME})\s*)?(?:({_TIME})\s*)?(?:(\S+)\s*)?(.*)$"
)
_EVENTS_HEADER = re.compile(r"^\s*(?:Type\s+Reason\s+Age|FirstSeen\s+LastSeen)\b")
_EVENT_ROW = re.compile(
    r"^\s*(?P<Type>Normal|Warning)\s+(?P<Reason>\S+)\s+"
    r"(?P<Age>\S+(?: \(x\d+ over \S+\))?)\s+(?P<From>\S+(?:, \S+)?)\s{2,}(?P<Message>.*)$"
)
_SEPARATOR = re.compile(r"^\s*-{2,}(?:\s+-{2,})*\s*$")
_SYSTEM_INFO = {
    "Kernel Version": "kernel.release",
    "OS Image": "os.pretty_name",
    "Container Runtime Version": "node.container_runtime",
    "Kubelet Version": "node.kubelet_version",
}
_SQUASHED_EVENT = re.compile(
    r"\b(Normal|Warning)\s+([A-Z]\w+)\s+"
    r"(<unknown>|\d+[smhdy][\dsmhdy]*(?:\s+\(x\d+ over [\dsmhdy]+\))?)"
    r"\s+([\w.-]+(?:,\s+[\w.-]+)?)\s+"
)


def parse_describe_time(text: str) -> datetime | None:
    """A describe timestamp (``Thu, 17 Feb 2022 16:51:05 -0500``) as aware UTC.

    >>> parse_describe_time("Thu, 17 Feb 2022 16:51:05 -0500").isoformat()
    '2022-02-17T21:51:05+00:00'
    """
    try:
        value = datetime.strptime(text.strip(), "%a, %d %b %Y %H:%M:%S %z")
    except ValueError:
        return None
    return value.astimezone(UTC) if value.year > 1970 else None


def _count(age: str) -> int:
    found = re.search(r"\(x(\d+) over", age)
    return int(found.group(1)) if found else 1


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
    exec_probe: bool = False
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)


class _Block:
    """One describe (one object), read line by line."""

    def __init__(self, ctx: Context, result: ParseResult, lines: list[tuple[int, str]]) -> None:
        self.ctx = ctx
        self.result = result
        self.lines = lines
        self.top: dict[str, tuple[str, int]] = {}
        self.is_node = any(_NODE_MARKERS.match(text) for _, text in lines)

    def evidence(self, number: int | None, text: str, moment: datetime | None = None) -> Evidence:
        return Evidence(self.ctx.source, number, moment, text.strip())

    def fact(self, name: str, entity: Entity, value: Value, number: int, text: str) -> None:
        self.result.facts.append(Fact(name, entity, value, self.evidence(number, text)))

    def read(self) -> None:
        section = ""
        containers: list[_Container] = []
        current: _Container | None = None
        sub = ""
        event_columns: list[tuple[str, int]] | None = None
        self.events: list[tuple[int, dict[str, str], str]] = []
        self.conditions: list[tuple[int, str]] = []
        self.pods_on_node: list[tuple[str, str]] = []
        capacity: dict[str, tuple[str, int]] = {}
        info: dict[str, tuple[str, int]] = {}
        self.addresses: list[tuple[int, str, str]] = []
        for number, text in self.lines:
            if not text.strip():
                continue
            top = _TOP.match(text)
            if top and not text[0].isspace():
                section, value = top.group(1), top.group(2) or ""
                self.top.setdefault(section, (value, number))
                current, sub, event_columns = None, "", None
                continue
            if section in ("Containers", "Init Containers"):
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
                if _EVENTS_HEADER.match(text):
                    event_columns = table_columns(text)
                elif not _SEPARATOR.match(text):
                    self.event_line(number, text, event_columns)
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
        if self.is_node:
            self.node(info, capacity)
        else:
            self.pod(containers)

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
        elif sub == "Requests" and name == "memory":
            container.request = parse_quantity(value)
            container.lines["memory request"] = (text, number)
        return sub

    def event_line(self, number: int, text: str, columns: list[tuple[str, int]] | None) -> None:
        cells: dict[str, str] | None = None
        if columns is not None and cut_boundary_ok(text, columns):
            cells = slice_row(text, columns)
            if cells.get("Type") not in ("Normal", "Warning", None) or not cells.get("Reason"):
                cells = None
        if cells is None:
            found = _EVENT_ROW.match(text)
            cells = found.groupdict() if found else None
        if cells is None or not cells.get("Reason"):
            if self.events:
                # A message that goes on over several lines.
                line, previous, raw = self.events[-1]
                previous = dict(previous, Message=f"{previous.get('Message', '')} {text.strip()}")
                self.events[-1] = (line, previous, raw)
            else:
                self.result.malformed += 1
            return
        self.events.append((number, cells, text))

    # --- pod ---------------------------------------------------------------------------------

    def pod(self, containers: list[_Container]) -> None:
        name, name_line = self.top.get("Name", ("", 0))
        namespace = self.top.get("Namespace", ("", 0))[0] or self.ctx.namespace
        node_value, node_line = self.top.get("Node", ("", 0))
        node_name = node_value.split("/", 1)[0] or None
        if node_name in ("<none>", ""):
            node_name = None
        pod = Entity.pod(name, namespace, node_name)
        self.result.entities.append(pod)
        if node_name:
            self.fact("pod.node", pod, node_name, node_line, f"Node: {node_value}")
            address = node_value.split("/", 1)[1] if "/" in node_value else ""
            if address and address != "<none>":
                node = Entity.for_node(node_name)
                self.fact("node.address", node, address, node_line, f"Node: {node_value}")
        status, status_line = self.top.get("Status", ("", 0))
        if status:
            self.fact("pod.phase", pod, status.split()[0], status_line, f"Status: {status}")
        qos, qos_line = self.top.get("QoS Class", ("", 0))
        if qos:
            self.fact("pod.qos_class", pod, qos, qos_line, f"QoS Class: {qos}")
        moment = parse_describe_time(self.top.get("Start Time", ("", 0))[0])
        add_anchor(self.result, moment)
        reason = self.top.get("Reason", ("", 0))
        if reason[0]:
            message = self.top.get("Message", ("", 0))[0]
            self.result.records.append(Record(f"pod {reason[0]}: {message}", reason[1], entity=pod))
        for number, text in self.conditions:
            found = _CONDITION.match(text)
            if found and found.group(1) == "Ready":
                self.fact("pod.ready", pod, found.group(2) == "True", number, text)
        component = static_pod_component(name, namespace, node_name)
        restarts, oom = 0, False
        for container in containers:
            oom_killed = self.container(pod, container)
            # A control-plane pod's health is its main container's (sidecars aside).
            if len(containers) == 1 or container.name == component:
                restarts += container.restarts or 0
                oom |= oom_killed
        if containers:
            evidence_line = containers[0].line
            self.fact("pod.containers_total", pod, len(containers), evidence_line, "Containers:")
            running = sum(c.state == "running" for c in containers)
            self.fact("pod.containers_running", pod, running, evidence_line, "Containers:")
        probe = next((c for c in containers if c.exec_probe), None)
        if probe is not None:
            text, number = next(
                (probe.lines[k] for k in ("Liveness", "Readiness", "Startup") if k in probe.lines),
                ("", probe.line),
            )
            self.fact("pod.has_exec_probe", pod, True, number, text)
        if component:
            entity = Entity.component(component, node_name)
            self.result.entities.append(entity)
            self.fact("component.restarts", entity, restarts, name_line, f"Name: {name}")
            self.fact("component.oom_killed", entity, oom, name_line, f"Name: {name}")
        self.event_records(pod)

    def container(self, pod: Entity, container: _Container) -> bool:
        entity = Entity.container(
            container.name, pod=pod.name, namespace=pod.namespace, node=pod.node
        )
        self.result.entities.append(entity)
        facts: list[tuple[str, Value, str]] = []
        if container.state:
            facts.append(("container.state", container.state, "State"))
        reason = container.state_detail.get("Reason", ("", 0))[0]
        if container.state == "waiting" and reason:
            facts.append(("container.waiting_reason", reason, "State"))
        if container.restarts is not None:
            facts.append(("container.restart_count", container.restarts, "Restart Count"))
        if container.image:
            facts.append(("container.image", container.image, "Image"))
        last_reason = container.last_detail.get("Reason", ("", 0))[0]
        exit_text = container.last_detail.get("Exit Code", ("", 0))[0]
        exit_code = int(exit_text) if exit_text.lstrip("-").isdigit() else None
        if container.last == "terminated" and last_reason:
            facts.append(("container.last_terminated_reason", last_reason, "Last State"))
        if container.last == "terminated" and exit_code is not None:
            facts.append(("container.last_exit_code", exit_code, "Last State"))
        for name, value, key in facts:
            text, number = container.lines.get(key) or container.lines.get(
                "Last Termination State", ("", container.line)
            )
            self.fact(name, entity, value, number, text)
        if container.limit is not None:
            text, number = container.lines.get("memory limit", ("", container.line))
            self.fact("container.memory_limit_bytes", entity, container.limit, number, text)
        if container.request is not None:
            text, number = container.lines.get("memory request", ("", container.line))
            self.fact("container.memory_request_bytes", entity, container.request, number, text)
        limit, request = container.limit, container.request
        if limit is not None and request is not None and limit > request:
            text, number = container.lines.get("memory limit", ("", container.line))
            self.fact("pod.memory_limit_over_request", pod, True, number, text)
        # Records: waiting/terminated states and the last termination.
        if container.state in ("waiting", "terminated") and reason:
            code = container.state_detail.get("Exit Code", ("", 0))[0] or None
            message = container.state_detail.get("Message", ("", 0))[0] or None
            text = status_text(
                container.name, "state", container.state, reason, exit_code=code, message=message
            )
            finished = parse_describe_time(container.state_detail.get("Finished", ("", 0))[0])
            self.record(text, container.lines.get("State", ("", None))[1], finished, entity)
        if container.last == "terminated":
            text = status_text(
                container.name, "lastState", "terminated", last_reason or None, exit_code=exit_code
            )
            finished = parse_describe_time(container.last_detail.get("Finished", ("", 0))[0])
            line = container.last_detail.get("Reason", ("", container.line))[1]
            self.record(text, line, finished, entity)
        for detail in (container.state_detail, container.last_detail):
            add_anchor(self.result, parse_describe_time(detail.get("Started", ("", 0))[0]))
        return "OOMKilled" in (reason, last_reason)

    def record(self, text: str, line: int | None, moment: datetime | None, entity: Entity) -> None:
        stamp = Stamp(moment) if moment else None
        self.result.records.append(Record(text, line, stamp, entity))
        add_anchor(self.result, moment)

    def event_records(self, entity: Entity) -> int:
        reboots = 0
        for number, cells, _raw in self.events:
            source = cells.get("From") or ""
            target = entity
            if entity.kind == "pod" and entity.node is None and source.startswith("kubelet,"):
                target = Entity.pod(entity.name, entity.namespace, source.split(",", 1)[1].strip())
            reason = cells.get("Reason", "")
            message = " ".join(cells.get("Message", "").split())
            self.result.records.append(Record(f"{reason}: {message}", number, entity=target))
            if reason == "Rebooted":
                reboots += _count(cells.get("Age") or cells.get("Count") or "")
        return reboots

    # --- node --------------------------------------------------------------------------------

    def node(self, info: dict[str, tuple[str, int]], capacity: dict[str, tuple[str, int]]) -> None:
        name = self.top.get("Name", ("", 0))[0]
        node = Entity.for_node(name)
        self.result.entities.append(node)
        # InternalIP and Hostname: the names other sources (journal hosts, scrapes) use.
        for number, address, text in self.addresses:
            if address != name:
                self.fact("node.address", node, address, number, text)
        for number, text in self.conditions:
            found = _CONDITION.match(text)
            if not found:
                if not re.match(r"^\s*(?:Type\b|-{2,})", text):
                    self.result.malformed += 1
                continue
            kind, status, _heartbeat, transition, reason, message = found.groups()
            moment = parse_describe_time(transition or "")
            evidence = self.evidence(number, text, moment)
            facts = [(f"node.condition.{kind}", status)]
            if reason:
                facts.append((f"node.condition.{kind}.reason", reason))
            if message:
                facts.append((f"node.condition.{kind}.message", message.strip()))
            if kind == "Ready":
                facts.append(("node.ready", status == "True"))
            self.result.facts.extend(Fact(n, node, v, evidence) for n, v in facts)
            stamp = Stamp(moment) if moment else None
            line_text = f"{kind} {status} {reason or ''}: {(message or '').strip()}"
            self.result.records.append(Record(line_text, number, stamp, node))
            add_anchor(self.result, moment)
        for key, (info_value, number) in info.items():
            self.fact(_SYSTEM_INFO[key], node, info_value, number, f"{key}: {info_value}")
        for key, fact in (("pods", "node.capacity.pods"), ("pid", "node.capacity.pids")):
            if key in capacity:
                value = parse_quantity(capacity[key][0])
                if value is not None:
                    self.fact(fact, node, value, capacity[key][1], f"{key}: {capacity[key][0]}")
        total, total_line = self.top.get("Non-terminated Pods", ("", 0))
        counted = re.search(r"\((\d+) in total\)", total)
        if counted:
            text = f"Non-terminated Pods: {total}"
            self.fact("node.pods.count", node, int(counted.group(1)), total_line, text)
            coredns = sum(1 for ns, pod in self.pods_on_node if pod.startswith("coredns-"))
            self.fact("node.coredns_pods", node, coredns, total_line, text)
        components = set()
        for namespace, pod in self.pods_on_node:
            self.result.entities.append(Entity.pod(pod, namespace, name))
            component = static_pod_component(pod, namespace, name)
            if component:
                components.add(component)
        if "kube-apiserver" in components:
            stacked = "etcd" in components
            text = f"node {name} runs kube-apiserver {'and' if stacked else 'without'} etcd pods"
            self.fact("cluster.etcd_stacked", Entity.cluster(), stacked, total_line, text)
        reboots = self.event_records(node)
        if reboots:
            self.fact("node.reboots", node, reboots, total_line, f"{reboots} Rebooted events")


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    lines = [raw.expandtabs().rstrip() for raw in text.splitlines()]
    # A describe pasted with a common indent (from a document or a mail) is read as if flush.
    indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    blocks: list[list[tuple[int, str]]] = []
    for number, full in enumerate(lines, start=1):
        line = full[indent:]
        if _NAME.match(line):
            blocks.append([])
        if blocks:
            blocks[-1].append((number, line))
    return blocks


def _is_squashed(line: str) -> bool:
    return len(line) > 200 and "Name:" in line and ("Events:" in line or "Containers:" in line)


class DescribeFormat:
    name = "kubectl-describe"

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        if any(_is_squashed(line) for line in lines[:5]):
            return 0.8
        flush = [line.expandtabs().strip() for line in lines]
        if not any(_NAME.match(line) for line in flush[:5]):
            return 0.0
        keys = {m.group(1) for line in flush if (m := _TOP.match(line))}
        pod = {"Namespace", "Node", "Status", "Containers", "QoS Class", "Start Time", "IP"}
        node = {"Roles", "Labels", "Taints", "Conditions", "Addresses", "Capacity", "System Info"}
        if len(keys & pod) >= 3 or len(keys & node) >= 3:
            return 0.9
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        lines = text.splitlines()
        squashed = [(n, line) for n, line in enumerate(lines, start=1) if _is_squashed(line)]
        for number, line in squashed:
            _squashed(line, number, ctx, result)
        if not squashed or len(lines) > len(squashed):
            for block in _blocks(text):
                _Block(ctx, result, block).read()
        return result


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
