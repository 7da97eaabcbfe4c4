"""Runtime event streams, written for these tests in the exact formats of the docker CLI's
``docker events`` (cli/command/system/events.go) and ``ctr events`` (containerd)."""

from __future__ import annotations

from kubewhy.parsers.base import Context
from kubewhy.parsers.registry import detect
from kubewhy.parsers.runtime_events import RUNTIME_EVENTS

ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
NAME = "name=k8s_app_web-1_prod_0a1b_0"
DOCKER = (
    f"2024-03-01T10:00:00.000000000Z container oom {ID} (image=java:17, {NAME})\n"
    f"2024-03-01T10:00:00.120000000Z container die {ID} (exitCode=137, image=java:17, {NAME})\n"
    "2024-03-01T10:00:01.000000000Z network disconnect 5e6f7a8b9c0d "
    "(container=0f1e2d3c4b5a, name=bridge, type=bridge)\n"
)
CTR = (
    '2024-03-01 10:00:00.123456789 +0000 UTC k8s.io /tasks/oom {"container_id":"0f1e2d3c4b5a"}\n'
    "2024-03-01 10:00:00.223456789 +0000 UTC k8s.io /tasks/exit "
    '{"container_id":"0f1e2d3c4b5a","id":"0f1e2d3c4b5a","pid":4242,"exit_status":137}\n'
)


def test_docker_events_are_records_about_their_containers() -> None:
    lines = DOCKER.splitlines()
    assert detect(lines).name == "runtime-events"  # not a journal with a host named "container"
    result = RUNTIME_EVENTS.parse(DOCKER, Context("events.txt", node="n1"))
    oom, die, network = result.records
    assert oom.entity is not None and oom.entity.ref() == "container/prod/web-1/app"
    assert oom.entity.node == "n1"
    assert die.stamp is not None and die.stamp.value.microsecond == 120000
    assert network.entity is None  # not a Kubernetes container's name
    assert result.malformed == 0


def test_ctr_events_and_malformed_lines_counted() -> None:
    result = RUNTIME_EVENTS.parse(CTR + "not an event\n", Context("ctr.txt"))
    assert [r.component for r in result.records] == ["containerd", "containerd"]
    assert result.records[0].stamp is not None
    assert result.malformed == 1
