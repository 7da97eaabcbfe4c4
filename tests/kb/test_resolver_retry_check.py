"""The resolver-retry check pairs sightings of one DNS query by the gap between them: one
resolver timeout (2.5 s, 5 s, 10 s) is a retry; the same packet seen on several interfaces of a
capture, or a new lookup reusing nothing, is not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kubewhy.facts.store import FactStore
from kubewhy.kb.checks import Observed, dns_query_resent_at_resolver_timeout
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.hits import SymptomHit

QUERY = "10.244.1.5.46650 > 10.96.0.10.53: 61267+ A? web.shop.svc.cluster.local."


def _hit(symptom: str, *evidence: Evidence) -> SymptomHit:
    hit = SymptomHit("dns-resolver-timeout-retry", symptom, Entity.for_node("n1"), part=QUERY)
    for ev in evidence:
        hit.add(ev, {"query": QUERY})
    return hit


def _capture(*clock: str) -> SymptomHit:
    # real tcpdump 4.99 line layout: the time of day, then the packet
    lines = [f"{t} IP {QUERY} (44)" for t in clock]
    return _hit(
        "tcpdump-dns-query", *(Evidence("tcpdump.txt", n, None, x) for n, x in enumerate(lines, 1))
    )


def _found(*hits: SymptomHit) -> list[Evidence]:
    return dns_query_resent_at_resolver_timeout(Observed(FactStore(), hits), Entity.cluster())


def test_a_query_sent_again_after_the_timeout_is_a_retry() -> None:
    found = _found(_capture("10:10:17.501137", "10:10:22.502224"))
    assert [e.line for e in found] == [1, 2]
    # musl's 2.5 s, and a capture that crosses midnight
    assert _found(_capture("23:59:58.900000", "00:00:01.400500"))


def test_the_same_packet_on_several_interfaces_or_a_slow_answer_is_not() -> None:
    assert not _found(_capture("10:10:17.501137", "10:10:17.501190", "10:10:17.501244"))
    assert not _found(_capture("10:10:17.501137", "10:10:20.900000"))
    assert not _found(_capture("10:10:17.501137"))


def test_lines_with_parsed_times_use_them() -> None:
    at = datetime(2026, 3, 14, 10, 10, 17, 501201, tzinfo=UTC)
    text = '[INFO] 10.244.1.5:46650 - 61267 "A IN web.shop.svc.cluster.local. udp 44 false 512"'
    first = Evidence("coredns.log", 1, at, text)
    again = Evidence("coredns.log", 9, at + timedelta(seconds=5.004), text)
    assert _found(_hit("coredns-query-logged", first, again)) == [first, again]
