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
stamped with their last time; a Namespace's conditions that hold become records too.
Control-plane static pods give component facts and whether etcd is stacked with kube-apiserver.
Secrets are skipped whole. Pods and nodes are read into the views
of :mod:`kubewhy.parsers.kube_views`, which name their facts (the same as a describe's).

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

from kubewhy.lazy_re import lazy_compile
from kubewhy.memory import no_cyclic_gc
from kubewhy.model.components import static_pod_component
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.model.times import Stamp
from kubewhy.parsers.base import Context, ParseResult, Record, add_anchor
from kubewhy.parsers.dnsconf import corefile_facts
from kubewhy.parsers.kube_views import (
    Cited,
    ConditionView,
    ContainerView,
    NodeView,
    PodView,
    StateView,
    add_node,
    add_pod,
)
from kubewhy.parsers.loading import yaml_documents

# --- shared helpers (also used by the describe and kubelet parsers) -----------------------------

_QUANTITY = lazy_compile(
    r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?\s*$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


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


def parse_cpu_millis(text: object) -> int | None:
    """A CPU quantity in millicores (``100m``, ``0.5``, ``2``).

    >>> [parse_cpu_millis(q) for q in ("100m", "0.5", "2", "", "1Gi")]
    [100, 500, 2000, None, None]
    """
    found = _QUANTITY.match(str(text))
    if not found or found.group(2) or found.group(3) not in (None, "m"):
        return None
    value = float(found.group(1))
    return round(value if found.group(3) == "m" else value * 1000)


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


# --- reading documents -------------------------------------------------------------------------

_JSON_START = lazy_compile(r"^[ \t]*[{\[]|^==== START logs", re.M)
_LOGS_END = lazy_compile(r"^==== END logs.*$", re.M)
_YAML_KIND = lazy_compile(r"^(?:-\s+)?kind:\s*\S", re.M)


def _json_documents(text: str, result: ParseResult) -> Iterator[Any]:
    """Every JSON document in ``text``: one, or several concatenated (``cluster-info dump`` to
    stdout also interleaves container logs, which are skipped)."""
    position = 0
    try:
        # pydantic's JSON reader: a third faster than the standard one on API lists. Short
        # values are cached too: a dump's kinds, namespaces, node names and reasons repeat,
        # and one shared string hashes once (reading a dump's events and pods: 15% less).
        yield pydantic_core.from_json(text, cache_strings="all")
        return
    except ValueError as exc:
        if "EOF while parsing" in str(exc):
            # The first document never ends (a cut file): reading it again cannot do better.
            result.malformed += 1
            position = text.find("\n") + 1 or len(text)
    decoder = json.JSONDecoder()
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
        except (ValueError, RecursionError):  # nested too deep for the reader: one bad document
            result.malformed += 1
            position = text.find("\n", begin) + 1 or len(text)
            continue
        yield document


def _yaml_documents(text: str, result: ParseResult) -> Iterator[Any]:
    import yaml  # imported when YAML is first read (see kubewhy.parsers.loading)

    try:
        yield from yaml_documents(text)  # aliases bounded: see kubewhy.parsers.loading
    except yaml.YAMLError:
        result.malformed += 1


# Lists inside lists deeper than this are no API answer (a List of Lists is two levels): their
# insides are not walked, so a hostile document cannot exhaust the stack.
MAX_LIST_DEPTH = 16


def _objects(
    document: Any, item_kind: str | None = None, depth: int = 0
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The objects of a document with their kind; items of a typed list (``PodList``) often
    carry no ``kind`` (API list answers, ``cluster-info dump`` files), so they get the list's.

    Each item of a list is released once read, while it is still in the processor's cache:
    freeing a 150,000-pod list at the end costs as much as reading it.
    """
    if depth > MAX_LIST_DEPTH:
        return
    if isinstance(document, list):
        for index, item in enumerate(document):
            kind = item.get("kind") if isinstance(item, dict) else None
            if isinstance(item, dict) and not (isinstance(kind, str) and kind.endswith("List")):
                kind = kind or item_kind
                if kind != "Secret":
                    yield kind, item
            else:
                yield from _objects(item, item_kind, depth + 1)
            document[index] = None
    elif isinstance(document, dict):
        kind = document.get("kind") or item_kind
        if isinstance(kind, str) and kind.endswith("List") and "items" in document:
            inner = kind[: -len("List")] or None
            yield from _objects(document.get("items") or [], inner, depth + 1)
        elif kind != "Secret":
            yield kind, document


# --- the parser ----------------------------------------------------------------------------------

# Event texts remembered per parse (cleared when full: a dump of unique messages stays bounded).
MAX_EVENT_TEXTS = 1 << 14


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
        self.event_texts: dict[tuple[str, str], str] = {}

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
        elif kind in ("ConfigMap", "FelixConfiguration", "Installation", "DaemonSet"):
            self.network_settings(kind, obj)
        elif kind == "Namespace":
            self.namespace(obj)

    def namespace(self, obj: dict[str, Any]) -> None:
        """A namespace's conditions that hold (a deletion stuck on finalizers, on remaining
        content or on discovery) become lines to match, as the namespace controller wrote them."""
        name = str((obj.get("metadata") or {}).get("name") or "")
        for condition in (obj.get("status") or {}).get("conditions") or ():
            if not isinstance(condition, dict) or str(condition.get("status")) != "True":
                continue
            message = str(condition.get("message") or "").strip()
            if message:
                text = f"namespace {name} {condition.get('type') or ''}: {message}"
                self.result.records.append(Record(text, None))

    # DNS and pod network settings ---------------------------------------------------------------

    def network_settings(self, kind: str, obj: dict[str, Any]) -> None:
        """The Corefile of CoreDNS's ConfigMap; the pod MTU of Calico's settings (calico-config's
        ``veth_mtu``, FelixConfiguration's tunnel MTUs, the operator's ``calicoNetwork.mtu``,
        ``FELIX_*MTU`` values in calico-node's environment). 0 means auto-detect: no value."""
        meta = obj.get("metadata") or {}
        name = str(meta.get("name") or "")
        data = obj.get("data") if kind == "ConfigMap" else None
        spec = obj.get("spec") or {}
        found: list[tuple[str, object]] = []
        if isinstance(data, dict):
            corefile = data.get("Corefile")
            if isinstance(corefile, str):
                self.result.facts.extend(corefile_facts(corefile, self.ctx.source, None))
            found += [("veth_mtu", data.get("veth_mtu"))]
        elif kind == "FelixConfiguration" and isinstance(spec, dict):
            found += [(key, spec.get(key)) for key in ("vxlanMTU", "ipipMTU", "wireguardMTU")]
        elif kind == "Installation" and isinstance(spec, dict):
            network = spec.get("calicoNetwork") or {}
            found += [
                ("calicoNetwork.mtu", network.get("mtu") if isinstance(network, dict) else None)
            ]
        elif kind == "DaemonSet":
            template = (
                ((spec.get("template") or {}).get("spec") or {}) if isinstance(spec, dict) else {}
            )
            for container in template.get("containers") or ():
                for env in (container.get("env") or ()) if isinstance(container, dict) else ():
                    if isinstance(env, dict) and re.fullmatch(
                        r"FELIX_\w*MTU|CNI_MTU", str(env.get("name"))
                    ):
                        found.append((str(env["name"]), env.get("value")))
        for key, raw in found:
            value = _integer_setting(raw)
            if value:
                evidence = self.evidence(f"{kind} {name}: {key}: {raw}")
                self.fact("cni.mtu", Entity.cluster(), value, evidence)
                return

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
        evidence = self.evidence(f"Pod {namespace}/{name}: phase={phase} node={node} qos={qos}")
        component = static_pod_component(name, namespace, node, meta.get("labels"))
        view = PodView(
            name,
            namespace,
            node=Cited(str(node), evidence) if node else None,
            phase=Cited(str(phase), evidence) if phase else None,
            # Most pods of a cluster: the phase is all they tell (the entity has the node).
            phase_only=component is None and _quiet(status),
            exec_probe=self.exec_probe(namespace, name, spec),
        )
        if view.phase_only:
            add_pod(view, self.result)
            return
        if qos:
            view.qos_class = Cited(str(qos), evidence)
        for condition in status.get("conditions") or ():
            self.pod_condition(view, condition)
        if status.get("reason") or status.get("message"):
            text = f"pod {status.get('reason') or ''}: {status.get('message') or ''}".strip()
            self.result.records.append(Record(text, None, entity=view.entity))
        specs = {c.get("name"): c for c in spec.get("containers") or () if isinstance(c, dict)}
        statuses = [s for s in status.get("containerStatuses") or () if isinstance(s, dict)]
        view.containers = [
            self.container(namespace, name, s, specs.get(s.get("name")) or {}) for s in statuses
        ] or [self.container_spec(namespace, name, c) for c in specs.values()]
        view.containers_total = Cited(len(specs) or len(statuses), evidence)
        view.states_read = bool(statuses)
        if component:
            view.component = Cited(component, evidence)
            self.components[node or ""].add(component)
        add_pod(view, self.result)

    def exec_probe(self, namespace: str, name: str, spec: dict[str, Any]) -> Evidence | None:
        for container in spec.get("containers") or ():
            if isinstance(container, dict) and _has_exec_probe(container):
                said = f"container {container.get('name')} has an exec probe"
                return self.evidence(f"Pod {namespace}/{name}: {said}")
        return None

    def pod_condition(self, view: PodView, condition: Any) -> None:
        if not isinstance(condition, dict):
            return
        kind, status = condition.get("type"), condition.get("status")
        if kind == "Ready" and status in ("True", "False"):
            text = f"Pod {view.namespace}/{view.name}: condition Ready={status}"
            view.ready.append(Cited(status == "True", self.evidence(text)))
        if status != "True" and (condition.get("reason") or condition.get("message")):
            moment = parse_time(condition.get("lastTransitionTime"))
            text = (
                f"{kind} {status} {condition.get('reason') or ''}: {condition.get('message') or ''}"
            )
            stamp = Stamp(moment) if moment else None
            self.result.records.append(Record(text.strip(), None, stamp, view.entity))
            add_anchor(self.result, moment)

    def container(
        self, namespace: str, pod: str, status: dict[str, Any], spec: dict[str, Any]
    ) -> ContainerView:
        name = str(status.get("name") or "")
        state_name, state = _state(status.get("state"))
        reason = state.get("reason")
        restarts = status.get("restartCount")
        restart_count = restarts if isinstance(restarts, int) else 0
        last_name, last = _state(status.get("lastState"))
        last_reason = last.get("reason") if last_name == "terminated" else None
        exit_code = last.get("exitCode") if last_name == "terminated" else None
        summary = (
            f"container {namespace}/{pod}/{name}: state={state_name}"
            + (f" reason={reason}" if reason else "")
            + f" restartCount={restart_count}"
            + (f" lastState=terminated reason={last_reason} exitCode={exit_code}" if last else "")
        )
        evidence = self.evidence(summary)
        image = spec.get("image") or status.get("image")
        limit, request = self.resources(namespace, pod, name, spec)
        # Only a previous termination tells anything (the API sets no other last state).
        previous = None
        if last_name == "terminated":
            finished = parse_time(last.get("finishedAt"))
            previous = StateView(
                last_name, _text(last_reason), evidence, _shown(exit_code), finished=finished
            )
        return ContainerView(
            name,
            state=StateView(
                state_name or "",
                _text(reason),
                evidence,
                _shown(state.get("exitCode")),
                message=_text(state.get("message")),
                finished=parse_time(state.get("finishedAt")),
            ),
            last_state=previous,
            restart_count=Cited(restart_count, evidence),
            image=Cited(str(image), evidence) if image else None,
            memory_limit=limit,
            memory_request=request,
            cpu_limit=self.cpu_limit(namespace, pod, name, spec),
        )

    def container_spec(self, namespace: str, pod: str, spec: dict[str, Any]) -> ContainerView:
        """A container not started yet: its image and resources."""
        name = str(spec.get("name") or "")
        image: Cited[str] | None = None
        if spec.get("image"):
            text = f"container {namespace}/{pod}/{name}: image={spec.get('image')}"
            image = Cited(str(spec["image"]), self.evidence(text))
        limit, request = self.resources(namespace, pod, name, spec)
        cpu = self.cpu_limit(namespace, pod, name, spec)
        return ContainerView(
            name, image=image, memory_limit=limit, memory_request=request, cpu_limit=cpu
        )

    def cpu_limit(
        self, namespace: str, pod: str, name: str, spec: dict[str, Any]
    ) -> Cited[int] | None:
        """A container's CPU limit in millicores."""
        limits = (spec.get("resources") or {}).get("limits") or {}
        millis = parse_cpu_millis(limits.get("cpu", ""))
        if millis is None:
            return None
        text = f"container {namespace}/{pod}/{name}: cpu limit={millis}m"
        return Cited(millis, self.evidence(text))

    def resources(
        self, namespace: str, pod: str, name: str, spec: dict[str, Any]
    ) -> tuple[Cited[int] | None, Cited[int] | None]:
        """A container's memory limit and request."""
        resources = spec.get("resources") or {}
        limit = parse_quantity((resources.get("limits") or {}).get("memory", ""))
        request = parse_quantity((resources.get("requests") or {}).get("memory", ""))
        if limit is None and request is None:
            return None, None
        text = f"container {namespace}/{pod}/{name}: memory limit={limit} request={request}"
        evidence = self.evidence(text)
        return (
            Cited(limit, evidence) if limit is not None else None,
            Cited(request, evidence) if request is not None else None,
        )

    # Nodes ------------------------------------------------------------------------------------

    def node(self, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        status = obj.get("status") or {}
        name = str(meta.get("name") or "")
        if not name:
            self.result.malformed += 1
            return
        view = NodeView(name)
        for condition in status.get("conditions") or ():
            if not isinstance(condition, dict) or not condition.get("type"):
                continue
            kind, state = str(condition["type"]), str(condition.get("status"))
            reason, message = condition.get("reason") or "", condition.get("message") or ""
            moment = parse_time(condition.get("lastTransitionTime"))
            text = f"{kind} {state} {reason}: {message}".strip()
            evidence = Evidence(self.ctx.source, None, moment, f"Node {name}: {text}")
            view.conditions.append(
                ConditionView(kind, state, _text(reason), _text(message), text, evidence)
            )
        info = status.get("nodeInfo") or {}
        capacity = status.get("capacity") or {}

        def told(key: str) -> Cited[str] | None:
            if not info.get(key):
                return None
            return Cited(str(info[key]), self.evidence(f"Node {name}: nodeInfo.{key}={info[key]}"))

        def counted(key: str) -> Cited[int] | None:
            value = parse_quantity(capacity.get(key, ""))
            if value is None:
                return None
            return Cited(value, self.evidence(f"Node {name}: capacity.{key}={capacity[key]}"))

        view.kernel_release = told("kernelVersion")
        view.os_image = told("osImage")
        view.kubelet_version = told("kubeletVersion")
        view.container_runtime = told("containerRuntimeVersion")
        view.machine_id = told("machineID")
        view.capacity_pods = counted("pods")
        view.capacity_pids = counted("pids")
        add_node(view, self.result)

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
        text = self.event_text(reason, message)
        self.result.records.append(Record(text, None, stamp, entity))
        if stamp is not None:
            add_anchor(self.result, stamp.value)
        if reason == "Rebooted" and entity is not None and entity.kind == "node":
            count = series.get("count") or get("count") or get("deprecatedCount") or 1
            self.reboots[entity.name] += count if isinstance(count, int) else 1

    def event_text(self, reason: object, message: object) -> str:
        """``reason: message`` with the message's runs of white space made one space; a
        cluster's events say the same few things over and over, so each text is made once."""
        key = (reason, message) if isinstance(reason, str) and isinstance(message, str) else None
        text = self.event_texts.get(key) if key else None
        if text is None:
            text = f"{reason}: {' '.join(str(message).split())}"
            if key:
                if len(self.event_texts) >= MAX_EVENT_TEXTS:
                    self.event_texts.clear()
                self.event_texts[key] = text
        return text

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


def _text(value: Any) -> str | None:
    """A free-text field of an object (a reason, a message); None when empty."""
    return (value if isinstance(value, str) else str(value)) if value else None


def _shown(value: Any) -> Value | None:
    """An exit code as the object shows it (a number, or whatever else it holds, as text)."""
    return value if value is None or isinstance(value, int | float | str) else str(value)


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


def _integer_setting(raw: object) -> int | None:
    text = str(raw).strip().strip("\"'") if raw is not None else ""
    return int(text) if text.isdigit() else None


class ObjectsFormat:
    name = "k8s-objects"
    # A JSON object's kind, apiVersion, metadata or items, or YAML's kind: (every YAML score).
    hints = ('"kind"', '"apiVersion"', '"metadata"', '"items"', "kind:")

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        joined = "\n".join(lines)
        if "KubeletConfiguration" in joined or '"kubeletconfig"' in joined:
            return 0.0
        if '"resultType"' in joined or '"apiVersion":"audit.k8s.io/' in joined:
            return 0.0
        if _looks_json(lines):
            if re.search(r'"kind"\s*:\s*"[A-Z]\w*"', joined) or re.search(
                r'"apiVersion"\s*:\s*"', joined
            ):
                return 0.95
            if re.search(r'"(?:metadata|items)"\s*:', joined):
                return 0.6
            return 0.0
        # The literals first: these multi-line searches are tried at every character.
        has_kind = "kind:" in joined and _YAML_KIND.search(joined) is not None
        has_api = (
            "apiVersion:" in joined
            and re.search(r"^(?:-\s+)?apiVersion:\s*\S", joined, re.M) is not None
        )
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
