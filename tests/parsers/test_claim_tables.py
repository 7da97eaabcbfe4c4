"""kubectl get pvc: claims still Pending a minute after they were made, and those without a
storage class. Lines marked "public" are as posted in the thread named."""

from __future__ import annotations

from pathlib import Path

from kubewhy.parsers.base import Context
from kubewhy.parsers.registry import detect
from kubewhy.parsers.tables import TABLES
from kubewhy.pipeline import Request, diagnose

# public: prometheus-community/helm-charts#2313 (the chart's claims, no default storage class)
PENDING = """\
NAME                       STATUS    VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   AGE
prometheus1-alertmanager   Pending                                                     97m
prometheus1-server         Pending                                                     97m
"""
# built in kubectl's layout (-A): a bound claim, and one made 20 s ago
BOUND = """\
NAMESPACE   NAME        STATUS    VOLUME     CAPACITY   ACCESS MODES   STORAGECLASS   AGE
shop        data-db-0   Bound     pvc-3f91   8Gi        RWO            standard       12d
shop        data-db-1   Pending                                        standard       20s
"""


def _facts(text: str) -> dict[str, object]:
    return {f.name: f.value for f in TABLES.parse(text, Context("get-pvc.txt")).facts}


def test_claims_pending_for_minutes_without_a_class() -> None:
    assert detect(PENDING.splitlines()).name == "table"
    assert _facts(PENDING) == {
        "cluster.claims.pending": 2,
        "cluster.claims.pending_without_class": 2,
    }


def test_bound_claims_and_a_claim_seconds_old_are_no_stuck_claim() -> None:
    assert _facts(BOUND) == {}


def test_the_listing_diagnoses_unbound_claims(tmp_path: Path) -> None:
    (tmp_path / "get-pvc.txt").write_text(PENDING)
    findings = diagnose(Request(paths=(tmp_path / "get-pvc.txt",), jobs=1)).findings
    assert [f.failure_mode for f in findings][:1] == ["pvc-not-bound"]
    (tmp_path / "get-pvc.txt").write_text(BOUND)
    assert diagnose(Request(paths=(tmp_path / "get-pvc.txt",), jobs=1)).findings == []
