"""What to diagnose: paths of evidence and live sources, each with its typed options."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kubewhy.model.caps import Caps
from kubewhy.model.suppression import Suppression
from kubewhy.model.times import TimeWindow
from kubewhy.scanning.pool import Progress


@dataclass(frozen=True)
class NodeSource:
    """The machine kubewhy runs on, or the one whose filesystem is mounted at ``root``."""

    root: Path = Path("/")
    node_name: str | None = None
    # Seconds each read may take; the process walk has its own overall limit.
    timeout: float = 2.0
    # Seconds the whole node read may take (the reads left are gaps after it).
    deadline: float = 30.0


@dataclass(frozen=True)
class ClusterSource:
    """A cluster's API server (kubectl's configuration rules); ``target`` as ``node/NAME``,
    ``pod/NAME``, ``namespace/NAME`` or None for the whole cluster."""

    target: str | None = None
    namespace: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    logs_tail: int = 500
    max_concurrency: int = 4
    # Seconds for the whole source; each request also ends by then, however the server trickles.
    timeout: float = 30.0
    # Seconds each request may take (kubectl's --request-timeout), within the whole source's.
    request_timeout: float = 15.0
    # kubectl's --as and --as-group: read as this user (and group) would.
    impersonate: str | None = None
    impersonate_group: str | None = None


@dataclass(frozen=True)
class PrometheusSource:
    """A Prometheus, asked the knowledge base's metric queries over ``since``..``until``."""

    url: str
    since: str | datetime | None = None
    until: str | datetime | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    # Seconds for the whole source; each request also ends by then, however the server trickles.
    timeout: float = 30.0
    max_series: int = 500


@dataclass(frozen=True)
class Request:
    """One diagnosis (or audit): the evidence to read and how.

    ``tz_offset_minutes`` is the zone of timestamps that carry none (inferred when None);
    ``jobs`` the processes big logs may be scanned on (default: the cores); ``progress`` is told
    how the scan of logs goes; ``window`` bounds the times of the log lines read;
    ``caps`` bound what reading may cost (sizes, ratios, time).
    ``suppressions`` silence accepted findings and risks until they expire at ``now`` (default:
    the current time).
    """

    paths: tuple[Path, ...] = ()
    node: NodeSource | None = None
    cluster: ClusterSource | None = None
    prometheus: PrometheusSource | None = None
    tz_offset_minutes: int | None = None
    jobs: int | None = None
    progress: Progress | None = None
    # --since/--until: log lines with a time outside are left out (metrics use their own window).
    window: TimeWindow | None = None
    caps: Caps = field(default_factory=Caps)
    suppressions: tuple[Suppression, ...] = ()
    now: datetime | None = None

    @property
    def live(self) -> bool:
        return self.node is not None or self.cluster is not None or self.prometheus is not None
