"""The kubelet's own endpoints, through the API server's node proxy (``nodes/proxy``).

``/configz`` is the kubelet's live configuration (``{"kubeletconfig": {...}}``, what
:mod:`kubewhy.parsers.kubelet` reads); ``/metrics/cadvisor`` gives ``container_threads`` per
container (the thread leak of seed 000); ``/metrics`` gives the kubelet's own gauges. The metric
answers are large (tens of MB on a busy node), so only the families kubewhy reads are kept
(:data:`kubewhy.model.metric_families.WANTED`). ``nodes/proxy`` is a powerful permission that many
clusters do not grant: without it, each endpoint is a gap and the diagnosis goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubewhy.model.metric_families import wanted_line
from kubewhy.model.names import safe_join
from kubewhy.sources.cluster.layout import DumpLayout
from kubewhy.sources.cluster.transport import Transport, UnreadableError, api_path

MAX_METRICS_BYTES = 128 << 20
MAX_CONFIGZ_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str  # below /api/v1/nodes/NAME/proxy
    file: str  # below nodes/NAME/ in the bundle
    fmt: str
    accept: str
    max_bytes: int
    metrics: bool


_JSON, _TEXT = "application/json", "text/plain"
ENDPOINTS = (
    Endpoint("configz", "configz.json", "kubelet-config", _JSON, MAX_CONFIGZ_BYTES, False),
    Endpoint(
        "metrics/cadvisor",
        "metrics-cadvisor.txt",
        "prometheus-text",
        _TEXT,
        MAX_METRICS_BYTES,
        True,
    ),
    Endpoint("metrics", "metrics-kubelet.txt", "prometheus-text", _TEXT, MAX_METRICS_BYTES, True),
)


def keep_wanted(text: str) -> tuple[str, int]:
    """The lines of a metrics answer that kubewhy reads, and how many lines there were.

    >>> keep_wanted("# TYPE go_goroutines gauge\\ngo_goroutines 42\\nup 1\\n")
    ('# TYPE go_goroutines gauge\\ngo_goroutines 42\\n', 3)
    """
    lines = text.splitlines()
    kept = [line for line in lines if wanted_line(line)]
    return "".join(line + "\n" for line in kept), len(lines)


def read_node_endpoint(
    transport: Transport, layout: DumpLayout, node: str, endpoint: Endpoint
) -> None:
    """Reads one endpoint into the bundle; raises :class:`UnreadableError` when it cannot."""
    path = api_path("api", "v1", "nodes", node, "proxy") + "/" + endpoint.path
    answer = transport.get(path, accept=endpoint.accept, max_bytes=endpoint.max_bytes)
    text = answer.body.decode("utf-8", "replace")
    origin = f"GET {path}"
    if endpoint.metrics:
        if answer.truncated:  # a cut line at the end would be misread: drop it
            text = text[: text.rfind("\n") + 1]
        text, total = keep_wanted(text)
        origin += f" ({total} lines, kept the series kubewhy reads)"
        if not text:
            raise UnreadableError("absent", f"{path}: none of the series kubewhy reads")
    layout.add_file(
        safe_join("nodes", node, endpoint.file),
        text,
        origin,
        node=node,
        fmt=endpoint.fmt,
        truncated=answer.truncated,
        seconds=answer.seconds,
    )
