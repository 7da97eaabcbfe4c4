"""The metric families kubewhy reads: collectors keep only their lines of an endpoint's answer
(an exporter answers thousands), and the exposition-format parser reads only these."""

from __future__ import annotations

# The metric families kubewhy reads; collectors keep only these lines of an endpoint's answer.
WANTED: frozenset[str] = frozenset(
    {
        "container_threads",
        "container_threads_max",
        "node_processes_threads",
        "node_processes_max_threads",
        "node_processes_max_processes",
        "node_processes_pids",
        "node_processes_state",
        "kubelet_running_pods",
        "kubelet_running_containers",
        "kubelet_pleg_last_seen_seconds",
        "go_goroutines",
        "process_resident_memory_bytes",
    }
)


# Counters read as one sum over their series whose label has a value: what a process has done
# since it started (one scrape gives no rate). The API server's 429s are requests priority and
# fairness (or the older in-flight limit) refused.
COUNTER_SUMS: dict[str, tuple[str, str, str]] = {
    "apiserver_request_total": ("code", "429", "metrics.apiserver_requests_429_total"),
}


def metric_name(line: str) -> str | None:
    """The metric a sample line belongs to (None for comments and blank lines).

    >>> metric_name('container_threads{pod="a"} 3'), metric_name("# HELP x y")
    ('container_threads', None)
    """
    if not line or line[0] == "#":
        return None
    end = len(line)
    for stop in ("{", " ", "\t"):
        found = line.find(stop)
        if found != -1:
            end = min(end, found)
    return line[:end] or None


def wanted_line(line: str) -> bool:
    """A line worth keeping from an endpoint's answer: a wanted sample or its HELP/TYPE."""
    if line.startswith(("# HELP ", "# TYPE ")):
        parts = line.split(None, 3)
        return len(parts) > 2 and (parts[2] in WANTED or parts[2] in COUNTER_SUMS)
    name = metric_name(line)
    return name in WANTED or name in COUNTER_SUMS
