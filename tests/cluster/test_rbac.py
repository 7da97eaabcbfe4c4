"""deploy/rbac.yaml grants read-only access, never to Secrets."""

from __future__ import annotations

from pathlib import Path

import yaml

RBAC = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"


def _roles() -> list[dict[str, object]]:
    documents = [d for d in yaml.safe_load_all(RBAC.read_text()) if d]
    return [d for d in documents if d["kind"] in ("ClusterRole", "Role")]


def test_only_read_verbs_and_no_secrets() -> None:
    roles = _roles()
    assert roles, "no roles in deploy/rbac.yaml"
    for role in roles:
        for rule in role["rules"]:  # type: ignore[attr-defined]
            assert set(rule["verbs"]) <= {"get", "list", "watch"}, rule
            assert "*" not in rule["resources"] and "*" not in rule.get("apiGroups", [])
            assert not any(r.startswith("secrets") for r in rule["resources"]), rule


def test_covers_what_kubewhy_reads() -> None:
    granted = {
        (group, resource)
        for role in _roles()
        for rule in role["rules"]  # type: ignore[attr-defined]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    needed = {
        ("", "nodes"),
        ("", "pods"),
        ("", "pods/log"),
        ("", "events"),
        ("", "namespaces"),
        ("events.k8s.io", "events"),
        ("", "nodes/proxy"),
    }
    assert needed <= granted
    # nodes/proxy is powerful: it lives in its own, optional role.
    proxy_roles = [r for r in _roles() if any("nodes/proxy" in x["resources"] for x in r["rules"])]  # type: ignore[attr-defined]
    assert len(proxy_roles) == 1 and len(proxy_roles[0]["rules"]) == 1  # type: ignore[arg-type]


def test_bindings_name_the_service_account() -> None:
    documents = [d for d in yaml.safe_load_all(RBAC.read_text()) if d]
    accounts = {
        (d["metadata"]["namespace"], d["metadata"]["name"])
        for d in documents
        if d["kind"] == "ServiceAccount"
    }
    bindings = [d for d in documents if d["kind"] == "ClusterRoleBinding"]
    assert {b["roleRef"]["name"] for b in bindings} == {r["metadata"]["name"] for r in _roles()}  # type: ignore[index]
    for binding in bindings:
        for subject in binding["subjects"]:
            assert (subject["namespace"], subject["name"]) in accounts
