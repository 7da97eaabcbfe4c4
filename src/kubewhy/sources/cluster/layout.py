"""Writing what was read in the layout of ``kubectl cluster-info dump --output-directory``.

::

    nodes.json                      NodeList
    <namespace>/pods.json           PodList
    <namespace>/events.json         EventList (core/v1 and events.k8s.io/v1, one copy each)
    <namespace>/<pod>/logs.txt      container logs, ``==== START logs for container ...`` blocks
    <namespace>/<pod>/logs-previous.txt
    nodes/<node>/configz.json       extras: the kubelet's live configuration,
    nodes/<node>/metrics-cadvisor.txt   and the series of its metrics that kubewhy reads

so that ``kubewhy diagnose`` reads a collected bundle and a real dump the same way. Names from
the server are encoded into file names (:func:`kubewhy.model.names.safe_join`): a namespace
called ``..`` is a folder called ``%2E%2E``, never the parent folder. Items of a
list answer carry no ``kind``/``apiVersion``; they are added, as kubectl does when it prints.
Objects are kept as compact JSON text, not as dictionaries, to keep a large cluster small.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

from kubewhy.model.bundle import Artefact
from kubewhy.model.components import of_pod_name
from kubewhy.model.names import safe_join
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.cluster.sanitize import scrub, scrub_text

OBJECTS_FORMAT = "k8s-objects"


def _now() -> datetime:
    return datetime.now(UTC)


class DumpLayout:
    """Accumulates objects per file (deduplicated by UID), then writes them into a bundle."""

    def __init__(self, bundle: BundleWriter) -> None:
        self.bundle = bundle
        self.started = _now()
        self._lock = threading.Lock()
        self._nodes: dict[str, str] = {}
        self._pods: dict[str, dict[str, str]] = {}
        self._events: dict[str, dict[str, str]] = {}
        self._origins: dict[str, set[str]] = {}

    # objects ----------------------------------------------------------------------------------

    def add_node(self, obj: dict[str, Any], origin: str) -> None:
        key = _key(obj)
        text = _compact(scrub(_typed(obj, "Node", "v1")))
        with self._lock:
            self._nodes[key] = text
            self._origins.setdefault("nodes.json", set()).add(origin)

    def add_pod(self, obj: dict[str, Any], origin: str) -> None:
        namespace = _namespace(obj)
        text = _compact(scrub(_typed(obj, "Pod", "v1")))
        with self._lock:
            self._pods.setdefault(namespace, {})[_key(obj)] = text
            self._origins.setdefault(safe_join(namespace, "pods.json"), set()).add(origin)

    def add_event(self, obj: dict[str, Any], origin: str, api_version: str = "v1") -> bool:
        """Adds an event unless the same event (same UID) was read already, from either API."""
        namespace = _namespace(obj)
        key = _key(obj)
        with self._lock:
            known = self._events.setdefault(namespace, {})
            if key in known:
                return False
            known[key] = ""  # reserve; the scrub happens outside the lock
        text = _compact(scrub(_typed(obj, "Event", api_version)))
        with self._lock:
            known[key] = text
            self._origins.setdefault(safe_join(namespace, "events.json"), set()).add(origin)
        return True

    # plain files ------------------------------------------------------------------------------

    def add_file(
        self,
        path: str,
        text: str,
        origin: str,
        *,
        node: str | None = None,
        namespace: str | None = None,
        pod: str | None = None,
        fmt: str | None = None,
        truncated: bool = False,
        seconds: float = 0.0,
    ) -> None:
        artefact = Artefact(
            path=path,
            origin=origin,
            node=node,
            namespace=namespace,
            pod=pod,
            component=of_pod_name(pod) if pod else None,
            format=fmt,
            started=_now(),
            seconds=round(seconds, 3),
            truncated=truncated,
        )
        data = scrub_text(text).encode()
        with self._lock:
            self.bundle.add(path, data, artefact)

    # writing ----------------------------------------------------------------------------------

    def finish(self) -> BundleWriter:
        """Writes the object files into the bundle (once, at the end)."""
        with self._lock:
            if self._nodes:
                self._list("nodes.json", "NodeList", self._nodes.values())
            for namespace, pods in sorted(self._pods.items()):
                path = safe_join(namespace, "pods.json")
                self._list(path, "PodList", pods.values(), namespace)
            for namespace, events in sorted(self._events.items()):
                kept = [text for text in events.values() if text]
                self._list(safe_join(namespace, "events.json"), "EventList", kept, namespace)
            self._nodes, self._pods, self._events = {}, {}, {}
        return self.bundle

    def _list(self, path: str, kind: str, items: Any, namespace: str | None = None) -> None:
        head = f'{{"kind":"{kind}","apiVersion":"v1","metadata":{{}},"items":[\n'
        data = (head + ",\n".join(items) + "\n]}\n").encode()
        origins = sorted(self._origins.get(path, ()))
        origin = "; ".join(origins[:4]) + (
            f"; +{len(origins) - 4} more" if len(origins) > 4 else ""
        )
        artefact = Artefact(
            path=path,
            origin=origin or "kubernetes API",
            namespace=namespace,
            format=OBJECTS_FORMAT,
            started=self.started,
            seconds=round((_now() - self.started).total_seconds(), 3),
        )
        self.bundle.add(path, data, artefact)


def _typed(obj: dict[str, Any], kind: str, api_version: str) -> dict[str, Any]:
    obj.setdefault("kind", kind)
    obj.setdefault("apiVersion", api_version)
    return obj


def _namespace(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "default")


def _key(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")


def _compact(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
