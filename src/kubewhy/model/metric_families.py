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
        return len(parts) > 2 and parts[2] in WANTED
    return metric_name(line) in WANTED
