"""The API server's audit log. No API server runs here: the events are written in the
audit.k8s.io/v1 Event's JSON layout (k8s.io/apiserver pkg/apis/audit/v1/types.go; the log
backend writes one event per line, a request once per stage)."""

from __future__ import annotations

import json

from kubewhy.parsers.audit import AUDIT, agent_of
from kubewhy.parsers.base import Context
from kubewhy.parsers.registry import detect


def event(
    n: int,
    verb: str,
    agent: str,
    uri: str,
    second: int,
    stage: str = "ResponseComplete",
    namespace: str | None = None,
    user: str = "system:serviceaccount:ops:inventory-agent",
) -> str:
    ref: dict[str, str] = {"resource": "pods", "apiVersion": "v1"}
    stamp = f"2024-03-01T10:{second // 60:02d}:{second % 60:02d}"
    if namespace:
        ref["namespace"] = namespace
    return json.dumps(
        {
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "level": "Metadata",
            "auditID": f"6a7b8c9d-0e1f-4a2b-8c3d-{n:012d}",
            "stage": stage,
            "requestURI": uri,
            "verb": verb,
            "user": {"username": user, "groups": ["system:authenticated"]},
            "sourceIPs": ["10.0.0.21"],
            "userAgent": agent,
            "objectRef": ref,
            "responseStatus": {"metadata": {}, "code": 200},
            "requestReceivedTimestamp": f"{stamp}.000000Z",
            "stageTimestamp": f"{stamp}.900000Z",
        },
        separators=(",", ":"),
    )


def flood() -> str:
    lines = []
    for i in range(60):
        # Each LIST logged at two stages: counted once.
        for stage in ("RequestReceived", "ResponseComplete"):
            lines.append(
                event(i, "list", "inventory-agent/1.4.2 (linux/amd64)", "/api/v1/pods", i, stage)
            )
    for i in range(10):
        lines.append(
            event(
                100 + i,
                "list",
                "kubectl/v1.27.3 (linux/amd64) kubernetes/25b4e43",
                "/api/v1/namespaces/shop/pods?limit=500",
                i * 6,
                namespace="shop",
                user="alice",
            )
        )
        lines.append(
            event(200 + i, "watch", "kubelet/v1.27.3", "/api/v1/pods?watch=true", i, user="node")
        )
    return "\n".join(lines) + "\n"


def test_detected_before_the_objects_reader() -> None:
    assert detect(flood().splitlines()[:60]).name == "apiserver-audit"


def test_the_top_lister_its_share_and_rates() -> None:
    result = AUDIT.parse(flood(), Context("audit.log"))
    cluster = {f.name: f.value for f in result.facts if f.entity.kind == "cluster"}
    assert cluster["apiserver.audit.requests"] == 80
    assert cluster["apiserver.audit.lists"] == 70
    assert cluster["apiserver.audit.seconds"] == 59.0
    assert cluster["apiserver.audit.top_lister"] == "inventory-agent"
    assert cluster["apiserver.audit.top_lister_share"] == round(60 / 70, 4)
    assert cluster["apiserver.audit.top_lister_lists_per_second"] == round(60 / 59, 4)
    assert cluster["apiserver.audit.top_lister_whole_share"] == 1.0
    assert cluster["apiserver.audit.top_lister_user"] == "system:serviceaccount:ops:inventory-agent"
    # Namespaced, paginated LISTs are neither whole nor read from etcd unpaginated.
    assert cluster["apiserver.audit.whole_lists_per_second"] == round(60 / 59, 4)
    per_client = {
        (f.entity.name, f.name): f.value for f in result.facts if f.entity.kind == "component"
    }
    assert per_client[("kubelet", "client.watches_per_second")] == round(10 / 59, 4)
    assert per_client[("kubectl", "client.list_share")] == round(10 / 70, 4)
    # The evidence is the client's first LIST line.
    top = next(f for f in result.facts if f.name == "apiserver.audit.top_lister")
    assert top.evidence is not None and top.evidence.line == 1


def test_resource_version_zero_is_served_from_the_cache() -> None:
    lines = [event(i, "list", "agent/1", "/api/v1/pods?resourceVersion=0", i) for i in range(6)]
    result = AUDIT.parse("\n".join(lines), Context("audit.log"))
    facts = {f.name: f.value for f in result.facts}
    assert facts["apiserver.audit.whole_lists_per_second"] > 0
    assert facts["apiserver.audit.etcd_whole_lists_per_second"] == 0


def test_agent_names() -> None:
    assert agent_of("dashboard/v2.0.0-beta8") == "dashboard"
    assert agent_of("Go-http-client/2.0") == "Go-http-client"
