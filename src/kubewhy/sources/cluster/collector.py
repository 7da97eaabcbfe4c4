"""Reading a live cluster for one target, and no more than that target needs.

=========  ============================================================================
target     what is read
=========  ============================================================================
node/N     the node; its pods (``fieldSelector=spec.nodeName=N``, paged); events of the node
           and of its troubled pods; logs of troubled and component pods on it; its
           kubelet's configz and metrics (node proxy)
pod/P      the pod; its node; the node's pods (field selector, for per-node counts); events
           of the pod and of the node; the pod's logs, current and previous; the kubelet's
           endpoints of its node
ns/NS      the namespace's pods and events (paged); the nodes they run on; logs of troubled
           pods; the kubelet endpoints of the most suspect nodes
cluster    nodes, pods and events (core/v1 and events.k8s.io/v1, one copy of each event), all
           paged; logs of kube-system components; the kubelet endpoints of suspect nodes
=========  ============================================================================

A node target never lists every pod of the cluster: on a cluster in trouble that LIST is what
hurts the API server most. Logs are cut at ``logs_tail`` lines and a byte cap; requests run in a
small thread pool. Anything refused or failed becomes a gap (``could not read X: permission``).
Secrets are never read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from kubewhy.errors import InputError
from kubewhy.model.components import CONTROL_PLANE, of_pod_name, static_pod_component
from kubewhy.model.names import safe_join
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.cluster.layout import DumpLayout
from kubewhy.sources.cluster.proxy import ENDPOINTS, Endpoint, read_node_endpoint
from kubewhy.sources.cluster.target import Target
from kubewhy.sources.cluster.transport import Transport, UnreadableError, api_path

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Limits:
    logs_tail: int = 500
    log_bytes: int = 2 << 20
    log_pods: int = 20
    event_pods: int = 200
    proxy_nodes: int = 3
    node_gets: int = 20  # beyond this many nodes, one paged LIST is cheaper than GETs
    objects: int = 3_000_000


@dataclass(frozen=True, slots=True)
class PodBrief:
    """What the collector keeps of a pod to decide what else to read."""

    namespace: str
    name: str
    node: str | None
    containers: tuple[str, ...]
    restarted: tuple[str, ...]  # containers with a previous instance
    trouble: int  # 0 = healthy; higher = more worth a look
    component: str | None

    @staticmethod
    def of(obj: dict[str, Any]) -> PodBrief:
        meta, spec, status = (obj.get(k) or {} for k in ("metadata", "spec", "status"))
        namespace = str(meta.get("namespace") or "default")
        name = str(meta.get("name") or "")
        node = spec.get("nodeName") or None
        containers = tuple(str(c.get("name")) for c in spec.get("containers") or () if c)
        trouble = 0 if status.get("phase") in ("Running", "Succeeded") else 2
        restarted: list[str] = []
        for item in status.get("containerStatuses") or ():
            restarts = item.get("restartCount") or 0
            if restarts:
                restarted.append(str(item.get("name")))
                trouble += 1 + min(int(restarts), 100) // 10
            if not item.get("ready") and status.get("phase") == "Running":
                trouble += 1
            if "waiting" in (item.get("state") or {}):
                trouble += 1
        component = of_pod_name(name) or static_pod_component(
            name, namespace, node, meta.get("labels")
        )
        return PodBrief(namespace, name, node, containers, tuple(restarted), trouble, component)


class ClusterCollector:
    def __init__(
        self, transport: Transport, target: Target, limits: Limits, max_concurrency: int
    ) -> None:
        self.transport = transport
        self.target = target
        self.limits = limits
        self.workers = max(1, max_concurrency)
        node = target.name if target.kind == "node" else None
        self.bundle = BundleWriter("cluster", node=node)
        self.layout = DumpLayout(self.bundle)
        self.pods: dict[tuple[str, str], PodBrief] = {}
        self.nodes_ready: dict[str, bool] = {}
        self.proxy_denied = False

    # helpers ----------------------------------------------------------------------------------

    def attempt(self, origin: str, read: Callable[[], None]) -> bool:
        """Runs ``read``; a refusal or failure becomes a gap and the collection goes on."""
        try:
            read()
        except UnreadableError as exc:
            self.bundle.gap(origin, exc.reason, exc.detail)
            return False
        return True

    def parallel(self, work: Callable[[T], None], items: Iterable[T]) -> None:
        """``work`` over ``items`` in a small pool; in turn when no thread can be started."""
        todo = list(items)
        if len(todo) <= 1 or self.workers == 1:
            for item in todo:
                work(item)
            return
        try:
            pool = ThreadPoolExecutor(self.workers, thread_name_prefix="kubewhy-api")
        except RuntimeError:
            pool = None
        if pool is None:
            for item in todo:
                work(item)
            return
        with pool:
            try:
                futures = [pool.submit(work, item) for item in todo]
            except RuntimeError:  # cannot start a thread (PID exhaustion): go on in turn
                futures = []
                for item in todo:
                    work(item)
            for future in futures:
                future.result()

    def list_into(
        self, origin: str, path: str, query: dict[str, str | int | bool], add: Callable[..., None]
    ) -> bool:
        def read() -> None:
            for page in self.transport.pages(path, query, max_items=self.limits.objects):
                for item in page:
                    add(item, f"GET {path}" + (f"?{_selector(query)}" if query else ""))

        return self.attempt(origin, read)

    def get_object(self, path: str) -> dict[str, Any]:
        answer = self.transport.get(path)
        self.transport.counters.count(objects=1)
        try:
            document = json.loads(answer.body)
        except (ValueError, RecursionError):
            raise UnreadableError("error", f"{path}: the answer is not JSON") from None
        if not isinstance(document, dict):
            raise UnreadableError("error", f"{path}: the answer is not an object")
        return document

    def get_required(self, what: str, path: str) -> dict[str, Any] | None:
        """The target object itself: absent is an error for the user, refused is a gap."""
        try:
            return self.get_object(path)
        except UnreadableError as exc:
            if exc.reason == "absent":
                raise InputError(f"{what} not found") from None
            self.bundle.gap(what, exc.reason, exc.detail)
            return None

    # objects ----------------------------------------------------------------------------------

    def add_pod(self, obj: dict[str, Any], origin: str) -> None:
        brief = PodBrief.of(obj)
        self.layout.add_pod(obj, origin)
        self.pods[(brief.namespace, brief.name)] = brief

    def add_node(self, obj: dict[str, Any], origin: str) -> None:
        name = str((obj.get("metadata") or {}).get("name") or "")
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (obj.get("status") or {}).get("conditions") or ()
        )
        self.nodes_ready[name] = ready
        self.layout.add_node(obj, origin)

    def add_event(self, obj: dict[str, Any], origin: str) -> None:
        self.layout.add_event(obj, origin)

    def add_new_event(self, obj: dict[str, Any], origin: str) -> None:
        self.layout.add_event(obj, origin, api_version="events.k8s.io/v1")

    def read_node(self, name: str) -> None:
        self.attempt(f"node {name}", lambda: self.add_node(self.get_object(_node(name)), "GET"))

    def pods_on_node(self, node: str) -> None:
        query: dict[str, str | int | bool] = {"fieldSelector": f"spec.nodeName={node}"}
        self.list_into(f"pods on node {node}", "/api/v1/pods", query, self.add_pod)

    def node_events(self, node: str) -> None:
        selector = f"involvedObject.kind=Node,involvedObject.name={node}"
        query: dict[str, str | int | bool] = {"fieldSelector": selector}
        self.list_into(f"events of node {node}", "/api/v1/events", query, self.add_event)

    def pod_events(self, pod: PodBrief) -> None:
        selector = f"involvedObject.kind=Pod,involvedObject.name={pod.name}"
        query: dict[str, str | int | bool] = {"fieldSelector": selector}
        path = api_path("api", "v1", "namespaces", pod.namespace, "events")
        self.list_into(f"events of pod {pod.namespace}/{pod.name}", path, query, self.add_event)

    # logs -------------------------------------------------------------------------------------

    def pod_logs(self, pod: PodBrief) -> None:
        for previous in (False, True):
            containers = pod.restarted if previous else pod.containers
            blocks: list[str] = []
            truncated = False
            seconds = 0.0
            for container in containers:
                text, cut, took = self.container_log(pod, container, previous)
                seconds += took
                if text is None:
                    continue
                truncated |= cut
                if len(pod.containers) > 1:
                    text = (
                        f"==== START logs for container {container} of pod "
                        f"{pod.namespace}/{pod.name} ====\n{text}"
                        f"==== END logs for container {container} of pod "
                        f"{pod.namespace}/{pod.name} ====\n"
                    )
                blocks.append(text)
            if blocks:
                name = "logs-previous.txt" if previous else "logs.txt"
                self.layout.add_file(
                    safe_join(pod.namespace, pod.name, name),
                    "".join(blocks),
                    f"GET {_pod(pod)}/log?tailLines={self.limits.logs_tail}"
                    + ("&previous=true" if previous else ""),
                    node=pod.node,
                    namespace=pod.namespace,
                    pod=pod.name,
                    truncated=truncated,
                    seconds=seconds,
                )

    def container_log(
        self, pod: PodBrief, container: str, previous: bool
    ) -> tuple[str | None, bool, float]:
        query: dict[str, str | int | bool] = {
            "container": container,
            "tailLines": self.limits.logs_tail,
            "limitBytes": self.limits.log_bytes,
        }
        if previous:
            query["previous"] = True
        try:
            answer = self.transport.get(
                f"{_pod(pod)}/log", query, accept="text/plain, */*", max_bytes=self.limits.log_bytes
            )
        except UnreadableError as exc:
            # 400 is the API's way to say "no previous container" or "not started yet".
            if exc.status not in (400, 404):
                what = "previous logs" if previous else "logs"
                self.bundle.gap(
                    f"{what} of {pod.namespace}/{pod.name}/{container}", exc.reason, exc.detail
                )
            return None, False, 0.0
        text = answer.body.decode("utf-8", "replace")
        if text and not text.endswith("\n"):
            text += "\n"
        cut = answer.truncated or text.count("\n") >= self.limits.logs_tail
        return text, cut, answer.seconds

    def logs_for(self, pods: Iterable[PodBrief]) -> None:
        chosen = sorted(pods, key=lambda p: (-p.trouble, p.component is None, p.name))
        self.parallel(self.pod_logs, chosen[: self.limits.log_pods])

    # kubelet endpoints --------------------------------------------------------------------------

    def node_endpoints(self, nodes: Iterable[str]) -> None:
        work = [(node, endpoint) for node in nodes for endpoint in ENDPOINTS]
        if not work:
            return
        # The first answer says whether nodes/proxy is granted at all; ask once before the rest.
        self._endpoint(work[0])
        self.parallel(self._endpoint, work[1:])

    def _endpoint(self, item: tuple[str, Endpoint]) -> None:
        node, endpoint = item
        origin = api_path("api", "v1", "nodes", node, "proxy") + "/" + endpoint.path
        if self.proxy_denied:
            return
        try:
            read_node_endpoint(self.transport, self.layout, node, endpoint)
        except UnreadableError as exc:
            if exc.reason == "permission":
                if self.proxy_denied:
                    return
                self.proxy_denied = True  # the same answer for every node: say it once
                origin = "nodes/proxy (kubelet configz and metrics)"
            self.bundle.gap(origin, exc.reason, exc.detail)

    def suspect_nodes(self) -> list[str]:
        score: dict[str, int] = {n: (0 if ready else 5) for n, ready in self.nodes_ready.items()}
        for pod in self.pods.values():
            if pod.node and pod.trouble:
                score[pod.node] = score.get(pod.node, 0) + pod.trouble
        ranked = sorted((s, n) for n, s in score.items() if s > 0)
        return [n for _, n in reversed(ranked)][: self.limits.proxy_nodes]

    # plans ------------------------------------------------------------------------------------

    def server_version(self) -> None:
        """``/version``: one small request that tells which kube-apiserver bugs apply."""

        def read() -> None:
            answer = self.transport.get("/version", max_bytes=64 << 10)
            self.layout.add_file(
                "version.json",
                answer.body.decode("utf-8", "replace"),
                "GET /version",
                fmt="apiserver-version",
                seconds=answer.seconds,
            )

        self.attempt("/version", read)

    def run(self) -> BundleWriter:
        self.server_version()
        kind = self.target.kind
        if kind == "node":
            self.for_node(str(self.target.name))
        elif kind == "pod":
            self.for_pod(str(self.target.name), str(self.target.namespace))
        elif kind == "namespace":
            self.for_namespace(str(self.target.name))
        else:
            self.for_cluster()
        return self.layout.finish()

    def for_node(self, node: str) -> None:
        found = self.get_required(f"node {node}", _node(node))
        if found is not None:
            self.add_node(found, f"GET {_node(node)}")
        self.pods_on_node(node)
        self.node_events(node)
        troubled = [p for p in self.pods.values() if p.trouble]
        troubled.sort(key=lambda p: -p.trouble)
        self.parallel(self.pod_events, troubled[: self.limits.event_pods])
        self.logs_for(p for p in self.pods.values() if p.trouble or p.component)
        self.node_endpoints([node])

    def for_pod(self, name: str, namespace: str) -> None:
        path = api_path("api", "v1", "namespaces", namespace, "pods", name)
        found = self.get_required(f"pod {namespace}/{name}", path)
        if found is None:
            return
        self.add_pod(found, f"GET {path}")
        brief = self.pods[(namespace, name)]
        self.pod_events(brief)
        self.pod_logs(brief)
        if brief.node:
            self.read_node(brief.node)
            self.pods_on_node(brief.node)
            self.node_events(brief.node)
            self.node_endpoints([brief.node])

    def for_namespace(self, namespace: str) -> None:
        self.get_required(f"namespace {namespace}", api_path("api", "v1", "namespaces", namespace))
        base = api_path("api", "v1", "namespaces", namespace)
        self.list_into(f"pods in {namespace}", f"{base}/pods", {}, self.add_pod)
        self.list_into(f"events in {namespace}", f"{base}/events", {}, self.add_event)
        nodes = sorted({p.node for p in self.pods.values() if p.node})
        if len(nodes) <= self.limits.node_gets:
            self.parallel(self.read_node, nodes)
        else:
            self.list_into("nodes", "/api/v1/nodes", {}, self.add_node)
        self.logs_for(p for p in self.pods.values() if p.trouble)
        self.node_endpoints(self.suspect_nodes())

    def for_cluster(self) -> None:
        self.list_into("nodes", "/api/v1/nodes", {}, self.add_node)
        self.list_into("pods", "/api/v1/pods", {}, self.add_pod)
        self.list_into("events (core/v1)", "/api/v1/events", {}, self.add_event)
        self.list_into(
            "events (events.k8s.io/v1)", "/apis/events.k8s.io/v1/events", {}, self.add_new_event
        )
        system = [p for p in self.pods.values() if p.namespace == "kube-system" and p.component]
        self.logs_for(p for p in system if p.trouble or p.component in CONTROL_PLANE)
        self.node_endpoints(self.suspect_nodes())


def _node(name: str) -> str:
    return api_path("api", "v1", "nodes", name)


def _pod(pod: PodBrief) -> str:
    return api_path("api", "v1", "namespaces", pod.namespace, "pods", pod.name)


def _selector(query: dict[str, str | int | bool]) -> str:
    return "&".join(f"{k}={v}" for k, v in query.items())
