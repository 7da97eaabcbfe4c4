"""etcdctl's answers about the cluster: ``endpoint status``, ``endpoint health``, ``member list``
in each of etcdctl's writers (simple, ``-w table``, ``-w json``), and v2's ``cluster-health`` and
``member list``.

The shapes follow etcdctl's printers (``etcdctl/ctlv3/command/printer*.go``, ``ep_command.go``):

- simple status rows ``ENDPOINT, ID, VERSION, DB SIZE, IS LEADER, [IS LEARNER,] RAFT TERM,
  RAFT INDEX, [RAFT APPLIED INDEX, ERRORS]`` (3.3 lacks the bracketed ones; later releases add
  columns, so tables are read by their header);
- ``X is healthy: successfully committed proposal: took = ...`` and ``X is unhealthy: failed to
  commit proposal: ...`` (``failed to connect`` in 3.3), ``Failed to get the status of endpoint X
  (...)`` on stderr, ``Error: unhealthy cluster``;
- member rows ``ID, started|unstarted, NAME, PEER URLS, CLIENT URLS[, IS LEARNER]``.

Facts are about the cluster (membership, health, leader, raft terms and indexes) and about the
etcd component (the database size and, when printed, its quota). Lines that are messages rather
than rows (health verdicts, errors, the client's warnings) stay records, so the knowledge base's
patterns for them read them as before.

>>> r = ETCDCTL.parse("127.0.0.1:2379 is unhealthy: failed to commit proposal: context deadline "
...                   "exceeded\\nError: unhealthy cluster\\n", Context("health.txt"))
>>> sorted((f.name, f.value) for f in r.facts)
[('etcd.endpoints', 1), ('etcd.endpoints_unhealthy', 1)]
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult, Record

_HEALTH = lazy_compile(
    r"^(?P<ep>\S+) is (?P<verdict>healthy|unhealthy): (?:successfully committed proposal|failed to)"
)
_V2_MEMBER_HEALTH = lazy_compile(
    r"^member (?P<id>[0-9a-f]+) is (?P<verdict>healthy|unhealthy|unreachable): "
)
_V2_CLUSTER = lazy_compile(r"^cluster is (?P<verdict>healthy|degraded|unavailable)$")
_STATUS_FAILED = lazy_compile(r"^Failed to get the status of endpoint (?P<ep>\S+) \(")
_STATUS_ROW = lazy_compile(r"^(?P<ep>\S+), (?P<id>[0-9a-f]{1,16}), (?P<version>\d+\.\d+\.\d+\S*), ")
_MEMBER_ROW = lazy_compile(
    r"^(?P<id>[0-9a-f]{1,16}), (?P<status>started|unstarted), (?P<name>[^,]*), \S*, \S*"
    r"(?:, (?:true|false))?$"
)
_V2_MEMBER = lazy_compile(r"^(?P<id>[0-9a-f]{1,16})(?:\[unstarted\])?: name=\S* peerURLs=")
_V2_LEADER = lazy_compile(r"\bisLeader=(true|false)\b")
# etcd's auth errors (server/etcdserver/api/v3rpc/rpctypes): the member is up and refused the
# client's (missing or wrong) credentials.
_AUTH_REFUSED = lazy_compile(
    r"etcdserver: (?:user name is empty|user name not found|authentication failed, invalid user "
    r"ID or password|invalid auth token|permission denied)"
)
_TABLE_ROW = lazy_compile(r"^\|.*\|$")
_TABLE_BORDER = lazy_compile(r"^\+[-+]+\+$")
_SIZE = lazy_compile(r"^(?P<n>[\d.]+)\s*(?P<unit>[kKMGTP]?i?B)$")
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4, "p": 1000**5}


def _bytes(text: str) -> int | None:
    """A size as etcdctl prints it (go-humanize: ``20 kB``, ``2.1 GB``; ``MiB`` in some tools)."""
    found = _SIZE.match(text.strip().split("/")[0].strip())
    if found is None:
        return None
    unit = found.group("unit")
    base = 1024 if "i" in unit else 1000
    power = "kmgtp".find(unit[0].lower()) + 1 if unit[0].lower() in "kmgtp" else 0
    return int(float(found.group("n")) * base**power)


@dataclass
class _Status:
    endpoint: str
    line: int
    text: str
    leader: bool | None = None
    term: int | None = None
    index: int | None = None
    db_size: int | None = None
    quota: int | None = None
    errors: str = ""


@dataclass
class _Seen:
    statuses: list[_Status] = field(default_factory=list)
    # endpoint -> (healthy, line, text)
    health: dict[str, tuple[bool, int, str]] = field(default_factory=dict)
    members: list[tuple[str, bool, int, str]] = field(default_factory=list)
    leaders: list[tuple[bool, int, str]] = field(default_factory=list)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _is_header(cells: list[str]) -> bool:
    named = [c for c in cells if c]
    return bool(named) and all(re.fullmatch(r"[A-Z][A-Z /-]*", c) for c in named)


_ETCD_HEADER = lazy_compile(r"\|\s*(?:ENDPOINT|ID)\s*\|.*\b(?:HEALTH|VERSION|STATUS)\b")
_LINE_SHAPES = (
    _HEALTH,
    _V2_MEMBER_HEALTH,
    _V2_CLUSTER,
    _STATUS_FAILED,
    _STATUS_ROW,
    _MEMBER_ROW,
    _V2_MEMBER,
)


def _json_answer(line: str) -> bool:
    return line.startswith(("[{", "{")) and (
        ('"Endpoint"' in line and '"Status"' in line)
        or ('"endpoint"' in line and '"health"' in line)
        or ('"members"' in line and '"peerURLs"' in line)
    )


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


class EtcdctlFormat:
    name = "etcdctl"
    # Its score needs a line it knows: a JSON answer's key, a verdict, a row of one of its
    # shapes or a table's bar.
    hints = (
        '"Endpoint"',
        '"endpoint"',
        '"members"',
        "healthy: ",
        "unreachable: ",
        "cluster is ",
        "Failed to get the status of endpoint ",
        re.compile(r", [0-9a-f]{1,16}, \d+\.\d+\.\d+"),
        "started, ",
        " peerURLs=",
        "|",
    )

    def sniff(self, head: Sequence[str]) -> float:
        # The client's own zap warnings (stderr, often pasted with the answer) take no side.
        lines = [
            line.strip()
            for line in head
            if line.strip() and not line.strip().startswith('{"level"')
        ]
        if not lines:
            return 0.0
        known, tabled = 0, False
        for line in lines:
            if _json_answer(line) or any(p.match(line) for p in _LINE_SHAPES):
                known += 1
            elif _TABLE_ROW.match(line) and _is_header(_cells(line)):
                tabled = tabled or bool(_ETCD_HEADER.search(line))
                known += 1
            elif _TABLE_BORDER.match(line) or _TABLE_ROW.match(line):
                known += 1 if tabled else 0
        return 0.9 if known and known >= len(lines) / 2 else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        seen = _Seen()
        numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        header: list[str] | None = None
        for n, line in numbered:
            stripped = line.strip()
            if _json_answer(stripped) and self._json(stripped, n, seen):
                continue
            if _TABLE_BORDER.match(stripped):
                continue
            if _TABLE_ROW.match(stripped):
                cells = _cells(stripped)
                if _is_header(cells):
                    header = cells
                elif header is not None:
                    self._row(dict(zip(header, cells, strict=False)), n, line, seen)
                continue
            header = None
            self._line(stripped, n, line, seen, result, ctx)
        self._facts(seen, result, ctx)
        return result

    # --- one line of the simple writer, or a message ----------------------------------------

    def _line(
        self, stripped: str, n: int, line: str, seen: _Seen, result: ParseResult, ctx: Context
    ) -> None:
        if (health := _HEALTH.match(stripped)) is not None:
            seen.health[health.group("ep")] = (health.group("verdict") == "healthy", n, line)
        elif (member := _V2_MEMBER_HEALTH.match(stripped)) is not None:
            seen.health[member.group("id")] = (member.group("verdict") == "healthy", n, line)
        elif (failed := _STATUS_FAILED.match(stripped)) is not None:
            seen.health[failed.group("ep")] = (False, n, line)
        elif (row := _STATUS_ROW.match(stripped)) is not None:
            self._simple_status(row.group("ep"), stripped.split(", "), n, line, seen)
            return
        elif (m := _MEMBER_ROW.match(stripped)) is not None:
            seen.members.append((m.group("id"), m.group("status") == "started", n, line))
            return
        elif _V2_MEMBER.match(stripped):
            seen.members.append(
                (stripped.split(":", maxsplit=1)[0].split("[", maxsplit=1)[0], True, n, line)
            )
            leader = _V2_LEADER.search(stripped)
            if leader:
                seen.leaders.append((leader.group(1) == "true", n, line))
            return
        # Verdicts, errors and the client's own warnings are what patterns read.
        result.records.append(Record(stripped, n, component="etcdctl"))

    def _simple_status(
        self, endpoint: str, fields: list[str], n: int, line: str, seen: _Seen
    ) -> None:
        status = _Status(endpoint, n, line)
        rest = fields[3:]
        sizes = [b for f in rest if (b := _bytes(f)) is not None]
        status.db_size = sizes[0] if sizes else None
        flags = [f.strip() for f in rest if f.strip() in ("true", "false")]
        status.leader = flags[0] == "true" if flags else None
        numbers = [int(f) for f in rest if f.strip().isdigit()]
        if len(numbers) >= 2:
            status.term, status.index = numbers[0], numbers[1]
        seen.statuses.append(status)

    # --- tables ----------------------------------------------------------------------------------

    def _row(self, row: dict[str, str], n: int, line: str, seen: _Seen) -> None:
        if "HEALTH" in row and "ENDPOINT" in row:
            # A member that refused the client's credentials answered: it is up (the client,
            # not the member, is what failed; etcdctl still calls the cluster unhealthy).
            answered = _AUTH_REFUSED.search(row.get("ERROR", "")) is not None
            seen.health[row["ENDPOINT"]] = (row["HEALTH"] == "true" or answered, n, line)
        elif "STATUS" in row and "NAME" in row and "ID" in row:
            seen.members.append((row["ID"], row["STATUS"] == "started", n, line))
        elif "ENDPOINT" in row and ("RAFT TERM" in row or "IS LEADER" in row):
            status = _Status(row["ENDPOINT"], n, line)
            status.leader = {"true": True, "false": False}.get(row.get("IS LEADER", ""))
            status.term = _int(row.get("RAFT TERM", ""))
            status.index = _int(row.get("RAFT INDEX", ""))
            size = row.get("DB SIZE") or row.get("DB SIZE/IN USE") or ""
            status.db_size = _bytes(size)
            status.quota = _bytes(row.get("QUOTA", "") or row.get("DB SIZE QUOTA", ""))
            status.errors = row.get("ERRORS", "")
            seen.statuses.append(status)

    # --- JSON ------------------------------------------------------------------------------------

    def _json(self, text: str, n: int, seen: _Seen) -> bool:
        try:
            data: Any = json.loads(text)
        except (ValueError, RecursionError):  # nested too deep for the reader is no etcdctl JSON
            return False
        if isinstance(data, dict) and isinstance(data.get("members"), list):
            for member in data["members"]:
                if isinstance(member, dict):
                    started = bool(member.get("name"))
                    seen.members.append((f"{int(member.get('ID') or 0):x}", started, n, text))
            return True
        if not isinstance(data, list):
            return False
        for item in data:
            if not isinstance(item, dict):
                continue
            if "health" in item and "endpoint" in item:
                seen.health[str(item["endpoint"])] = (item["health"] is True, n, text)
            elif isinstance(item.get("Status"), dict):
                body = item["Status"]
                status = _Status(str(item.get("Endpoint") or ""), n, text)
                leader = body.get("leader")
                # JSON names the leader's id: a follower that knows a leader shows one.
                status.leader = bool(leader)
                status.term = (
                    body.get("raftTerm") if isinstance(body.get("raftTerm"), int) else None
                )
                status.index = (
                    body.get("raftIndex") if isinstance(body.get("raftIndex"), int) else None
                )
                status.db_size = body.get("dbSize") if isinstance(body.get("dbSize"), int) else None
                status.errors = ", ".join(str(e) for e in body.get("errors") or ())
                seen.statuses.append(status)
        return True

    # --- facts -----------------------------------------------------------------------------------

    def _facts(self, seen: _Seen, result: ParseResult, ctx: Context) -> None:
        cluster = Entity.cluster()

        def add(name: str, value: Value, n: int, text: str, entity: Entity = cluster) -> None:
            result.facts.append(
                Fact(name, entity, value, Evidence(ctx.source, n, None, text.strip()))
            )

        if seen.members:
            _, _, n, text = seen.members[0]
            add("etcd.members", len(seen.members), n, text)
            unstarted = [m for m in seen.members if not m[1]]
            if unstarted:
                add("etcd.members_unstarted", len(unstarted), unstarted[0][2], unstarted[0][3])
        # Endpoints that answered a status count as reachable; health verdicts override them.
        verdicts = dict(seen.health)
        for status in seen.statuses:
            healthy = not status.errors
            if status.endpoint not in verdicts or not healthy:
                verdicts[status.endpoint] = (healthy, status.line, status.text)
        if verdicts:
            first = min(verdicts.values(), key=lambda v: v[1])
            add("etcd.endpoints", len(verdicts), first[1], first[2])
            bad = sorted((v for v in verdicts.values() if not v[0]), key=lambda v: v[1])
            add("etcd.endpoints_unhealthy", len(bad), *(bad[0][1:] if bad else first[1:]))
        leaders = [(s.leader, s.line, s.text) for s in seen.statuses if s.leader is not None]
        # "IS LEADER false" only says that this member is a follower. Asked about one endpoint,
        # a follower's answer says nothing of the cluster's leader; asked about several, none of
        # those that answered leads (the others, if any, did not answer). A v2 member list
        # covers every member, so its flags stand.
        if not any(entry[0] for entry in leaders) and len(verdicts) < 2:
            leaders = []
        leaders += seen.leaders
        if leaders:
            chosen = next((entry for entry in leaders if entry[0]), leaders[0])
            add("etcd.leader_seen", any(entry[0] for entry in leaders), chosen[1], chosen[2])
        elif any("no leader" in s.errors for s in seen.statuses):
            failing = next(s for s in seen.statuses if "no leader" in s.errors)
            add("etcd.leader_seen", False, failing.line, failing.text)
        self._raft(seen.statuses, add)
        sized = [s for s in seen.statuses if s.db_size is not None]
        if sized:
            biggest = max(sized, key=lambda s: s.db_size or 0)
            etcd = Entity.component("etcd")
            add("etcd.db_size_bytes", biggest.db_size or 0, biggest.line, biggest.text, etcd)
            if biggest.quota:
                ratio = round((biggest.db_size or 0) / biggest.quota, 4)
                add("etcd.db_quota_ratio", ratio, biggest.line, biggest.text, etcd)

    def _raft(self, statuses: list[_Status], add: Any) -> None:
        for name, attr in (("etcd.raft_term_spread", "term"), ("etcd.raft_index_spread", "index")):
            known = [(getattr(s, attr), s) for s in statuses if getattr(s, attr) is not None]
            if len(known) < 2:
                continue
            low = min(known, key=lambda x: x[0])
            high = max(known, key=lambda x: x[0])
            # Cite the member that lags: the one the spread is about.
            add(name, high[0] - low[0], low[1].line, low[1].text)


ETCDCTL = EtcdctlFormat()
FORMATS = [ETCDCTL]
