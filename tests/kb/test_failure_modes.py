"""Every shipped failure mode loads, and every log pattern matches its examples and only them.

Patterns are checked with Python ``re`` (the exact check the scanner ends with) and with RE2
(a DFA engine like the scanner's fast path), so a pattern that only one engine accepts fails here.
"""

from __future__ import annotations

import re

import pytest
import re2

from kubewhy.kb.load import KnowledgeBase
from kubewhy.kb.schema import FailureMode, LogSymptom
from kubewhy.model.components import of_port
from kubewhy.parsers.object_refs import pod_ref
from kubewhy.scanning import PatternSpec, Scanner, available_engines

from .helpers import load_with_stubs, shipped_files

# The failure modes this part of the knowledge base promises to ship.
REQUIRED_IDS = [
    "container-oomkilled",
    "conntrack-table-full",
    "conntrack-insert-race",
    "coredns-forward-loop",
    "disk-pressure-eviction",
    "inode-exhaustion",
    "image-gc-failure",
    "inotify-watch-exhaustion",
    "kubelet-certificate-expired",
    "apiserver-certificate-expired",
    "clock-skew",
    "container-runtime-hung",
    "hung-task-d-state",
    "unregister-netdevice-hang",
    "kernel-oops-panic",
    "soft-lockup-rcu-stall",
    "filesystem-readonly",
    "etcd-slow-disk",
    "etcd-db-quota-exceeded",
    "etcd-leader-churn",
    "apiserver-overload",
    "client-side-throttling",
    "crashloop-backoff",
    "image-pull-backoff",
    "slow-image-pull",
    "pod-sandbox-creation-failed",
    "cni-ip-exhaustion",
    "cgroup-driver-mismatch",
    "host-loopback-stub-resolver",
    "host-resolv-conf-no-nameserver",
    "bridge-netfilter-disabled",
    "iptables-backend-mismatch",
    "stale-udp-conntrack-entry",
    "vxlan-checksum-offload-drop",
    "pod-network-mtu-mismatch",
    "memcg-kmem-accounting-broken",
    "etcd-expensive-range-requests",
    "apiserver-client-flood",
    "etcd-member-lost-quorum-kept",
    "host-firewall-blocks-pod-traffic",
    "rp-filter-drops-pod-traffic",
    "dns-resolver-timeout-retry",
    "cloud-dns-resolver-rate-limit",
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return load_with_stubs(tmp_path_factory.mktemp("kb"))


def _symptoms(kb: KnowledgeBase) -> list[tuple[str, LogSymptom]]:
    shipped = {path.stem for path in shipped_files()}
    return [(fm_id, s) for fm_id, s in kb.log_patterns() if fm_id in shipped]


def _compiled(symptom: LogSymptom) -> tuple[re.Pattern[str], re2._Regexp]:
    flags = re.IGNORECASE if symptom.ignore_case else 0
    options = re2.Options()
    options.case_sensitive = not symptom.ignore_case
    return re.compile(symptom.pattern, flags), re2.compile(symptom.pattern, options)


def _measured(symptom: LogSymptom, python: re.Pattern[str], line: str) -> bool:
    """The line's number is in the symptom's range (always, for a symptom without a measure)."""
    found = python.search(line)
    if symptom.measure is None or found is None:
        return found is not None
    return symptom.measure.counts({k: v for k, v in found.groupdict().items() if v is not None})


def test_required_failure_modes_are_shipped(kb: KnowledgeBase) -> None:
    missing = [fm_id for fm_id in REQUIRED_IDS if fm_id not in kb.failure_modes]
    assert not missing, f"not shipped: {missing}"


def test_every_pattern_matches_its_examples_in_every_engine(kb: KnowledgeBase) -> None:
    failures = []
    for fm_id, symptom in _symptoms(kb):
        python, dfa = _compiled(symptom)
        for example in symptom.examples:
            if not python.search(example) or not dfa.search(example):
                failures.append(f"{fm_id}/{symptom.id} misses example {example!r}")
            elif not _measured(symptom, python, example):
                failures.append(f"{fm_id}/{symptom.id} example out of its measure {example!r}")
        for near_miss in symptom.counter_examples:
            python_hit = python.search(near_miss) and _measured(symptom, python, near_miss)
            if python_hit or (dfa.search(near_miss) and symptom.measure is None):
                failures.append(f"{fm_id}/{symptom.id} matches counter-example {near_miss!r}")
    assert not failures, "\n".join(failures)


def test_a_symptom_that_blames_names_someone_in_one_of_its_examples(kb: KnowledgeBase) -> None:
    # ``blames: "{process}"`` on a pattern whose group never captures would name no culprit.
    silent = []
    for fm_id, symptom in _symptoms(kb):
        if not symptom.blames:
            continue
        python, _ = _compiled(symptom)
        named = []
        for example in symptom.examples:
            if found := python.search(example):
                groups = {k: v for k, v in found.groupdict().items() if v is not None}
                groups["named_pod"] = pod_ref(groups, example) or ""
                groups["port_owner"] = of_port(groups.get("port", "")) or ""
                named.append(symptom.blamed(groups, "a-component"))
        if not any(named):
            silent.append(f"{fm_id}/{symptom.id}")
    assert not silent, silent


@pytest.mark.parametrize(
    ("pattern", "blames", "example", "unknown"),
    [
        ("killed process (?P<pid>\\d+)", "{process}", "killed process 12", "process"),
        # {port_owner} is the component of a ``port`` group's port: none without the group
        ("listen tcp (?P<ip>[0-9.]+)", "{port_owner}", "listen tcp 10.0.0.5", "port_owner"),
    ],
)
def test_blames_refers_only_to_the_patterns_groups(
    pattern: str, blames: str, example: str, unknown: str
) -> None:
    with pytest.raises(ValueError, match="not named groups") as raised:
        LogSymptom(
            id="x",
            description="d",
            pattern=pattern,
            weight=0.5,
            blames=blames,
            examples=[example],
        )
    assert unknown in str(raised.value)


def test_patterns_start_with_a_literal_where_the_scanner_can_anchor(kb: KnowledgeBase) -> None:
    # A pattern with no literal of 4+ characters forces the scanner to run a regex on every line.
    weak = [
        f"{fm_id}/{s.id}"
        for fm_id, s in _symptoms(kb)
        if not re.search(
            r"[A-Za-z_:=\"' ]{4,}", re.sub(r"\\.|\[[^\]]*\]|\(\?P<\w+>", "", s.pattern)
        )
    ]
    assert not weak, weak


def test_links_and_references_are_well_formed(kb: KnowledgeBase) -> None:
    for path in shipped_files():
        fm: FailureMode = kb.get(path.stem)
        for ref in fm.references:
            assert ref.url.startswith("https://"), f"{fm.id}: {ref.url}"
        for bug in fm.known_bugs:
            assert bug.reference.startswith("https://"), f"{fm.id}: {bug.reference}"
        for alert in fm.prevention.alerts:
            for name in re.findall(r"\{(\w+)\}", alert.expr):
                assert name in alert.thresholds, f"{fm.id}/{alert.alert}: no threshold {name}"


@pytest.mark.parametrize("engine", available_engines())
def test_every_engine_takes_the_whole_knowledge_base(kb: KnowledgeBase, engine: str) -> None:
    # Each engine compiles the patterns as it runs them (byte regexes, Latin-1, its own limits:
    # RE2 refuses a counted repeat nested in another past its repetition bound). The single-file
    # build falls back to RE2, so a pattern only Hyperscan takes must fail here, not there.
    specs = [PatternSpec(s.pattern, s.ignore_case) for _, s in _symptoms(kb)]
    assert Scanner(specs, engine).engine == engine
