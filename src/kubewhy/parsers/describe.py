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
:mod:`kubewhy.parsers.kube_views`, which name the facts as for API objects). Events become
``"Reason: Message"`` records about the pod or node (old layouts put the node in ``From``:
``kubelet, node-1``). Several describes in one input are split at each ``Name:``. A describe
squashed onto one line (pasted from a web page) is read best-effort.

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
from kubewhy.parsers.base import Context, ParseResult, Record, add_anchor
from kubewhy.parsers.events import cut_boundary_ok, slice_row, table_columns
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
from kubewhy.parsers.objects import parse_quantity

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
_SYSTEM_INFO = frozenset(
    {"Kernel Version", "OS Image", "Container Runtime Version", "Kubelet Version"}
)
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
        view.containers = [self.container(container) for container in containers]
        if containers:
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
        self.event_records(view.entity)

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

        def memory(value: int | None, key: str) -> Cited[int] | None:
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
            memory_limit=memory(container.limit, "memory limit"),
            memory_request=memory(container.request, "memory request"),
        )

    def event_records(self, entity: Entity) -> None:
        for number, cells, _raw in self.events:
            source = cells.get("From") or ""
            target = entity
            if entity.kind == "pod" and entity.node is None and source.startswith("kubelet,"):
                target = Entity.pod(entity.name, entity.namespace, source.split(",", 1)[1].strip())
            reason = cells.get("Reason", "")
            message = " ".join(cells.get("Message", "").split())
            self.result.records.append(Record(f"{reason}: {message}", number, entity=target))

    def reboots(self) -> int:
        return sum(
            _count(cells.get("Age") or cells.get("Count") or "")
            for _number, cells, _raw in self.events
            if cells.get("Reason", "") == "Rebooted"
        )

    # --- node --------------------------------------------------------------------------------

    def node(self, info: dict[str, tuple[str, int]], capacity: dict[str, tuple[str, int]]) -> None:
        name = self.top.get("Name", ("", 0))[0]
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
