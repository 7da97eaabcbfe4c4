"""Prometheus answers collected for the knowledge base's metric evidence, with their trends.

``kubewhy diagnose --prometheus`` writes each answer with one header line naming the query and
the evidence it serves, then the API's JSON::

    # kubewhy-prometheus {"query": "node_processes_threads", "kind": "range", "evidence": [
    #   {"failure_mode": "node-pid-exhaustion", "id": "node-threads", "fact": "node.threads.total",
    #    "entity": "node"}]}
    {"status":"success","data":{"resultType":"matrix","result":[...]}}

The JSON gives the generic facts of :mod:`kubewhy.parsers.promjson`. On top of them each series
gives, for every evidence entry, the entry's ``fact`` (the peak) on the entity its labels name,
and for a range: ``metrics.<id>.trend`` (growing, falling, step, flat or varying),
``metrics.<id>.max``, ``.min``, ``.last`` and ``.growth_per_hour`` (``<id>`` with dashes as
underscores). A query that returned nothing gives ``metrics.<id>.absent = true`` on the cluster.

>>> from kubewhy.model.bundle import MetricEvidence, MetricQuery
>>> header = MetricQuery(query="node_processes_threads", kind="range", evidence=[MetricEvidence(
...     failure_mode="node-pid-exhaustion", id="node-threads", fact="node.threads.total",
...     entity="node")])
>>> body = ('{"status":"success","data":{"resultType":"matrix","result":[{"metric":'
...         '{"node":"n1"},"values":[[0,"300"],[10,"300"],[20,"500"],[30,"700"],[40,"900"]]}]}}')
>>> result = PromEvidenceFormat().parse(header.to_line() + "\\n" + body, Context("q.json"))
>>> {f.name: f.value for f in result.facts if f.name.startswith("metrics.node_threads")}
... # doctest: +NORMALIZE_WHITESPACE
{'metrics.node_threads.max': 900, 'metrics.node_threads.min': 300, 'metrics.node_threads.last': 900,
 'metrics.node_threads.growth_per_hour': 54000.0, 'metrics.node_threads.trend': 'growing'}
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote_plus

from pydantic import ValidationError

from kubewhy.model.bundle import (
    PROMETHEUS_EVIDENCE_FORMAT,
    PROMETHEUS_HEADER_PREFIX,
    MetricQuery,
)
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.model.times import unix_time
from kubewhy.parsers.base import Context, ParseResult, Record, each_record
from kubewhy.parsers.metric_labels import series_entity
from kubewhy.parsers.promjson import PromJsonFormat

TrendKind = Literal["growing", "falling", "step", "flat", "varying"]
# A change smaller than this share of the level is noise (a node's thread count moves a little).
FLAT_SHARE = 0.1
# One jump holding this share of the whole range makes a step, not a trend.
STEP_SHARE = 0.6
# Growth may fall back from its running peak by at most this share of the range (noise).
SETBACK_SHARE = 0.3
# Functions whose result is still a value of the metric they read.
_SAME_MEANING = frozenset(
    {"sum", "max", "min", "avg", "topk", "bottomk", "max_over_time", "last_over_time"}
)


@dataclass(frozen=True, slots=True)
class Trend:
    kind: TrendKind
    first: float
    last: float
    low: float
    high: float
    growth_per_hour: float


def _largest_fall(values: Sequence[float]) -> float:
    """The largest drop from a running peak."""
    peak, fall = -math.inf, 0.0
    for value in values:
        peak = max(peak, value)
        fall = max(fall, peak - value)
    return fall


def classify_trend(samples: Sequence[tuple[float, float]]) -> Trend | None:
    """The shape of a series of (unix time, value) samples; None under three samples.

    >>> classify_trend([(0, 100), (60, 101), (120, 100), (180, 100)]).kind
    'flat'
    >>> classify_trend([(0, 100), (60, 100), (120, 900), (180, 901)]).kind
    'step'
    >>> t = classify_trend([(0, 100), (60, 180), (120, 250), (180, 330), (240, 400)])
    >>> t.kind, t.growth_per_hour
    ('growing', 4500.0)
    >>> classify_trend([(0, 100), (60, 900), (120, 100), (180, 900)]).kind
    'varying'
    """
    points = sorted((t, v) for t, v in samples if not math.isnan(v))
    if len(points) < 3:
        return None
    values = [v for _, v in points]
    first, last, low, high = values[0], values[-1], min(values), max(values)
    hours = (points[-1][0] - points[0][0]) / 3600
    growth = round((last - first) / hours, 3) if hours > 0 else 0.0
    span = high - low
    diffs = [b - a for a, b in itertools.pairwise(values)]
    moved = sum(abs(d) for d in diffs)
    kind: TrendKind
    if span <= max(abs(first), abs(high)) * FLAT_SHARE or span == 0:
        kind = "flat"
    elif max(abs(d) for d in diffs) >= STEP_SHARE * span and moved <= 1.5 * span:
        kind = "step"
    elif last - first >= 0.5 * span and _largest_fall(values) <= SETBACK_SHARE * span:
        kind = "growing"
    elif first - last >= 0.5 * span and _largest_fall([-v for v in values]) <= SETBACK_SHARE * span:
        kind = "falling"
    else:
        kind = "varying"
    return Trend(kind, first, last, low, high, growth)


def keeps_metric_meaning(query: str) -> bool:
    """Whether a query's values are still values of its metric (a selector, a max, a sum ...),
    so that the metric's own fact name fits them; a rate, a ratio or a quantile does not.

    >>> keeps_metric_meaning('topk(5, max by (pod) (container_threads{container!=""}))')
    True
    >>> keeps_metric_meaning("node_processes_threads / node_processes_max_processes")
    False
    >>> keeps_metric_meaning("rate(node_forks_total[1m])")
    False
    """
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", "", query)
    bare = re.sub(r"\b(?:by|without)\s*\([^)]*\)", "", bare)
    if re.search(r"[-+*/%^<>=!]|\b(?:and|or|unless|offset|bool)\b", bare):
        return False
    calls = re.findall(r"([a-zA-Z_]\w*)\s*\(", bare)
    return all(call in _SAME_MEANING for call in calls)


def _value(number: float) -> Value:
    return int(number) if number.is_integer() else round(number, 6)


def _samples(series: Mapping[str, Any]) -> list[tuple[float, float]]:
    raw: list[Any] = list(series.get("values") or ())
    if "value" in series:
        raw.append(series["value"])
    out: list[tuple[float, float]] = []
    for sample in raw:
        try:
            unix, value = float(sample[0]), float(sample[1])
        except (TypeError, ValueError, IndexError):
            continue
        if not math.isnan(value):
            out.append((unix, value))
    return out


def _shown(query: str, labels: Mapping[str, str]) -> str:
    metric = labels.get("__name__") or query
    shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{metric}{{{shown}}}"


class PromEvidenceFormat:
    name = PROMETHEUS_EVIDENCE_FORMAT

    def sniff(self, head: Sequence[str]) -> float:
        return 0.99 if head and head[0].startswith(PROMETHEUS_HEADER_PREFIX) else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        first, _, body = text.partition("\n")
        try:
            header = MetricQuery.model_validate_json(first.removeprefix(PROMETHEUS_HEADER_PREFIX))
        except ValidationError:
            result = PromJsonFormat().parse(body or first, ctx)
            result.malformed += 1
            return result
        result = self._generic(header.query, body, ctx)
        try:
            answer = json.loads(body)
            series_list = answer["data"]["result"]
        except (ValueError, KeyError, TypeError, RecursionError):
            return result
        if not isinstance(series_list, list):
            return result
        if not series_list:
            for ref in header.evidence:
                note = f"{header.query}: no series" + (
                    f" ({ref.absent_means})" if ref.absent_means else ""
                )
                evidence = Evidence(ctx.source, 1, None, note)
                result.facts.append(Fact(ref.stem + ".absent", Entity.cluster(), True, evidence))
                result.records.append(Record(note, 1))
        each_record(result, series_list, lambda series: self._series(header, series, ctx, result))
        return result

    def _generic(self, query: str, body: str, ctx: Context) -> ParseResult:
        """The generic facts of the answer, when its values still mean what its metric means."""
        if not keeps_metric_meaning(query):
            return ParseResult()
        # The generic parser names aggregations from a query line before the JSON.
        preamble = f"GET /api/v1/query?query={quote_plus(query)}\n"
        return PromJsonFormat().parse(preamble + body, ctx)

    def _series(self, header: MetricQuery, series: Any, ctx: Context, result: ParseResult) -> bool:
        if not isinstance(series, dict):
            return False
        labels = {str(k): str(v) for k, v in (series.get("metric") or {}).items()}
        samples = _samples(series)
        if not samples:
            return True  # a series without a sample says nothing, and nothing wrong
        peak_time, peak = max(samples, key=lambda s: s[1])
        shown = _shown(header.query, labels)
        trend = classify_trend(samples) if header.kind == "range" else None
        for ref in header.evidence:
            entity = series_entity(labels, ref.entity)
            result.entities.append(entity)
            moment = unix_time(peak_time)
            text = f"{shown} = {_value(peak)}" + (" (peak)" if len(samples) > 1 else "")
            evidence = Evidence(ctx.source, 2, moment, text).clipped()
            result.facts.append(Fact(ref.fact, entity, _value(peak), evidence))
            if trend is None:
                continue
            end = unix_time(samples[-1][0])
            said = (
                f"{shown}: {trend.kind}, {_value(trend.first)} -> {_value(trend.last)} "
                f"(min {_value(trend.low)}, max {_value(trend.high)}, "
                f"{trend.growth_per_hour:+g}/h)"
            )
            cite = Evidence(ctx.source, 2, end, said).clipped()
            result.records.append(Record(said, 2, None, entity))
            for suffix, value in (
                ("max", _value(trend.high)),
                ("min", _value(trend.low)),
                ("last", _value(trend.last)),
                ("growth_per_hour", trend.growth_per_hour),
                ("trend", trend.kind),
            ):
                result.facts.append(Fact(f"{ref.stem}.{suffix}", entity, value, cite))
        return True


FORMATS = [PromEvidenceFormat()]
