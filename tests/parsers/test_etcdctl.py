"""etcdctl's answers, as etcdctl 3.4 printed them against a real three-member etcd on
127.0.0.1 (data/etcdctl/, see data/PROVENANCE.md): all members up, one stopped (quorum kept),
two stopped (quorum lost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubewhy.parsers.base import Context
from kubewhy.parsers.etcdctl import ETCDCTL
from kubewhy.parsers.registry import detect

DATA = Path(__file__).parent / "data" / "etcdctl"


def _facts(sample: str) -> dict[str, object]:
    result = ETCDCTL.parse((DATA / sample).read_text(), Context(sample))
    return {f.name: f.value for f in result.facts}


@pytest.mark.parametrize("sample", sorted(p.name for p in DATA.iterdir()))
def test_every_answer_is_etcdctl(sample: str) -> None:
    assert detect((DATA / sample).read_text().splitlines()[:60]).name == "etcdctl"


@pytest.mark.parametrize(
    "sample", ["ep-status-table.txt", "ep-status-simple.txt", "ep-status-json.txt"]
)
def test_status_of_a_healthy_cluster_in_every_writer(sample: str) -> None:
    facts = _facts(sample)
    assert facts["etcd.endpoints"] == 3
    assert facts["etcd.endpoints_unhealthy"] == 0
    assert facts["etcd.leader_seen"] is True
    assert facts["etcd.raft_term_spread"] == 0
    assert facts["etcd.raft_index_spread"] == 0
    # "20 kB" in the text writers (SI units), 20480 in JSON
    assert facts["etcd.db_size_bytes"] in (20000, 20480)


@pytest.mark.parametrize(
    "sample",
    [
        "lost1-ep-status-table.txt",
        "lost1-ep-status-simple.txt",
        "lost1-ep-health.txt",
        "lost1-ep-health-table.txt",
        "lost1-v2-cluster-health.txt",
    ],
)
def test_one_member_stopped(sample: str) -> None:
    facts = _facts(sample)
    assert facts["etcd.endpoints"] == 3
    assert facts["etcd.endpoints_unhealthy"] == 1


@pytest.mark.parametrize(
    "sample", ["lost2-ep-status-table.txt", "lost2-ep-status-json.txt", "lost2-ep-health.txt"]
)
def test_two_members_stopped(sample: str) -> None:
    facts = _facts(sample)
    assert facts["etcd.endpoints_unhealthy"] == 3
    if "status" in sample:
        # The one member that answers has no leader.
        assert facts["etcd.leader_seen"] is False


@pytest.mark.parametrize(
    "sample",
    ["member-list.txt", "member-list-table.txt", "member-list-json.txt", "v2-member-list.txt"],
)
def test_member_list_in_every_writer(sample: str) -> None:
    assert _facts(sample)["etcd.members"] == 3


def test_messages_stay_records_for_the_patterns() -> None:
    result = ETCDCTL.parse((DATA / "lost1-ep-health.txt").read_text(), Context("h"))
    texts = [r.text for r in result.records]
    assert (
        "127.0.0.1:23703 is unhealthy: failed to commit proposal: context deadline exceeded"
        in texts
    )
    assert "Error: unhealthy cluster" in texts
    assert result.records[0].line == 1  # the client's warning, first line of the file


def test_status_rows_of_other_releases() -> None:
    # etcdctl 3.3's simple writer (no learner, no applied index) and a table with more columns
    old = (
        "https://10.0.0.11:2379, 8e9e05c52164694d, 3.3.10, 2.1 GB, true, 9, 812345\n"
        "https://10.0.0.12:2379, 91bc3c398fb3c146, 3.3.10, 2.1 GB, false, 7, 790001\n"
    )
    result = ETCDCTL.parse(old, Context("s"))
    facts = {f.name: f.value for f in result.facts}
    assert facts["etcd.raft_term_spread"] == 2
    assert facts["etcd.raft_index_spread"] == 22344
    assert facts["etcd.db_size_bytes"] == 2_100_000_000
    wide = (DATA / "ep-status-table-quota.txt").read_text()
    result = ETCDCTL.parse(wide, Context("w"))
    facts = {f.name: f.value for f in result.facts}
    assert facts["etcd.db_quota_ratio"] == 1.0


@pytest.mark.parametrize(
    "sample",
    [
        "follower-ep-status-table.txt",
        "follower-ep-status-simple.txt",
        "follower-ep-status-json.txt",
    ],
)
def test_one_follower_asked_is_no_lost_leader(sample: str) -> None:
    # "IS LEADER false" of the only endpoint asked: the leader is elsewhere, not absent.
    facts = _facts(sample)
    assert facts["etcd.endpoints"] == 1
    assert facts.get("etcd.leader_seen") is not False
