"""The recorded API server, answering the writes a node agent makes, and recording them.

- ``PATCH /api/v1/nodes/NAME/status`` with ``application/strategic-merge-patch+json``:
  ``status.conditions`` merged into the stored Node by ``type`` (the patch strategy of
  NodeStatus.conditions), the Node returned (200).
- ``POST /api/v1/namespaces/NS/events``: the Event stored with ``uid``, ``resourceVersion`` and
  ``creationTimestamp`` and returned (201 Created); a name already taken is 409 AlreadyExists.
- ``PATCH /api/v1/namespaces/NS/events/NAME`` (strategic merge): top-level fields replaced,
  the Event returned (200); 404 NotFound for an unknown name.

Anything else is refused with 415/405/400 the way the API server refuses it, so that a wrong
content type or a body in the wrong shape fails the test instead of passing silently. Faults
(``forbidden`` prefixes) apply to writes as to reads. See ``data/PROVENANCE.md``.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .apiserver import TOKEN, RecordedApiServer, Scenario, _Handler, _status

STRATEGIC = "application/strategic-merge-patch+json"
PATCH_TYPES = (
    STRATEGIC,
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
)


@dataclass
class Write:
    method: str
    path: str
    content_type: str
    body: Any
    status: int
    user_agent: str = ""


@dataclass
class Stored:
    events: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    version: int = 5000


class WritableApiServer(RecordedApiServer):
    """``writes`` lists every PATCH/POST in order, with its decoded body and answer status."""

    def __init__(self, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(scenario, **kwargs)
        self.writes: list[Write] = []
        self.stored = Stored()
        self.httpd.RequestHandlerClass = type("WriteHandler", (_WriteHandler,), {"api": self})

    def patches(self, prefix: str) -> list[Write]:
        return [w for w in self.writes if w.method == "PATCH" and w.path.startswith(prefix)]

    def posts(self, prefix: str) -> list[Write]:
        return [w for w in self.writes if w.method == "POST" and w.path.startswith(prefix)]

    def node(self, name: str) -> dict[str, Any]:
        return next(n for n in self.scenario.nodes if n["metadata"]["name"] == name)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _WriteHandler(_Handler):
    api: WritableApiServer

    def do_PATCH(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._write("PATCH")

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._write("POST")

    def _write(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        code, answer = self._answer(method, path, content_type, body)
        with self.api.lock:
            self.api.writes.append(
                Write(method, path, content_type, body, code, self.headers.get("User-Agent", ""))
            )
        with contextlib.suppress(BrokenPipeError):
            self._send(code, json.dumps(answer).encode(), "application/json", None)

    def _answer(
        self, method: str, path: str, content_type: str, body: Any
    ) -> tuple[int, dict[str, Any]]:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, _status(401, "Unauthorized", "Unauthorized")
        fault = self.api.take_fault(path)
        if fault is not None and fault[0] == 403:
            verb = "patch" if method == "PATCH" else "create"
            message = (
                f'forbidden: User "system:serviceaccount:kubewhy:kubewhy" cannot {verb} {path}'
            )
            return 403, _status(403, "Forbidden", message)
        if not isinstance(body, dict):
            return 400, _status(400, "BadRequest", "the body is not a JSON object")
        if method == "PATCH" and content_type not in PATCH_TYPES:
            message = f"the body of the request was in an unknown format: {content_type}"
            return 415, _status(415, "UnsupportedMediaType", message)
        parts = path.strip("/").split("/")
        if method == "PATCH" and parts[:3] == ["api", "v1", "nodes"] and parts[4:] == ["status"]:
            return self._patch_node_status(parts[3], content_type, body)
        if parts[:3] == ["api", "v1", "namespaces"] and len(parts) >= 5 and parts[4] == "events":
            if method == "POST" and len(parts) == 5:
                return self._create_event(parts[3], body, content_type)
            if method == "PATCH" and len(parts) == 6:
                return self._patch_event(parts[3], parts[5], body)
        return 405, _status(405, "MethodNotAllowed", f"{method} is not supported on {path}")

    def _patch_node_status(
        self, name: str, content_type: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        node = next((n for n in self.api.scenario.nodes if n["metadata"]["name"] == name), None)
        if node is None:
            return 404, _status(404, "NotFound", f'nodes "{name}" not found')
        if content_type != STRATEGIC:
            # A merge patch would replace the whole list: the kubelet's conditions would be lost.
            return 400, _status(400, "BadRequest", "conditions must be patched strategically")
        with self.api.lock:
            conditions = node.setdefault("status", {}).setdefault("conditions", [])
            for new in (body.get("status") or {}).get("conditions") or []:
                old = next((c for c in conditions if c.get("type") == new.get("type")), None)
                if old is None:
                    conditions.append(copy.deepcopy(new))
                else:
                    old.update(copy.deepcopy(new))
            self.api.stored.version += 1
            node["metadata"]["resourceVersion"] = str(self.api.stored.version)
            return 200, copy.deepcopy(node)

    def _create_event(
        self, namespace: str, body: dict[str, Any], content_type: str
    ) -> tuple[int, dict[str, Any]]:
        if content_type != "application/json":
            return 415, _status(415, "UnsupportedMediaType", f"unsupported {content_type}")
        meta = body.get("metadata") or {}
        name = meta.get("name") or ""
        if meta.get("namespace", namespace) != namespace:
            message = "the namespace of the provided object does not match the namespace sent"
            return 400, _status(400, "BadRequest", message)
        if not name or not body.get("involvedObject"):
            return 422, _status(422, "Invalid", "metadata.name and involvedObject are required")
        with self.api.lock:
            if (namespace, name) in self.api.stored.events:
                return 409, _status(409, "AlreadyExists", f'events "{name}" already exists')
            self.api.stored.version += 1
            stored = copy.deepcopy(body)
            stored["metadata"] = {
                **meta,
                "namespace": namespace,
                "uid": hashlib.sha256(name.encode()).hexdigest()[:32],
                "resourceVersion": str(self.api.stored.version),
                "creationTimestamp": _now(),
            }
            self.api.stored.events[(namespace, name)] = stored
            return 201, copy.deepcopy(stored)

    def _patch_event(
        self, namespace: str, name: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        with self.api.lock:
            stored = self.api.stored.events.get((namespace, name))
            if stored is None:
                return 404, _status(404, "NotFound", f'events "{name}" not found')
            stored.update({k: v for k, v in body.items() if k != "metadata"})
            self.api.stored.version += 1
            stored["metadata"]["resourceVersion"] = str(self.api.stored.version)
            return 200, copy.deepcopy(stored)
