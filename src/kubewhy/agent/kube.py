"""Telling the API server what the agent found: Node conditions and Events, as
node-problem-detector does.

- Conditions: ``PATCH /api/v1/nodes/NAME/status`` with a strategic merge patch
  ``{"status": {"conditions": [...]}}`` (conditions merge by ``type``, so the kubelet's own are
  untouched), every condition with a fresh ``lastHeartbeatTime`` and a ``lastTransitionTime``
  that moves only when the status changes (node-problem-detector's problem client,
  ``pkg/exporters/k8sexporter/problemclient/problem_client.go``).
- Events: core/v1 Events on the Node in ``default`` (the namespace client-go's recorder uses for
  cluster-scoped objects), named ``NODE.<hex nanoseconds>``, source ``kubewhy`` on the node.
  The same reason and message again within ``dedup_window`` is not a new Event: the first one's
  ``count`` and ``lastTimestamp`` are patched, as client-go's event correlator does. At most
  ``burst`` Events, then one per ``refill`` seconds (client-go's spam filter: 25, 1/300 s);
  the rest are dropped and counted.

Every request has a timeout; a failed request is counted and logged, never retried in a loop:
the next run reports again.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubewhy.agent.conditions import NodeCondition

EVENT_NAMESPACE = "default"
COMPONENT = "kubewhy"
STRATEGIC = "application/strategic-merge-patch+json"


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class TokenBucket:
    """``burst`` tokens, one more every ``refill`` seconds."""

    burst: int
    refill: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)
        self.updated = self.clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) / self.refill)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class _Sent:
    name: str
    count: int
    first: str
    last_seen: float


@dataclass
class ReportCounters:
    requests: int = 0
    failed: int = 0
    events_sent: int = 0
    events_merged: int = 0
    events_dropped: int = 0


class NodeReporter:
    """Conditions and Events of one node through ``client`` (a ``kubernetes`` ApiClient)."""

    def __init__(
        self,
        client: Any,
        node: str,
        *,
        timeout: float = 5.0,
        burst: int = 25,
        refill: float = 300.0,
        dedup_window: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.client = client
        self.node = node
        self.timeout = timeout
        self.bucket = TokenBucket(burst, refill, clock)
        self.dedup_window = dedup_window
        self.clock = clock
        self.now = now
        self.counters = ReportCounters()
        self.errors: list[str] = []
        self._sent: dict[tuple[str, str, str], _Sent] = {}
        # type -> (status, lastTransitionTime) as last reported, seeded from the Node itself.
        self._status: dict[str, tuple[str, str]] = {}
        self._seeded = False

    # HTTP ---------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: object | None, content_type: str) -> Any:
        """One request with the client's TLS and credentials; the decoded answer or None."""
        headers = {
            **self.client.default_headers,
            "Accept": "application/json",
            "Content-Type": content_type,
            "User-Agent": COMPONENT,
        }
        # auth_settings() refreshes expiring tokens (service account files, exec plugins).
        for setting in self.client.configuration.auth_settings().values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        url = self.client.configuration.host.rstrip("/") + path
        self.counters.requests += 1
        try:
            response = self.client.rest_client.request(
                method, url, headers=headers, body=body, _request_timeout=self.timeout
            )
            status = int(response.status)
            # Older clients preload ``data``; newer ones fill it on ``read()``.
            data = getattr(response, "data", None)
            if data is None and callable(getattr(response, "read", None)):
                data = response.read()
        except Exception as exc:  # the client raises its own and urllib3's errors
            status = int(getattr(exc, "status", 0) or 0)
            data = getattr(exc, "body", None)
            if not 200 <= status < 300:
                self._failed(method, path, f"{type(exc).__name__}: {str(exc)[:200]}")
                return None
        if not 200 <= status < 300:
            self._failed(method, path, f"HTTP {status}")
            return None
        try:
            return json.loads(data) if data else {}
        except ValueError:
            return {}

    def _failed(self, method: str, path: str, why: str) -> None:
        self.counters.failed += 1
        self.errors.append(f"{method} {path}: {why}")

    # conditions ---------------------------------------------------------------------------

    def _seed(self) -> None:
        """The conditions already on the Node: a restart keeps their transition times."""
        self._seeded = True
        node = self._request("GET", f"/api/v1/nodes/{self.node}", None, "application/json")
        for cond in ((node or {}).get("status") or {}).get("conditions") or []:
            if str(cond.get("type", "")).startswith("Kubewhy"):
                since = cond.get("lastTransitionTime") or ""
                self._status[cond["type"]] = (str(cond.get("status")), str(since))

    def set_conditions(self, conditions: list[NodeCondition]) -> bool:
        if not self._seeded:
            self._seed()
        now = _stamp(self.now())
        entries = []
        for cond in conditions:
            status, since = self._status.get(cond.type, ("", ""))
            if status != cond.status or not since:
                since = now
            entries.append(
                {
                    "type": cond.type,
                    "status": cond.status,
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": since,
                    "reason": cond.reason,
                    "message": cond.message,
                }
            )
        patch = {"status": {"conditions": entries}}
        answer = self._request("PATCH", f"/api/v1/nodes/{self.node}/status", patch, STRATEGIC)
        if answer is None:
            return False
        for entry in entries:
            self._status[entry["type"]] = (entry["status"], entry["lastTransitionTime"])
        return True

    # events -------------------------------------------------------------------------------

    def event(self, kind: str, reason: str, message: str) -> str:
        """Report one Event; 'sent', 'merged' (a duplicate: its count went up) or 'dropped'."""
        key = (kind, reason, message)
        seen = self._sent.get(key)
        moment = self.clock()
        now = _stamp(self.now())
        if seen is not None and moment - seen.last_seen < self.dedup_window:
            return self._merge(seen, now, moment)
        if not self.bucket.take():
            self.counters.events_dropped += 1
            return "dropped"
        name = f"{self.node}.{time.time_ns():x}"
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": EVENT_NAMESPACE},
            "involvedObject": {"kind": "Node", "name": self.node, "uid": self.node},
            "reason": reason,
            "message": message,
            "type": kind,
            "source": {"component": COMPONENT, "host": self.node},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "reportingComponent": COMPONENT,
            "reportingInstance": self.node,
        }
        path = f"/api/v1/namespaces/{EVENT_NAMESPACE}/events"
        if self._request("POST", path, body, "application/json") is None:
            return "failed"
        self._sent[key] = _Sent(name, 1, now, moment)
        self.counters.events_sent += 1
        return "sent"

    def _merge(self, seen: _Sent, now: str, moment: float) -> str:
        patch = {"count": seen.count + 1, "lastTimestamp": now}
        path = f"/api/v1/namespaces/{EVENT_NAMESPACE}/events/{seen.name}"
        if self._request("PATCH", path, patch, STRATEGIC) is None:
            return "failed"
        seen.count += 1
        seen.last_seen = moment
        self.counters.events_merged += 1
        return "merged"
