"""The agent's Node conditions and Events, asserted on the requests the recorded API server
receives: condition shape and merge, transition times, event dedup, the rate limit, refusals."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubewhy.agent.conditions import (
    CLASSES,
    CONDITION_TYPES,
    NOT_NODE_CONDITIONS,
    OTHER,
    NodeCondition,
    condition_type,
    node_conditions,
)
from kubewhy.agent.kube import NodeReporter
from kubewhy.kb.load import default_knowledge_base
from kubewhy.pipeline import Request, diagnose
from kubewhy.sources.cluster.transport import api_client

from .apiserver import Faults
from .apiserver_writes import STRATEGIC, WritableApiServer
from .conftest import seed

ROOT = Path(__file__).resolve().parents[2]
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
CONDITION_KEYS = {"type", "status", "lastHeartbeatTime", "lastTransitionTime", "reason", "message"}


class Clock:
    """Monotonic seconds and wall time that a test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0
        self.wall = dt.datetime(2026, 12, 1, 8, 0, 0, tzinfo=dt.UTC)

    def tick(self, seconds: float) -> None:
        self.seconds += seconds
        self.wall += dt.timedelta(seconds=seconds)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[WritableApiServer]:
    with WritableApiServer(seed("seed000")) as server:
        yield server


def reporter(api: WritableApiServer, tmp: Path, clock: Clock, **kwargs: float) -> NodeReporter:
    client = api_client(str(api.kubeconfig(tmp)), "recorded")
    return NodeReporter(
        client, "node-xx", clock=lambda: clock.seconds, now=lambda: clock.wall, **kwargs
    )


def seed000_conditions() -> list[NodeCondition]:
    diagnosis = diagnose(Request(paths=(ROOT / "examples" / "seed000-calico-pid-exhaustion",)))
    return node_conditions(diagnosis, {fm.id: fm.scope for fm in default_knowledge_base()})


def test_condition_classes_name_real_failure_modes_once() -> None:
    kb = default_knowledge_base()
    classified = [fm for modes in CLASSES.values() for fm in modes]
    assert len(classified) == len(set(classified)), "a failure mode in two classes"
    assert not set(classified) & NOT_NODE_CONDITIONS
    assert set(classified) | NOT_NODE_CONDITIONS <= set(kb.failure_modes), "stale ids"
    for fm in kb:  # the rest: a node's take the catch-all class, others none
        kind = condition_type(fm.id, fm.scope)
        assert kind in (*CONDITION_TYPES, None), fm.id
        if fm.id not in classified and fm.id not in NOT_NODE_CONDITIONS:
            assert kind == (OTHER if fm.scope in ("node", "cgroup", "container") else None)


def test_conditions_are_one_strategic_patch_that_keeps_the_kubelets(
    api: WritableApiServer, tmp_path: Path
) -> None:
    clock = Clock()
    assert reporter(api, tmp_path, clock).set_conditions(seed000_conditions())
    [patch] = api.patches("/api/v1/nodes/")
    assert patch.path == "/api/v1/nodes/node-xx/status" and patch.status == 200
    assert patch.content_type == STRATEGIC and patch.user_agent == "kubewhy"
    assert list(patch.body) == ["status"] and list(patch.body["status"]) == ["conditions"]
    sent = {c["type"]: c for c in patch.body["status"]["conditions"]}
    assert tuple(sent) == CONDITION_TYPES
    for cond in sent.values():
        assert set(cond) == CONDITION_KEYS and cond["status"] in ("True", "False")
        assert STAMP.match(cond["lastHeartbeatTime"]) and STAMP.match(cond["lastTransitionTime"])
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", cond["reason"]), cond["reason"]
    pid = sent["KubewhyPIDPressure"]
    assert (pid["status"], pid["reason"]) == ("True", "ThreadLeakContainer")
    assert "culprit container/order-service" in pid["message"]
    assert sent["KubewhyKernelProblem"]["status"] == "False"
    # The kubelet's conditions are still there, beside the agent's.
    types = [c["type"] for c in api.node("node-xx")["status"]["conditions"]]
    assert "Ready" in types and "MemoryPressure" in types and "KubewhyPIDPressure" in types


def test_transition_time_moves_only_when_the_status_changes(
    api: WritableApiServer, tmp_path: Path
) -> None:
    clock = Clock()
    agent = reporter(api, tmp_path, clock)
    active = seed000_conditions()
    agent.set_conditions(active)
    clock.tick(60)
    agent.set_conditions(active)
    clock.tick(60)
    cleared = [
        NodeCondition(c.type, "False", "NoPIDPressure", "gone") if c.status == "True" else c
        for c in active
    ]
    agent.set_conditions(cleared)
    first, second, third = (
        {c["type"]: c for c in p.body["status"]["conditions"]}["KubewhyPIDPressure"]
        for p in api.patches("/api/v1/nodes/")
    )
    assert first["lastTransitionTime"] == second["lastTransitionTime"] == "2026-12-01T08:00:00Z"
    assert second["lastHeartbeatTime"] == "2026-12-01T08:01:00Z"
    assert third["status"] == "False" and third["lastTransitionTime"] == "2026-12-01T08:02:00Z"
    # A restarted agent learns the transition times from the Node, not from its memory.
    clock.tick(60)
    reporter(api, tmp_path, clock).set_conditions(cleared)
    fourth = {c["type"]: c for c in api.patches("/api/v1/nodes/")[-1].body["status"]["conditions"]}
    assert fourth["KubewhyPIDPressure"]["lastTransitionTime"] == "2026-12-01T08:02:00Z"
    assert fourth["KubewhyKernelProblem"]["lastTransitionTime"] == "2026-12-01T08:00:00Z"


def test_a_repeated_event_is_merged_into_the_first(api: WritableApiServer, tmp_path: Path) -> None:
    clock = Clock()
    agent = reporter(api, tmp_path, clock, dedup_window=600)
    results = [agent.event("Warning", "NodePidExhaustion", "tasks at 93% of pid_max")]
    clock.tick(30)
    results.append(agent.event("Warning", "NodePidExhaustion", "tasks at 93% of pid_max"))
    clock.tick(30)
    results.append(agent.event("Warning", "NodePidExhaustion", "tasks at 93% of pid_max"))
    clock.tick(700)  # past the window: a new Event
    results.append(agent.event("Warning", "NodePidExhaustion", "tasks at 93% of pid_max"))
    assert results == ["sent", "merged", "merged", "sent"]
    posts = api.posts("/api/v1/namespaces/default/events")
    assert [p.status for p in posts] == [201, 201]
    event = posts[0].body
    assert event["involvedObject"] == {"kind": "Node", "name": "node-xx", "uid": "node-xx"}
    assert event["source"] == {"component": "kubewhy", "host": "node-xx"}
    assert (event["type"], event["reason"], event["count"]) == ("Warning", "NodePidExhaustion", 1)
    assert event["metadata"]["name"].startswith("node-xx.")
    merges = api.patches("/api/v1/namespaces/default/events/")
    assert [m.body for m in merges] == [
        {"count": 2, "lastTimestamp": "2026-12-01T08:00:30Z"},
        {"count": 3, "lastTimestamp": "2026-12-01T08:01:00Z"},
    ]
    assert {m.path.rsplit("/", 1)[1] for m in merges} == {event["metadata"]["name"]}
    assert all(m.content_type == STRATEGIC and m.status == 200 for m in merges)
    stored = api.stored.events[("default", event["metadata"]["name"])]
    assert stored["count"] == 3 and stored["firstTimestamp"] == "2026-12-01T08:00:00Z"


def test_events_beyond_the_burst_are_dropped_until_tokens_come_back(
    api: WritableApiServer, tmp_path: Path
) -> None:
    clock = Clock()
    agent = reporter(api, tmp_path, clock, burst=3, refill=300)
    results = [agent.event("Warning", f"Reason{i}", f"problem {i}") for i in range(5)]
    assert results == ["sent", "sent", "sent", "dropped", "dropped"]
    clock.tick(299)
    assert agent.event("Warning", "Reason5", "problem 5") == "dropped"
    clock.tick(2)
    assert agent.event("Warning", "Reason6", "problem 6") == "sent"
    assert len(api.posts("/api/v1/namespaces/default/events")) == 4
    assert (agent.counters.events_sent, agent.counters.events_dropped) == (4, 3)


def test_refused_writes_are_counted_not_retried(tmp_path: Path) -> None:
    faults = Faults(forbidden=["/api/v1/nodes/node-xx/status", "/api/v1/namespaces/default"])
    with WritableApiServer(seed("seed000"), faults=faults) as api:
        agent = reporter(api, tmp_path, Clock())
        assert not agent.set_conditions(seed000_conditions())
        assert agent.event("Warning", "NodePidExhaustion", "x") == "failed"
    assert [w.status for w in api.writes] == [403, 403]
    assert agent.counters.failed == 2
    assert any("HTTP 403" in e or "Forbidden" in e for e in agent.errors), agent.errors
