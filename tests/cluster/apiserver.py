"""A small stand-in for kube-apiserver: recorded objects served over HTTP on 127.0.0.1.

It answers the GETs kubewhy makes the way the API server does: lists as ``*List`` documents with
``metadata.continue`` and ``remainingItemCount`` when ``limit`` is given, items without
``kind``/``apiVersion``, ``fieldSelector`` on ``spec.nodeName`` (pods) and
``involvedObject.kind/name`` (events), ``events.k8s.io/v1`` events converted from core/v1 ones
(``regarding``, ``note``, ``deprecatedCount``...), ``Status`` documents for errors, container logs
as text with ``tailLines``, and the node proxy. Path segments are decoded one by one, so a
hostile scenario can serve names with ``/``, ``..``, NUL or any Unicode character. Faults are
injected per path prefix: 403,
429 with ``Retry-After``, 503, and slow answers. Every request is recorded, with the number of
objects it returned, so tests can assert what kubewhy read.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "kubewhy-test-token-3f9a1c"


@dataclass
class Scenario:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    pods: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=lambda: ["default", "kube-system"])
    # "ns/pod/container" (+ "/previous") -> log text
    logs: dict[str, str] = field(default_factory=dict)
    # "node/path" (path below /proxy/) -> answer body
    proxy: dict[str, str] = field(default_factory=dict)
    version: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def load(path: Path) -> Scenario:
        data = json.loads(path.read_text())
        return Scenario(
            nodes=data.get("nodes", []),
            pods=data.get("pods", []),
            events=data.get("events", []),
            namespaces=data.get("namespaces", ["default", "kube-system"]),
            logs=data.get("logs", {}),
            proxy=data.get("proxy", {}),
            version=data.get("version", {}),
        )


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    status: int
    objects: int
    # Impersonate-User, as kubectl --as sends it (None: not impersonating).
    impersonate: str | None = None


@dataclass
class Faults:
    forbidden: list[str] = field(default_factory=list)  # path prefixes answered 403
    throttled: dict[str, int] = field(default_factory=dict)  # prefix -> 429s left
    unavailable: dict[str, int] = field(default_factory=dict)  # prefix -> 503s left
    slow: dict[str, float] = field(default_factory=dict)  # prefix -> seconds before answering
    retry_after: int = 1


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = obj.get("metadata") or {}
    return meta


def to_events_v1(event: dict[str, Any]) -> dict[str, Any]:
    """A core/v1 Event as events.k8s.io/v1 serves the same object."""
    source = event.get("source") or {}
    out: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": copy.deepcopy(_meta(event)),
        "eventTime": event.get("eventTime"),
        "reportingController": event.get("reportingComponent") or source.get("component", ""),
        "reportingInstance": event.get("reportingInstance") or source.get("host", ""),
        "action": event.get("action", ""),
        "reason": event.get("reason"),
        "regarding": event.get("involvedObject"),
        "note": event.get("message"),
        "type": event.get("type"),
        "deprecatedSource": source,
        "deprecatedFirstTimestamp": event.get("firstTimestamp"),
        "deprecatedLastTimestamp": event.get("lastTimestamp"),
        "deprecatedCount": event.get("count"),
    }
    return out


class RecordedApiServer:
    """Serves a :class:`Scenario`; use as a context manager, ``kubeconfig(tmp)`` to connect."""

    def __init__(self, scenario: Scenario, faults: Faults | None = None) -> None:
        self.scenario = scenario
        self.faults = faults or Faults()
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"api": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> RecordedApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def kubeconfig(self, directory: Path, context: str = "recorded") -> Path:
        path = directory / "kubeconfig"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "recorded", "cluster": {"server": self.url}}],
            "users": [{"name": "kubewhy", "user": {"token": TOKEN}}],
            "contexts": [
                {"name": context, "context": {"cluster": "recorded", "user": "kubewhy"}},
                {"name": "other", "context": {"cluster": "recorded", "user": "kubewhy"}},
            ],
            "current-context": "other",
        }
        path.write_text(json.dumps(config))
        return path

    # accounting ---------------------------------------------------------------------------

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)

    def objects_read(self) -> int:
        return sum(s.objects for s in self.seen)

    def requests(self, prefix: str = "") -> list[Seen]:
        return [s for s in self.seen if s.path.startswith(prefix)]

    # fault lookup -------------------------------------------------------------------------

    def take_fault(self, path: str) -> tuple[int, float] | None:
        """(status, delay) for this request, consuming counted faults."""
        faults = self.faults
        delay = next((d for p, d in faults.slow.items() if path.startswith(p)), 0.0)
        with self.lock:
            for prefix in faults.forbidden:
                if path.startswith(prefix):
                    return 403, delay
            for table, code in ((faults.throttled, 429), (faults.unavailable, 503)):
                for prefix, left in table.items():
                    if path.startswith(prefix) and left > 0:
                        table[prefix] = left - 1
                        return code, delay
        return (200, delay) if delay else None


class _Handler(BaseHTTPRequestHandler):
    api: RecordedApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        path = split.path
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._json(401, _status(401, "Unauthorized", "Unauthorized"), path, query)
            return
        fault = self.api.take_fault(path)
        if fault is not None:
            code, delay = fault
            if delay:
                time.sleep(delay)
            if code == 403:
                message = (
                    f'forbidden: User "system:serviceaccount:kubewhy:kubewhy" cannot get {path}'
                )
                self._json(403, _status(403, "Forbidden", message), path, query)
                return
            if code in (429, 503):
                reason = "TooManyRequests" if code == 429 else "ServiceUnavailable"
                headers = {"Retry-After": str(self.api.faults.retry_after)} if code == 429 else {}
                self._json(code, _status(code, reason, "try again later"), path, query, headers)
                return
        with contextlib.suppress(BrokenPipeError):
            self._route(path, query)

    # routing ------------------------------------------------------------------------------

    def _route(self, path: str, query: dict[str, str]) -> None:
        # Each segment decoded on its own, as the API server does: a %2F is part of a name.
        parts = [unquote(part) for part in path.strip("/").split("/")]
        scenario = self.api.scenario
        if parts == ["version"]:
            self._json(200, dict(scenario.version), path, query)
        elif "secrets" in parts:
            self._json(403, _status(403, "Forbidden", "secrets are not for kubewhy"), path, query)
        elif parts[:3] == ["api", "v1", "nodes"] and len(parts) == 3:
            self._list("NodeList", "v1", scenario.nodes, path, query)
        elif parts[:3] == ["api", "v1", "nodes"] and len(parts) == 4:
            self._one(_find(scenario.nodes, parts[3], None), "Node", path, query)
        elif parts[:3] == ["api", "v1", "nodes"] and len(parts) >= 6 and parts[4] == "proxy":
            key = f"{parts[3]}/{'/'.join(parts[5:])}"
            if key in scenario.proxy:
                self._text(200, scenario.proxy[key], path, query)
            else:
                self._json(404, _status(404, "NotFound", "not found"), path, query)
        elif parts == ["api", "v1", "pods"]:
            self._list("PodList", "v1", scenario.pods, path, query)
        elif parts == ["api", "v1", "events"]:
            self._list("EventList", "v1", scenario.events, path, query)
        elif parts == ["apis", "events.k8s.io", "v1", "events"]:
            events = [to_events_v1(e) for e in scenario.events]
            self._list("EventList", "events.k8s.io/v1", events, path, query)
        elif parts[:3] == ["api", "v1", "namespaces"] and len(parts) == 4:
            if parts[3] in scenario.namespaces:
                namespace = {
                    "kind": "Namespace",
                    "apiVersion": "v1",
                    "metadata": {"name": parts[3]},
                }
                self._json(200, namespace, path, query, objects=1)
            else:
                self._one(None, "Namespace", path, query)
        elif parts[:3] == ["api", "v1", "namespaces"] and len(parts) >= 5:
            self._namespaced(parts[3], parts[4:], path, query)
        else:
            self._json(404, _status(404, "NotFound", "the server could not find it"), path, query)

    def _namespaced(self, ns: str, rest: list[str], path: str, query: dict[str, str]) -> None:
        scenario = self.api.scenario

        def in_ns(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [i for i in items if _meta(i).get("namespace") == ns]

        if rest == ["pods"]:
            self._list("PodList", "v1", in_ns(scenario.pods), path, query)
        elif rest == ["events"]:
            self._list("EventList", "v1", in_ns(scenario.events), path, query)
        elif rest[0] == "pods" and len(rest) == 2:
            self._one(_find(scenario.pods, rest[1], ns), "Pod", path, query)
        elif rest[0] == "pods" and len(rest) == 3 and rest[2] == "log":
            pod = _find(scenario.pods, rest[1], ns)
            if pod is None:
                self._one(None, "Pod", path, query)
                return
            container = query.get("container") or pod["spec"]["containers"][0]["name"]
            key = f"{ns}/{rest[1]}/{container}" + (
                "/previous" if query.get("previous") == "true" else ""
            )
            if key not in scenario.logs:
                message = (
                    f'previous terminated container "{container}" in pod "{rest[1]}" not found'
                )
                self._json(400, _status(400, "BadRequest", message), path, query)
                return
            lines = scenario.logs[key].splitlines(keepends=True)
            tail = int(query.get("tailLines", "0") or 0)
            text = "".join(lines[-tail:] if tail else lines)
            limit = int(query.get("limitBytes", "0") or 0)
            self._text(200, text[:limit] if limit else text, path, query)
        else:
            self._json(404, _status(404, "NotFound", "the server could not find it"), path, query)

    # answers ------------------------------------------------------------------------------

    def _one(self, obj: dict[str, Any] | None, kind: str, path: str, query: dict[str, str]) -> None:
        if obj is None:
            message = f'{kind.lower()}s "{path.rsplit("/", 1)[-1]}" not found'
            self._json(404, _status(404, "NotFound", message), path, query)
            return
        self._json(200, obj, path, query, objects=1)

    def _list(
        self, kind: str, version: str, items: list[dict[str, Any]], path: str, query: dict[str, str]
    ) -> None:
        # Lists come in storage key order: namespace, then name.
        selected = sorted(
            (i for i in items if _selected(i, query.get("fieldSelector", ""))),
            key=lambda i: (_meta(i).get("namespace") or "", _meta(i).get("name") or ""),
        )
        start = 0
        if query.get("continue"):
            token = json.loads(base64.urlsafe_b64decode(query["continue"]))
            start = int(token["start"])
        limit = int(query.get("limit", "0") or 0)
        page = selected[start : start + limit] if limit else selected[start:]
        body: dict[str, Any] = {
            "kind": kind,
            "apiVersion": version,
            "metadata": {"resourceVersion": "4242"},
            "items": [_without_type(i) for i in page],
        }
        if limit and start + limit < len(selected):
            token_doc = {"v": "meta.k8s.io/v1", "rv": 4242, "start": str(start + limit)}
            body["metadata"]["continue"] = base64.urlsafe_b64encode(
                json.dumps(token_doc).encode()
            ).decode()
            body["metadata"]["remainingItemCount"] = len(selected) - start - limit
        self._json(200, body, path, query, objects=len(page))

    def _json(
        self,
        code: int,
        body: dict[str, Any],
        path: str,
        query: dict[str, str],
        headers: dict[str, str] | None = None,
        objects: int = 0,
    ) -> None:
        self._send(code, json.dumps(body).encode(), "application/json", headers)
        self.api.record(Seen(path, query, code, objects, self.headers.get("Impersonate-User")))

    def _text(self, code: int, text: str, path: str, query: dict[str, str]) -> None:
        self._send(code, text.encode(), "text/plain; charset=utf-8", None)
        self.api.record(Seen(path, query, code, 0, self.headers.get("Impersonate-User")))

    def _send(
        self, code: int, data: bytes, content_type: str, headers: dict[str, str] | None
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def _without_type(obj: dict[str, Any]) -> dict[str, Any]:
    """List items carry no kind/apiVersion in API answers."""
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def _find(items: list[dict[str, Any]], name: str, ns: str | None) -> dict[str, Any] | None:
    for item in items:
        meta = _meta(item)
        if meta.get("name") == name and (ns is None or meta.get("namespace") == ns):
            return item
    return None


def _field(obj: dict[str, Any], dotted: str) -> str:
    value: Any = obj
    if dotted.startswith("involvedObject.") and "involvedObject" not in obj:
        dotted = "regarding." + dotted.split(".", 1)[1]
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def _selected(obj: dict[str, Any], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        key, _, wanted = term.partition("=")
        if _field(obj, key) != wanted:
            return False
    return True
