"""Collect the knowledge base's metric evidence from a Prometheus over a time window.

Every failure mode's ``metrics:`` entries are queried (range queries over the window, instant
queries at its end); each answer is written as a bundle artefact whose first line names the
query and the evidence it serves (see :mod:`kubewhy.parsers.promtrend`), so the bundle can be
diagnosed again anywhere. What could not be read is a gap: Prometheus unreachable, an HTTP
error, a timeout, too many series, or a metric that is absent for a known reason.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kubewhy.errors import UsageError
from kubewhy.model.bundle import (
    PROMETHEUS_EVIDENCE_FORMAT,
    Artefact,
    MetricEvidence,
    MetricQuery,
)
from kubewhy.model.times import parse_time
from kubewhy.sources.bundle import BundleWriter
from kubewhy.sources.prometheus.client import PromClient, QueryAnswer, QueryFailure

DEFAULT_WINDOW = timedelta(hours=1)
# Points per range series: enough to see a trend, few enough to stay small.
TARGET_POINTS = 240
WORKERS = 4


@dataclass(frozen=True, slots=True)
class Window:
    since: datetime
    until: datetime

    @property
    def step_seconds(self) -> float:
        """A step that gives about :data:`TARGET_POINTS` points, at least one second.

        >>> hour = Window(datetime(2024, 1, 1, 0, tzinfo=UTC), datetime(2024, 1, 1, 1, tzinfo=UTC))
        >>> hour.step_seconds
        15.0
        """
        span = (self.until - self.since).total_seconds()
        return float(max(1, math.ceil(span / TARGET_POINTS)))


def resolve_window(
    since: str | datetime | None, until: str | datetime | None, now: datetime | None = None
) -> Window:
    """The window to query; by default the last hour.

    >>> w = resolve_window("2h", None, datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    >>> w.since.hour, w.until.hour
    (10, 12)
    """
    now = now or datetime.now(UTC)
    end = parse_time(until, now) if isinstance(until, str) else (until or now)
    start = parse_time(since, now) if isinstance(since, str) else (since or end - DEFAULT_WINDOW)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start >= end:
        raise UsageError(f"--since {start.isoformat()} is not before --until {end.isoformat()}")
    return Window(start, end)


def _params(header: MetricQuery, window: Window) -> tuple[str, dict[str, str]]:
    if header.kind == "range":
        return "query_range", {
            "query": header.query,
            "start": f"{window.since.timestamp():.3f}",
            "end": f"{window.until.timestamp():.3f}",
            "step": f"{window.step_seconds:g}",
        }
    return "query", {"query": header.query, "time": f"{window.until.timestamp():.3f}"}


def _peak(series: Any) -> float:
    samples = list(series.get("values") or ()) if isinstance(series, dict) else []
    if isinstance(series, dict) and "value" in series:
        samples.append(series["value"])
    best = -math.inf
    for sample in samples:
        try:
            value = float(sample[1])
        except (TypeError, ValueError, IndexError):
            continue
        if not math.isnan(value):
            best = max(best, value)
    return best


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "query"


def collect_prometheus(
    url: str,
    since: str | datetime | None,
    until: str | datetime | None,
    queries: list[MetricQuery],
    *,
    token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    ca_file: str | None = None,
    timeout: float = 10.0,
    max_series: int = 500,
) -> BundleWriter:
    """Run ``queries`` (the knowledge base's metric evidence) and return the answers as a bundle.

    Credentials default to the environment (``KUBEWHY_PROM_TOKEN``, ``KUBEWHY_PROM_USER``,
    ``KUBEWHY_PROM_PASSWORD``). Raises :class:`UsageError` only for a malformed URL, window or
    CA file; anything that goes wrong while talking to Prometheus is a gap in the manifest.
    """
    window = resolve_window(since, until)
    client = PromClient(
        url, token=token, username=username, password=password, ca_file=ca_file, timeout=timeout
    )
    bundle = BundleWriter("prometheus")
    probe = client.get("query", {"query": "time()"})
    if isinstance(probe, QueryFailure):
        bundle.gap(f"prometheus {client.base}", probe.reason, probe.detail)
        return bundle
    headers = queries
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="kubewhy-prom") as pool:
        answers = list(pool.map(lambda h: _ask(client, h, window), headers))
    for index, (header, (origin, started, answer)) in enumerate(zip(headers, answers, strict=True)):
        _record(bundle, index, header, origin, started, answer, max_series)
    return bundle


def _ask(
    client: PromClient, header: MetricQuery, window: Window
) -> tuple[str, datetime, QueryAnswer | QueryFailure]:
    api, params = _params(header, window)
    started = datetime.now(UTC)
    return f"GET {client.endpoint(api, params)}", started, client.get(api, params)


def _record(
    bundle: BundleWriter,
    index: int,
    header: MetricQuery,
    origin: str,
    started: datetime,
    answer: QueryAnswer | QueryFailure,
    max_series: int,
) -> None:
    if isinstance(answer, QueryFailure):
        bundle.gap(origin, answer.reason, answer.detail)
        return
    result = answer.data.get("result")
    series = result if isinstance(result, list) else []
    truncated = len(series) > max_series
    if truncated:
        bundle.gap(origin, "too-large", f"{len(series)} series; kept the {max_series} highest")
        series = sorted(series, key=_peak, reverse=True)[:max_series]
    if not series:
        for reason in _absent_reasons(header.evidence):
            bundle.gap(origin, "absent", reason)
    data = {"resultType": answer.data.get("resultType"), "result": series}
    body = json.dumps({"status": "success", "data": data}, separators=(",", ":"))
    text = header.to_line() + "\n" + body + "\n"
    names = "-".join(dict.fromkeys(ref.id for ref in header.evidence))
    path = f"prometheus/{index:03d}-{_slug(names)}.json"
    artefact = Artefact(
        path=path,
        origin=origin,
        format=PROMETHEUS_EVIDENCE_FORMAT,
        started=started,
        seconds=round(answer.seconds, 3),
        truncated=truncated,
    )
    bundle.add(path, text.encode(), artefact)


def _absent_reasons(refs: Iterable[MetricEvidence]) -> list[str]:
    return list(
        dict.fromkeys(
            f"{ref.failure_mode}/{ref.id}: no series; {ref.absent_means}"
            for ref in refs
            if ref.absent_means
        )
    )
