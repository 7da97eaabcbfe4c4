"""The API server's audit log: one ``audit.k8s.io`` Event per line (the log backend writes JSON
lines; fields as in ``k8s.io/apiserver/pkg/apis/audit/v1/types.go``: ``auditID``, ``stage``,
``verb``, ``requestURI``, ``user.username``, ``userAgent``, ``objectRef``, ``responseStatus``,
``requestReceivedTimestamp``, ``stageTimestamp``).

A request is logged once per stage (RequestReceived, ResponseStarted for watches,
ResponseComplete), so requests are counted once by ``auditID``. The reader measures who lists:
per client (the product of its user agent, ``kubectl`` of ``kubectl/v1.27.3 (linux/amd64) ...``,
as the API server's traces name it) the LISTs and WATCHes per second over the log's span, and
which client sends the most LISTs and its share. LISTs of a whole collection across the cluster
without pagination (no ``limit``, or ``limit=0``) are the expensive ones; without a
``resourceVersion`` they are read from etcd, not the watch cache.

>>> line = ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1",'
...         '"stage":"ResponseComplete","requestURI":"/api/v1/pods","verb":"list",'
...         '"user":{"username":"system:serviceaccount:ops:agent"},'
...         '"userAgent":"agent/1.0","objectRef":{"resource":"pods","apiVersion":"v1"},'
...         '"responseStatus":{"code":200},'
...         '"requestReceivedTimestamp":"2024-03-01T10:00:00.000000Z",'
...         '"stageTimestamp":"2024-03-01T10:00:02.000000Z"}')
>>> r = AUDIT.parse(line, Context("audit.log"))
>>> sorted((f.entity.name, f.name, f.value) for f in r.facts if f.name.startswith("client."))
[('agent', 'client.list_share', 1.0), ('agent', 'client.lists_per_second', 1.0), \
('agent', 'client.watches_per_second', 0.0)]
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult, add_anchor

_AUDIT_LINE = re.compile(r'^\{.*"apiVersion":\s*"audit\.k8s\.io/v1(?:beta1|alpha1)?"')
# Below this many LISTs in the log there is nothing to rank.
MIN_LISTS = 5


def agent_of(user_agent: str) -> str:
    """The client's product, as the API server's traces and the HTTP log let it be named.

    >>> agent_of("kube-controller-manager/v1.27.3 (linux/amd64) kubernetes/25b4e43/leader")
    'kube-controller-manager'
    >>> agent_of("")
    '(no user agent)'
    """
    found = re.match(r"[^/ ]+", user_agent.strip())
    return found.group(0) if found else "(no user agent)"


def _moment(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def _whole(uri: str, namespaced: bool) -> tuple[bool, bool]:
    """(a whole collection across the cluster without pagination, read from etcd)."""
    query = parse_qs(urlsplit(uri).query, keep_blank_values=True)
    limit = (query.get("limit") or [""])[0]
    unpaginated = limit in ("", "0")
    whole = unpaginated and not namespaced
    from_etcd = not (query.get("resourceVersion") or [""])[0]
    return whole, whole and from_etcd


@dataclass
class _Client:
    lists: int = 0
    watches: int = 0
    whole_lists: int = 0
    users: Counter[str] = field(default_factory=Counter)
    first: tuple[int, str] | None = None


class AuditLog:
    name = "apiserver-audit"
    # Its score counts lines holding "auditID".
    hints = ('"auditID"',)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line.strip() for line in head if line.strip()]
        events = sum(1 for line in lines if _AUDIT_LINE.match(line) and '"auditID"' in line)
        return 0.98 if events and events >= len(lines) / 2 else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        clients: dict[str, _Client] = {}
        seen: set[str] = set()
        earliest: datetime | None = None
        latest: datetime | None = None
        requests = whole = from_etcd = 0
        for n, line in enumerate(text.splitlines(), 1):
            if not line.startswith("{"):
                continue
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):  # nested too deep for the reader: one bad line
                result.malformed += 1
                continue
            if not isinstance(event, dict) or event.get("kind") != "Event":
                continue
            audit_id = str(event.get("auditID") or f"line {n}")
            if audit_id in seen:
                continue
            seen.add(audit_id)
            requests += 1
            received = _moment(event.get("requestReceivedTimestamp") or event.get("timestamp"))
            if received is not None:
                earliest = received if earliest is None or received < earliest else earliest
                latest = received if latest is None or received > latest else latest
            verb = event.get("verb")
            if verb not in ("list", "watch"):
                continue
            client = clients.setdefault(agent_of(str(event.get("userAgent") or "")), _Client())
            user = event.get("user") or {}
            client.users[str(user.get("username") or "") if isinstance(user, dict) else ""] += 1
            if verb == "watch":
                client.watches += 1
                continue
            client.lists += 1
            client.first = client.first or (n, line)
            ref = event.get("objectRef") or {}
            namespaced = bool(ref.get("namespace")) if isinstance(ref, dict) else False
            is_whole, is_etcd = _whole(str(event.get("requestURI") or ""), namespaced)
            client.whole_lists += is_whole
            whole += is_whole
            from_etcd += is_etcd
        add_anchor(result, earliest)
        add_anchor(result, latest)
        if requests:
            self._facts(result, ctx, clients, requests, earliest, latest, whole, from_etcd)
        return result

    def _facts(
        self,
        result: ParseResult,
        ctx: Context,
        clients: dict[str, _Client],
        requests: int,
        earliest: datetime | None,
        latest: datetime | None,
        whole: int,
        from_etcd: int,
    ) -> None:
        cluster = Entity.cluster()
        # A log of a few requests within a second still has a rate: per the one second it spans.
        span = max((latest - earliest).total_seconds(), 1.0) if earliest and latest else 1.0
        lists = sum(c.lists for c in clients.values())
        listers = [(name, c) for name, c in clients.items() if c.first is not None]
        cite = min((c.first for _, c in listers if c.first), default=(1, ""))

        def add(name: str, value: Value, where: tuple[int, str], entity: Entity = cluster) -> None:
            evidence = Evidence(ctx.source, where[0], None, where[1].strip())
            result.facts.append(Fact(name, entity, value, evidence))

        add("apiserver.audit.requests", requests, cite)
        add("apiserver.audit.seconds", round(span, 3), cite)
        add("apiserver.audit.lists", lists, cite)
        add("apiserver.audit.whole_lists_per_second", round(whole / span, 4), cite)
        add("apiserver.audit.etcd_whole_lists_per_second", round(from_etcd / span, 4), cite)
        for name, client in clients.items():
            entity = Entity.component(name)
            where = client.first or cite
            add("client.lists_per_second", round(client.lists / span, 4), where, entity)
            add("client.watches_per_second", round(client.watches / span, 4), where, entity)
            if lists:
                add("client.list_share", round(client.lists / lists, 4), where, entity)
        if lists < MIN_LISTS or not listers:
            return
        name, top = max(listers, key=lambda item: (item[1].lists, item[1].whole_lists))
        where = top.first or cite
        add("apiserver.audit.top_lister", name, where)
        add("apiserver.audit.top_lister_share", round(top.lists / lists, 4), where)
        add("apiserver.audit.top_lister_lists_per_second", round(top.lists / span, 4), where)
        add("apiserver.audit.top_lister_whole_share", round(top.whole_lists / top.lists, 4), where)
        user = next((u for u, _ in top.users.most_common() if u), "")
        if user:
            add("apiserver.audit.top_lister_user", user, where)


AUDIT = AuditLog()
FORMATS = [AUDIT]
