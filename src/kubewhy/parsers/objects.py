"""Kubernetes API objects as JSON or YAML: Pods, Nodes and Events, alone or in lists.

Accepted shapes: one object, a ``kind: List`` / ``*List`` with ``items``, multi-document YAML,
concatenated JSON documents, and the files written by ``kubectl cluster-info dump
--output-directory`` (``nodes.json``, ``<namespace>/pods.json``, ``<namespace>/events.json``)::

    {"kind": "PodList", "apiVersion": "v1", "items": [{"kind": "Pod", "metadata": ...}]}

Every pod gives its phase, node and exec probes. A pod with something to say (not Running,
a condition not True, a container not running or not ready, restarts, a previous termination)
and every control-plane static pod also give QoS class, readiness, container states, restarts,
last terminations, images and memory limits/requests, and records for what went wrong: a healthy
pod of a 150,000-pod cluster costs two facts. Pods are counted per node and for the cluster from
the store (:mod:`kubewhy.facts.derive`), across the one ``pods.json`` per namespace of a dump.
Nodes give conditions and nodeInfo; Events (core/v1 and events.k8s.io/v1) become records
stamped with their last time. Control-plane static pods give component facts and whether etcd
is stacked with kube-apiserver. Secrets are skipped whole.

>>> doc = ('{"kind": "Pod", "metadata": {"name": "web", "namespace": "prod"},'
...        ' "spec": {"nodeName": "n1"}, "status": {"phase": "Pending"}}')
>>> r = ObjectsFormat().parse(doc, Context("pod.json"))
>>> sorted((f.name, f.value) for f in r.facts if f.entity.kind == "pod")
[('pod.containers_total', 0), ('pod.node', 'n1'), ('pod.phase', 'Pending')]
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pydantic_core
import yaml

from kubewhy.memory import no_cyclic_gc
from kubewhy.model.components import static_pod_component
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import Context, ParseResult, Record

# --- shared helpers (also used by the describe, events and kubelet parsers) ---------------------

_QUANTITY = re.compile(
    r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?\s*$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}

MAX_ANCHORS = 256


def parse_quantity(text: object) -> int | None:
    """A Kubernetes resource quantity as a whole number (bytes for memory).

    >>> parse_quantity("128Mi"), parse_quantity("1.5G"), parse_quantity("3436Mi")
    (134217728, 1500000000, 3602907136)
    >>> parse_quantity("100m"), parse_quantity("lots")
    (0, None)
    """
    found = _QUANTITY.match(str(text))
    if not found:
        return None
    number, exponent, suffix = found.groups()
    value = float(number)
    if exponent:
        value *= 10 ** int(exponent)
    elif suffix in _BINARY:
        value *= _BINARY[suffix]
    elif suffix:
        value *= 10 ** _DECIMAL[suffix]
    return round(value)


def parse_time(text: object) -> datetime | None:
    """An API timestamp (RFC 3339, ``Z`` or offset, optional fraction) as aware UTC.

    >>> parse_time("2022-02-17T21:51:05Z").isoformat()
    '2022-02-17T21:51:05+00:00'
    """
    if not isinstance(text, str) or len(text) < 19:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(UTC)


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


def add_anchor(result: ParseResult, moment: datetime | None) -> None:
    if moment is not None and len(result.anchors) < MAX_ANCHORS:
        result.anchors.append(Stamp(moment))


# --- reading documents -------------------------------------------------------------------------

_JSON_START = re.compile(r"^[ \t]*[{\[]|^==== START logs", re.M)
_LOGS_END = re.compile(r"^==== END logs.*$", re.M)
_YAML_KIND = re.compile(r"^(?:-\s+)?kind:\s*\S", re.M)


def _json_documents(text: str, result: ParseResult) -> Iterator[Any]:
    """Every JSON document in ``text``: one, or several concatenated (``cluster-info dump`` to
    stdout also interleaves container logs, which are skipped)."""
    try:
        # pydantic's JSON reader: a third faster than the standard one on API lists.
        yield pydantic_core.from_json(text, cache_strings="keys")
        return
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    position = 0
    while True:
        start = _JSON_START.search(text, position)
        if start is None:
            return
        if text.startswith("==== START logs", start.start()):
            end = _LOGS_END.search(text, start.end())
            position = end.end() if end else len(text)
            continue
        begin = start.end() - 1
        try:
            document, position = decoder.raw_decode(text, begin)
        except ValueError:
            result.malformed += 1
            position = text.find("\n", begin) + 1 or len(text)
            continue
        yield document


def _yaml_documents(text: str, result: ParseResult) -> Iterator[Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        yield from yaml.load_all(text, Loader=loader)
    except yaml.YAMLError:
        result.malformed += 1


def _objects(document: Any, item_kind: str | None = None) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The objects of a document with their kind; items of a typed list (``PodList``) often
    carry no ``kind`` (API list answers, ``cluster-info dump`` files), so they get the list's.

    Each item of a list is released once read, while it is still in the processor's cache:
    freeing a 150,000-pod list at the end costs as much as reading it.
    """
    if isinstance(document, list):
        for index, item in enumerate(document):
            kind = item.get("kind") if isinstance(item, dict) else None
            if isinstance(item, dict) and not (isinstance(kind, str) and kind.endswith("List")):
                kind = kind or item_kind
                if kind != "Secret":
                    yield kind, item
            else:
                yield from _objects(item, item_kind)
            document[index] = None
    elif isinstance(document, dict):
        kind = document.get("kind") or item_kind
        if isinstance(kind, str) and kind.endswith("List") and "items" in document:
            inner = kind[: -len("List")] or None
            yield from _objects(document.get("items") or [], inner)
        elif kind != "Secret":
            yield kind, document


# --- the parser ----------------------------------------------------------------------------------


class _Reader:
    """Turns objects into facts and records; one per parse."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.result = ParseResult()
        self.components: defaultdict[str, set[str]] = defaultdict(set)
        self.reboots: Counter[str] = Counter()
        # Events name the same few objects over and over: one entity each.
        self.event_entities: dict[tuple[str, str, str | None, str | None], Entity | None] = {}
        self.stamps: dict[str, Stamp | None] = {}

    def evidence(self, text: str) -> Evidence:
        return Evidence(self.ctx.source, None, None, text)

    def fact(self, name: str, entity: Entity, value: Value, evidence: Evidence) -> None:
        self.result.facts.append(Fact(name, entity, value, evidence))

    def read(self, kind: object, obj: dict[str, Any]) -> None:
        if kind == "Pod" or (kind is None and "containers" in (obj.get("spec") or {})):
            self.pod(obj)
        elif kind == "Node":
            self.node(obj)
        elif kind == "Event":
            self.event(obj)

    # Pods -------------------------------------------------------------------------------------

    def pod(self, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        name = str(meta.get("name") or "")
        if not name:
            self.result.malformed += 1
            return
        namespace = meta.get("namespace") or self.ctx.namespace or "default"
        node = spec.get("nodeName") or None
        phase = status.get("phase")
        qos = status.get("qosClass")
        pod = Entity.pod(name, namespace, node)
        self.result.entities.append(pod)
        evidence = self.evidence(f"Pod {namespace}/{name}: phase={phase} node={node} qos={qos}")
        if phase:
            self.fact("pod.phase", pod, phase, evidence)
        component = static_pod_component(name, namespace, node, meta.get("labels"))
        if component is None and _quiet(status):
            # Most pods of a cluster: the phase is all they tell (the entity has the node).
            self.exec_probe(pod, spec)
            return
        if node:
            self.fact("pod.node", pod, node, evidence)
        if qos:
            self.fact("pod.qos_class", pod, qos, evidence)
        for condition in status.get("conditions") or ():
            self.pod_condition(pod, condition)
        if status.get("reason") or status.get("message"):
            text = f"pod {status.get('reason') or ''}: {status.get('message') or ''}".strip()
            self.result.records.append(Record(text, None, entity=pod))

        specs = {c.get("name"): c for c in spec.get("containers") or () if isinstance(c, dict)}
        statuses = [s for s in status.get("containerStatuses") or () if isinstance(s, dict)]
        running = restarts = 0
        oom = False
        for container_status in statuses:
            state, restart_count, oom_killed = self.container(
                pod, container_status, specs.get(container_status.get("name")) or {}
            )
            running += state == "running"
            # A control-plane pod's health is its main container's (sidecars aside).
            if len(statuses) == 1 or container_status.get("name") == component:
                restarts += restart_count
                oom |= oom_killed
        if not statuses:
            for container_spec in specs.values():
                self.container_spec(pod, container_spec)
        self.fact("pod.containers_total", pod, len(specs) or len(statuses), evidence)
        if statuses:
            self.fact("pod.containers_running", pod, running, evidence)
        self.exec_probe(pod, spec)
        if component:
            self.component(component, node, restarts, oom, evidence)

    def exec_probe(self, pod: Entity, spec: dict[str, Any]) -> None:
        for container in spec.get("containers") or ():
            if isinstance(container, dict) and _has_exec_probe(container):
                text = (
                    f"Pod {pod.namespace}/{pod.name}: container {container.get('name')} "
                    "has an exec probe"
                )
                self.fact("pod.has_exec_probe", pod, True, self.evidence(text))
                return

    def pod_condition(self, pod: Entity, condition: Any) -> None:
        if not isinstance(condition, dict):
            return
        kind, status = condition.get("type"), condition.get("status")
        if kind == "Ready" and status in ("True", "False"):
            text = f"Pod {pod.namespace}/{pod.name}: condition Ready={status}"
            self.fact("pod.ready", pod, status == "True", self.evidence(text))
        if status != "True" and (condition.get("reason") or condition.get("message")):
            moment = parse_time(condition.get("lastTransitionTime"))
            text = (
                f"{kind} {status} {condition.get('reason') or ''}: {condition.get('message') or ''}"
            )
            stamp = Stamp(moment) if moment else None
            self.result.records.append(Record(text.strip(), None, stamp, pod))
            add_anchor(self.result, moment)

    def container(
        self, pod: Entity, status: dict[str, Any], spec: dict[str, Any]
    ) -> tuple[str | None, int, bool]:
        name = str(status.get("name") or "")
        entity = Entity.container(name, pod=pod.name, namespace=pod.namespace, node=pod.node)
        self.result.entities.append(entity)
        state_name, state = _state(status.get("state"))
        reason = state.get("reason")
        restarts = status.get("restartCount")
        restart_count = restarts if isinstance(restarts, int) else 0
        last_name, last = _state(status.get("lastState"))
        last_reason = last.get("reason") if last_name == "terminated" else None
        exit_code = last.get("exitCode") if last_name == "terminated" else None
        summary = (
            f"container {pod.namespace}/{pod.name}/{name}: state={state_name}"
            + (f" reason={reason}" if reason else "")
            + f" restartCount={restart_count}"
            + (f" lastState=terminated reason={last_reason} exitCode={exit_code}" if last else "")
        )
        evidence = self.evidence(summary)
        if state_name:
            self.fact("container.state", entity, state_name, evidence)
        if state_name == "waiting" and reason:
            self.fact("container.waiting_reason", entity, reason, evidence)
        self.fact("container.restart_count", entity, restart_count, evidence)
        if last_reason:
            self.fact("container.last_terminated_reason", entity, last_reason, evidence)
        if isinstance(exit_code, int):
            self.fact("container.last_exit_code", entity, exit_code, evidence)
        image = spec.get("image") or status.get("image")
        if image:
            self.fact("container.image", entity, str(image), evidence)
        self.resources(pod, entity, spec)
        # Records: only states worth matching (waiting, terminated, a previous termination).
        if state_name in ("waiting", "terminated") and (reason or state.get("message")):
            text = status_text(
                name,
                "state",
                state_name,
                reason,
                exit_code=state.get("exitCode"),
                message=state.get("message"),
            )
            moment = parse_time(state.get("finishedAt"))
            self.record(text, moment, entity)
        if last_name == "terminated":
            text = status_text(name, "lastState", "terminated", last_reason, exit_code=exit_code)
            self.record(text, parse_time(last.get("finishedAt")), entity)
        oom_killed = "OOMKilled" in (last_reason, reason)
        return state_name, restart_count, oom_killed

    def container_spec(self, pod: Entity, spec: dict[str, Any]) -> None:
        name = str(spec.get("name") or "")
        entity = Entity.container(name, pod=pod.name, namespace=pod.namespace, node=pod.node)
        self.result.entities.append(entity)
        if spec.get("image"):
            text = f"container {pod.namespace}/{pod.name}/{name}: image={spec.get('image')}"
            self.fact("container.image", entity, str(spec["image"]), self.evidence(text))
        self.resources(pod, entity, spec)

    def resources(self, pod: Entity, entity: Entity, spec: dict[str, Any]) -> None:
        resources = spec.get("resources") or {}
        limit = parse_quantity((resources.get("limits") or {}).get("memory", ""))
        request = parse_quantity((resources.get("requests") or {}).get("memory", ""))
        if limit is None and request is None:
            return
        text = f"container {entity.namespace}/{entity.name}: memory limit={limit} request={request}"
        evidence = self.evidence(text)
        if limit is not None:
            self.fact("container.memory_limit_bytes", entity, limit, evidence)
        if request is not None:
            self.fact("container.memory_request_bytes", entity, request, evidence)
        if limit is not None and request is not None and limit > request:
            self.fact("pod.memory_limit_over_request", pod, True, evidence)

    def record(self, text: str, moment: datetime | None, entity: Entity) -> None:
        self.result.records.append(Record(text, None, Stamp(moment) if moment else None, entity))
        add_anchor(self.result, moment)

    def component(
        self, component: str, node: str | None, restarts: int, oom: bool, evidence: Evidence
    ) -> None:
        entity = Entity.component(component, node)
        self.result.entities.append(entity)
        self.fact("component.restarts", entity, restarts, evidence)
        self.fact("component.oom_killed", entity, oom, evidence)
        self.components[node or ""].add(component)

    # Nodes ------------------------------------------------------------------------------------

    def node(self, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        status = obj.get("status") or {}
        name = str(meta.get("name") or "")
        if not name:
            self.result.malformed += 1
            return
        node = Entity.for_node(name)
        self.result.entities.append(node)
        for condition in status.get("conditions") or ():
            if not isinstance(condition, dict) or not condition.get("type"):
                continue
            kind, state = condition["type"], str(condition.get("status"))
            reason, message = condition.get("reason") or "", condition.get("message") or ""
            moment = parse_time(condition.get("lastTransitionTime"))
            text = f"{kind} {state} {reason}: {message}".strip()
            evidence = Evidence(self.ctx.source, None, moment, f"Node {name}: {text}")
            self.fact(f"node.condition.{kind}", node, state, evidence)
            if reason:
                self.fact(f"node.condition.{kind}.reason", node, reason, evidence)
            if message:
                self.fact(f"node.condition.{kind}.message", node, message, evidence)
            if kind == "Ready":
                self.fact("node.ready", node, state == "True", evidence)
            self.result.records.append(Record(text, None, Stamp(moment) if moment else None, node))
            add_anchor(self.result, moment)
        info = status.get("nodeInfo") or {}
        for key, fact in (
            ("kernelVersion", "kernel.release"),
            ("osImage", "os.pretty_name"),
            ("kubeletVersion", "node.kubelet_version"),
            ("containerRuntimeVersion", "node.container_runtime"),
        ):
            if info.get(key):
                text = f"Node {name}: nodeInfo.{key}={info[key]}"
                self.fact(fact, node, str(info[key]), self.evidence(text))
        capacity = status.get("capacity") or {}
        for key, fact in (("pods", "node.capacity.pods"), ("pids", "node.capacity.pids")):
            value = parse_quantity(capacity.get(key, ""))
            if value is not None:
                text = f"Node {name}: capacity.{key}={capacity[key]}"
                self.fact(fact, node, value, self.evidence(text))

    # Events -----------------------------------------------------------------------------------

    def event(self, obj: dict[str, Any]) -> None:
        get = obj.get
        target = get("regarding") or get("involvedObject") or {}
        reason = get("reason") or ""
        message = get("note") or get("message") or ""
        series = get("series") or {}
        stamp = self.stamp(series.get("lastObservedTime")) if series else None
        if stamp is None:
            for key in ("lastTimestamp", "deprecatedLastTimestamp", "eventTime", "firstTimestamp"):
                stamp = self.stamp(get(key))
                if stamp is not None:
                    break
        host = (get("source") or {}).get("host") or get("reportingInstance")
        about = (
            str(target.get("kind") or ""),
            str(target.get("name") or ""),
            target.get("namespace") or (get("metadata") or {}).get("namespace"),
            host if isinstance(host, str) else None,
        )
        if about in self.event_entities:
            entity = self.event_entities[about]
        else:
            entity = self.event_entities[about] = event_entity(*about)
            if entity is not None:
                self.result.entities.append(entity)
        text = f"{reason}: {' '.join(str(message).split())}"
        self.result.records.append(Record(text, None, stamp, entity))
        if stamp is not None:
            add_anchor(self.result, stamp.value)
        if reason == "Rebooted" and entity is not None and entity.kind == "node":
            count = series.get("count") or get("count") or get("deprecatedCount") or 1
            self.reboots[entity.name] += count if isinstance(count, int) else 1

    def stamp(self, text: object) -> Stamp | None:
        """The stamp of an API time; events of one burst share their stamps."""
        if not isinstance(text, str):
            return None
        if text not in self.stamps:
            moment = parse_time(text)
            self.stamps[text] = Stamp(moment) if moment else None
        return self.stamps[text]

    # Totals -----------------------------------------------------------------------------------

    def finish(self) -> ParseResult:
        cluster = Entity.cluster()
        # Stacked or not is known only when the evidence shows where etcd runs.
        if any("etcd" in found for found in self.components.values()):
            stacked = sorted(
                node
                for node, found in self.components.items()
                if node and {"etcd", "kube-apiserver"} <= found
            )
            text = (
                f"etcd and kube-apiserver pods on the same node: {', '.join(stacked)}"
                if stacked
                else "no node runs both etcd and kube-apiserver pods"
            )
            self.fact("cluster.etcd_stacked", cluster, bool(stacked), self.evidence(text))
        total_reboots = 0
        for name, count in sorted(self.reboots.items()):
            text = f"{count} Rebooted events for node {name}"
            self.fact("node.reboots", Entity.for_node(name), count, self.evidence(text))
            total_reboots += count
        if self.reboots:
            text = f"{total_reboots} Rebooted events"
            self.fact("cluster.reboots", cluster, total_reboots, self.evidence(text))
        return self.result


def event_entity(
    kind: str, name: str, namespace: str | None, host: str | None = None
) -> Entity | None:
    """The entity an event is about, from its involved object (``Pod``/``pod``, name, ...).

    >>> event_entity("Pod", "web-1", "prod", "n1")
    Entity(kind='pod', name='web-1', namespace='prod', node='n1', pid=None)
    """
    kind = kind.lower()
    if not name:
        return None
    if kind == "pod":
        return Entity.pod(name, namespace, node=host)
    if kind == "node":
        return Entity.for_node(name)
    return None


def _state(value: Any) -> tuple[str | None, dict[str, Any]]:
    """The one key of a ContainerState (running/waiting/terminated) and its details."""
    if isinstance(value, dict):
        for name in ("terminated", "waiting", "running"):
            detail = value.get(name)
            if isinstance(detail, dict):
                return name, detail
    return None, {}


def _quiet(status: dict[str, Any]) -> bool:
    """A pod with nothing to say: Running, every condition True, every container running and
    ready, never restarted, no previous termination.

    >>> running = {"state": {"running": {}}, "ready": True, "restartCount": 0}
    >>> _quiet({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
    ...         "containerStatuses": [running]})
    True
    >>> _quiet({"phase": "Running", "containerStatuses": [{"state": {"running": {}}, "ready": True,
    ...         "restartCount": 1, "lastState": {"terminated": {"reason": "OOMKilled"}}}]})
    False
    """
    if status.get("phase") != "Running" or status.get("reason") or status.get("message"):
        return False
    for condition in status.get("conditions") or ():
        if not isinstance(condition, dict) or condition.get("status") != "True":
            return False
    statuses = status.get("containerStatuses")
    if not statuses or not isinstance(statuses, list):
        return False
    for container in statuses:
        if not isinstance(container, dict) or container.get("ready") is not True:
            return False
        if container.get("restartCount") or container.get("lastState"):
            return False
        state = container.get("state")
        if not isinstance(state, dict) or len(state) != 1 or "running" not in state:
            return False
    return True


def _has_exec_probe(spec: dict[str, Any]) -> bool:
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = spec.get(key)
        if isinstance(probe, dict) and "exec" in probe:
            return True
    return False


def _looks_json(lines: Sequence[str]) -> bool:
    return bool(lines) and lines[0].lstrip()[:1] in "{["


class ObjectsFormat:
    name = "k8s-objects"

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        joined = "\n".join(lines)
        if "KubeletConfiguration" in joined or '"kubeletconfig"' in joined:
            return 0.0
        if '"resultType"' in joined:
            return 0.0
        if _looks_json(lines):
            if re.search(r'"kind"\s*:\s*"[A-Z]\w*"', joined) or re.search(
                r'"apiVersion"\s*:\s*"', joined
            ):
                return 0.95
            if re.search(r'"(?:metadata|items)"\s*:', joined):
                return 0.6
            return 0.0
        has_kind = _YAML_KIND.search(joined) is not None
        has_api = re.search(r"^(?:-\s+)?apiVersion:\s*\S", joined, re.M) is not None
        if has_kind and has_api:
            return 0.9
        if has_kind and re.search(r"^(?:metadata|items|spec|status):", joined, re.M):
            return 0.7
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        reader = _Reader(ctx)
        with no_cyclic_gc():
            if text.lstrip()[:1] in "{[":
                documents = _json_documents(text, reader.result)
            else:
                documents = _yaml_documents(text, reader.result)
            for document in documents:
                for kind, obj in _objects(document):
                    reader.read(kind, obj)
            return reader.finish()


FORMATS = [ObjectsFormat()]
