"""Pods and nodes as the parsers of Kubernetes objects see them, and the one mapping to facts.

``kubectl describe`` text (:mod:`kubewhy.parsers.describe`) and API objects
(:mod:`kubewhy.parsers.objects`) tell the same things about a pod or a node in two formats. Each
parser reads its format into a :class:`PodView` or :class:`NodeView`, every value with the
evidence that cites it (a describe cites its line, an object a one-line summary of itself), and
:func:`add_pod` / :func:`add_node` turn a view into facts, entities and records: fact names are
chosen here and nowhere else.

>>> cite = Evidence("pod.json", None, None, "Pod prod/web-1: phase=Running")
>>> app = ContainerView("app", state=StateView("running", None, cite),
...                     restart_count=Cited(3, cite))
>>> view = PodView("web-1", "prod", node=Cited("n1", cite), phase=Cited("Running", cite),
...                containers=[app], containers_total=Cited(1, cite), states_read=True)
>>> result = ParseResult()
>>> add_pod(view, result)
>>> [(f.name, f.entity.name, f.value) for f in result.facts]  # doctest: +NORMALIZE_WHITESPACE
[('pod.phase', 'web-1', 'Running'), ('pod.node', 'web-1', 'n1'),
 ('container.state', 'web-1/app', 'running'), ('container.restart_count', 'web-1/app', 3),
 ('pod.containers_total', 'web-1', 1), ('pod.containers_running', 'web-1', 1)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, NamedTuple, TypeVar

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import ParseResult, Record, add_anchor

V_co = TypeVar("V_co", bound=Value, covariant=True)
# Container states worth a record to match (running says nothing).
_TROUBLED = ("waiting", "terminated")


class Cited(NamedTuple, Generic[V_co]):
    """A value and the evidence that cites it (a tuple: cheap, an API list makes many per pod)."""

    value: V_co
    evidence: Evidence


def status_text(
    container: str,
    which: str,
    state: str,
    reason: str | None,
    *,
    exit_code: object = None,
    message: str | None = None,
) -> str:
    """The record line for a container state, the same from objects and from describe.

    >>> status_text("kube-apiserver", "lastState", "terminated", "OOMKilled", exit_code=137)
    'kube-apiserver lastState terminated reason OOMKilled exitCode 137'
    """
    text = f"{container} {which} {state}"
    if reason:
        text += f" reason {reason}"
    if exit_code is not None:
        text += f" exitCode {exit_code}"
    if message:
        text += f": {' '.join(str(message).split())}"
    return text


# --- pods --------------------------------------------------------------------------------------


@dataclass(slots=True)
class StateView:
    """A container's state (current or last): ``running``, ``waiting`` or ``terminated``."""

    name: str  # "" when the format tells none
    reason: str | None
    # Cites the facts this state gives (state, waiting reason, last termination).
    evidence: Evidence
    # The exit code as the format shows it (a describe's last state: as a number).
    exit_code: Value | None = None
    message: str | None = None
    finished: datetime | None = None
    started: datetime | None = None
    # Where the state's record points (a describe's last state: its Reason line).
    line: int | None = None


@dataclass(slots=True)
class ContainerView:
    name: str
    state: StateView | None = None
    last_state: StateView | None = None
    restart_count: Cited[int] | None = None
    image: Cited[str] | None = None
    memory_limit: Cited[int] | None = None
    memory_request: Cited[int] | None = None
    cpu_limit: Cited[int] | None = None


@dataclass(slots=True)
class PodView:
    name: str
    namespace: str | None
    node: Cited[str] | None = None
    phase: Cited[str] | None = None
    # A pod with nothing to say (API objects of healthy pods): its phase and exec probes only.
    phase_only: bool = False
    # The address of the pod's node (a describe's ``Node: n1/10.0.0.1``).
    node_address: Cited[str] | None = None
    qos_class: Cited[str] | None = None
    ready: list[Cited[bool]] = field(default_factory=list)
    containers: list[ContainerView] = field(default_factory=list)
    containers_total: Cited[int] | None = None
    # Whether the containers' states were read, so that the running ones can be counted.
    states_read: bool = False
    # Cites the first container with an exec probe.
    exec_probe: Evidence | None = None
    # The control-plane component a static pod runs, cited by the pod.
    component: Cited[str] | None = None

    @property
    def entity(self) -> Entity:
        return Entity.pod(self.name, self.namespace, self.node.value if self.node else None)


def add_pod(view: PodView, result: ParseResult) -> None:
    """The pod's facts, entities and records (its containers' and its component's too)."""
    pod = view.entity
    facts = result.facts
    result.entities.append(pod)
    if view.phase is not None:
        facts.append(_fact("pod.phase", pod, view.phase))
    if not view.phase_only:
        _pod_details(view, pod, result)
    if view.exec_probe is not None:
        facts.append(Fact("pod.has_exec_probe", pod, True, view.exec_probe))
    if view.component is not None and not view.phase_only:
        _component(view, view.component, result)


def _pod_details(view: PodView, pod: Entity, result: ParseResult) -> None:
    facts = result.facts
    if view.node is not None:
        facts.append(_fact("pod.node", pod, view.node))
        if view.node_address is not None:
            node = Entity.for_node(view.node.value)
            facts.append(_fact("node.address", node, view.node_address))
    if view.qos_class is not None:
        facts.append(_fact("pod.qos_class", pod, view.qos_class))
    facts.extend(_fact("pod.ready", pod, ready) for ready in view.ready)
    for container in view.containers:
        _container(pod, container, result)
    if view.containers_total is not None:
        facts.append(_fact("pod.containers_total", pod, view.containers_total))
        if view.states_read:
            states = (c.state.name for c in view.containers if c.state is not None)
            running = sum(name == "running" for name in states)
            evidence = view.containers_total.evidence
            facts.append(Fact("pod.containers_running", pod, running, evidence))


def _container(pod: Entity, view: ContainerView, result: ParseResult) -> None:
    entity = Entity.container(view.name, pod=pod.name, namespace=pod.namespace, node=pod.node)
    result.entities.append(entity)
    facts = result.facts
    state, last = view.state, view.last_state
    if state is not None and state.name:
        facts.append(Fact("container.state", entity, state.name, state.evidence))
        if state.name == "waiting" and state.reason:
            facts.append(Fact("container.waiting_reason", entity, state.reason, state.evidence))
    if view.restart_count is not None:
        facts.append(_fact("container.restart_count", entity, view.restart_count))
    if view.image is not None:
        facts.append(_fact("container.image", entity, view.image))
    if last is not None and last.name == "terminated":
        if last.reason:
            name = "container.last_terminated_reason"
            facts.append(Fact(name, entity, last.reason, last.evidence))
        if isinstance(last.exit_code, int):
            facts.append(Fact("container.last_exit_code", entity, last.exit_code, last.evidence))
    limit, request = view.memory_limit, view.memory_request
    if limit is not None:
        facts.append(_fact("container.memory_limit_bytes", entity, limit))
    if request is not None:
        facts.append(_fact("container.memory_request_bytes", entity, request))
    if view.cpu_limit is not None:
        facts.append(_fact("container.cpu_limit_millicores", entity, view.cpu_limit))
    if limit is not None and request is not None and limit.value > request.value:
        facts.append(Fact("pod.memory_limit_over_request", pod, True, limit.evidence))
    # Records: only states worth matching (waiting, terminated, a previous termination).
    if state is not None and state.name in _TROUBLED and (state.reason or state.message):
        text = status_text(
            view.name,
            "state",
            state.name,
            state.reason,
            exit_code=state.exit_code,
            message=state.message,
        )
        _record(result, text, state.line, state.finished, entity)
    if last is not None and last.name == "terminated":
        text = status_text(
            view.name, "lastState", "terminated", last.reason or None, exit_code=last.exit_code
        )
        _record(result, text, last.line, last.finished, entity)
    for seen in (state, last):
        if seen is not None:
            add_anchor(result, seen.started)


def _component(view: PodView, component: Cited[str], result: ParseResult) -> None:
    """A control-plane pod's health is its main container's (sidecars aside)."""
    restarts, oom = 0, False
    for container in view.containers:
        if len(view.containers) == 1 or container.name == component.value:
            restarts += container.restart_count.value if container.restart_count else 0
            reasons = [s.reason for s in (container.state, container.last_state) if s]
            oom |= "OOMKilled" in reasons
    entity = Entity.component(component.value, view.node.value if view.node else None)
    result.entities.append(entity)
    result.facts.append(Fact("component.restarts", entity, restarts, component.evidence))
    result.facts.append(Fact("component.oom_killed", entity, oom, component.evidence))


# --- nodes -------------------------------------------------------------------------------------


@dataclass(slots=True)
class ConditionView:
    """A node condition; its evidence carries the time of its last transition."""

    kind: str
    status: str
    reason: str | None
    message: str | None
    # The condition on one line as the format words it: the record that patterns match.
    said: str
    evidence: Evidence


@dataclass(slots=True)
class NodeView:
    name: str
    # Other names of the node (InternalIP, Hostname): the ones other sources use.
    addresses: list[Cited[str]] = field(default_factory=list)
    conditions: list[ConditionView] = field(default_factory=list)
    kernel_release: Cited[str] | None = None
    os_image: Cited[str] | None = None
    kubelet_version: Cited[str] | None = None
    container_runtime: Cited[str] | None = None
    machine_id: Cited[str] | None = None
    capacity_pods: Cited[int] | None = None
    capacity_pids: Cited[int] | None = None
    # Pods running on the node, as (namespace, name), and how many there are.
    pods: list[tuple[str, str]] = field(default_factory=list)
    pods_count: Cited[int] | None = None
    coredns_pods: Cited[int] | None = None
    # Rebooted events about the node.
    reboots: Cited[int] | None = None

    @property
    def entity(self) -> Entity:
        return Entity.for_node(self.name)


def add_node(view: NodeView, result: ParseResult) -> None:
    """The node's facts, entities and records (its conditions, one record each)."""
    node = view.entity
    facts = result.facts
    result.entities.append(node)
    facts.extend(_fact("node.address", node, address) for address in view.addresses)
    for condition in view.conditions:
        _condition(node, condition, result)
    for name, value in (
        ("kernel.release", view.kernel_release),
        ("os.pretty_name", view.os_image),
        ("node.kubelet_version", view.kubelet_version),
        ("node.container_runtime", view.container_runtime),
        ("node.machine_id", view.machine_id),
        ("node.capacity.pods", view.capacity_pods),
        ("node.capacity.pids", view.capacity_pids),
        ("node.pods.count", view.pods_count),
        ("node.coredns_pods", view.coredns_pods),
    ):
        if value is not None:
            facts.append(_fact(name, node, value))
    result.entities.extend(Entity.pod(pod, namespace, view.name) for namespace, pod in view.pods)
    if view.reboots is not None:
        facts.append(_fact("node.reboots", node, view.reboots))


def _condition(node: Entity, condition: ConditionView, result: ParseResult) -> None:
    kind, evidence = condition.kind, condition.evidence
    facts = [Fact(f"node.condition.{kind}", node, condition.status, evidence)]
    if condition.reason:
        facts.append(Fact(f"node.condition.{kind}.reason", node, condition.reason, evidence))
    if condition.message:
        facts.append(Fact(f"node.condition.{kind}.message", node, condition.message, evidence))
    if kind == "Ready":
        facts.append(Fact("node.ready", node, condition.status == "True", evidence))
    result.facts.extend(facts)
    _record(result, condition.said, evidence.line, evidence.time, node)


# --- helpers -----------------------------------------------------------------------------------


def _fact(name: str, entity: Entity, cited: Cited[Value]) -> Fact:
    return Fact(name, entity, cited.value, cited.evidence)


def _record(
    result: ParseResult, text: str, line: int | None, moment: datetime | None, entity: Entity
) -> None:
    result.records.append(Record(text, line, Stamp(moment) if moment else None, entity))
    add_anchor(result, moment)
