"""A saved Prometheus HTTP API answer (``/api/v1/query`` or ``/api/v1/query_range``)::

    {"status": "success", "data": {"resultType": "vector", "result": [
      {"metric": {"__name__": "container_threads", "namespace": "prod", "pod": "web-1",
                  "container": "app", "node": "n1"}, "value": [1592112939.781, "46120"]}]}}

Each series becomes a fact named by its metric (the peak of a matrix, the value of a vector):
``container_threads`` per container -> ``container.threads``, summed to a node or pod ->
``metrics.container_threads_sum``; node-exporter's ``node_processes_threads`` ->
``node.threads.total``, ``node_processes_max_threads`` -> ``sysctl.kernel.threads_max``,
``node_processes_max_processes`` -> ``sysctl.kernel.pid_max``, ``node_processes_pids`` ->
``node.processes.total``, ``node_processes_state{state="Z"}`` -> ``node.zombies.total``; any other
metric -> ``metrics.<name>`` (``metrics.<name>_rate`` for a ``rate()``). Series without
``__name__`` (an aggregation) are named from the query when the saved file shows it (a ``curl
...query=...`` line before the JSON), else from the file name (``prom-query_range-sum-
container_threads-node-xx.json``), else they give a record only. Every series is also a record
(``container_threads{container="app",pod="web-1"} = 46120``).

>>> text = ('{"status":"success","data":{"resultType":"vector","result":[{"metric":'
...         '{"__name__":"node_processes_threads","instance":"n1:9100"},'
...         '"value":[1700000000,"812"]}]}}')
>>> result = PromJsonFormat().parse(text, Context("q.json"))
>>> [(f.name, f.entity.name, f.value) for f in result.facts]
[('node.threads.total', 'n1', 812)]
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote_plus

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.model.times import Stamp, unix_time
from kubewhy.parsers.base import Context, ParseResult, Record, each_record
from kubewhy.parsers.metric_labels import instance_host, series_entity

# A query in a URL (?query=...), or in curl's --data-urlencode 'query=...' (spaces kept).
_QUERY = re.compile(r"""'query=([^']+)'|"query=([^"]+)"|(?:^|[?&\s])query=([^&'"\s]+)""")
_RATE = re.compile(r"\b(?:rate|irate|increase|deriv)\s*\(")
_NAME_PART = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_IDENTIFIER = re.compile(r"[a-zA-Z_:][\w:]*")
_NOT_METRICS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk",
    "bottomk", "quantile", "count_values", "group", "limitk", "limit_ratio",
}  # fmt: skip
_NODE_FACTS = {
    "node_processes_threads": "node.threads.total",
    "node_processes_max_threads": "sysctl.kernel.threads_max",
    "node_processes_max_processes": "sysctl.kernel.pid_max",
    "node_processes_pids": "node.processes.total",
}
_STATE_FACTS = {"Z": "node.zombies.total", "D": "node.dstate.total"}


def query_metric(query: str) -> str | None:
    """The first metric a PromQL query reads.

    >>> query_metric('sum by (node) (rate(container_threads{node="x"}[5m]))')
    'container_threads'
    """
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", " ", query)
    for found in _IDENTIFIER.finditer(bare):
        following = bare[found.end() :].lstrip()[:1]
        if found.group(0) not in _NOT_METRICS and following != "(":
            # Grouping labels of by (...)/without (...) are not metrics either.
            before = bare[: found.start()].rstrip()
            if re.search(r"\b(?:by|without|on|ignoring)\s*\($|,$", before):
                continue
            return found.group(0)
    return None


def source_metric(source: str) -> tuple[str, bool] | None:
    """The metric a saved answer's file name names (the query itself was not kept), and
    whether a rate of it was asked.

    >>> source_metric("prom-query_range-rate-node_forks_total.json")
    ('node_forks_total', True)
    """
    name = source.rsplit("/", 1)[-1].rsplit("!", 1)[-1]
    stem = name.rsplit(".", 1)[0]
    parts = [p for p in _NAME_PART.findall(stem) if p not in ("query_range", "query")]
    if not parts:
        return None
    metric = parts[-1]
    before = stem[: stem.rfind(metric)]
    return metric, bool(re.search(r"(?:^|[-_])(?:rate|irate|increase)(?:[-_]|$)", before))


def _number(raw: object) -> float | None:
    try:
        value = float(str(raw))
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _value(number: float) -> Value:
    return int(number) if number.is_integer() else round(number, 6)


def _entity(metric: str, labels: Mapping[str, str], ctx_node: str | None = None) -> Entity:
    return series_entity(
        labels,
        # node-exporter series describe the node; pod/container labels name the exporter.
        "node" if metric.startswith("node_") else None,
        default_node=ctx_node,
        # The scrape target is the node only for per-node exporters (node-exporter, cAdvisor).
        instance_is_node=metric.startswith(("node_", "container_", "machine_")),
    )


def fact_name(metric: str, labels: Mapping[str, str], entity: Entity) -> str | None:
    """The catalogue name of a series' fact; None for a series that has no fact.

    >>> fact_name("container_threads", {}, Entity.container("app", pod="web-1"))
    'container.threads'
    """
    if metric == "container_threads":
        return (
            "container.threads" if entity.kind == "container" else "metrics.container_threads_sum"
        )
    if metric in _NODE_FACTS and entity.kind == "node":
        return _NODE_FACTS[metric]
    if metric == "node_processes_state":
        return _STATE_FACTS.get(labels.get("state", "")) if entity.kind == "node" else None
    return "metrics." + metric.replace(":", "_")


def _series_text(metric: str, labels: Mapping[str, str], value: Value) -> str:
    shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{metric}{{{shown}}} = {value}"


class PromJsonFormat:
    name = "prometheus-json"
    # Both its scores need the status key.
    hints = ('"status"',)

    def sniff(self, head: Sequence[str]) -> float:
        joined = "\n".join(head)
        if '"resultType"' in joined and '"status"' in joined:
            return 0.95
        if re.search(r'"status"\s*:\s*"(?:success|error)"', joined) and '"data"' in joined:
            return 0.7
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        found = re.search(r"^[ \t]*\{", text, re.M)  # the JSON starts a line; a query may hold {
        start = found.end() - 1 if found else -1
        preamble = text[:start] if start > 0 else ""
        # The query is in the saved file's first lines, or in the command that saved it (an
        # export's listing names it for this file).
        query = _QUERY.search(preamble) or _QUERY.search(ctx.command or "")
        query_name: str | None = None
        if query:
            promql = unquote_plus(next(g for g in query.groups() if g))
            query_name = query_metric(promql)
            if query_name and _RATE.search(promql):
                query_name += "_rate"
        else:
            named = source_metric(ctx.source)
            if named:
                query_name = named[0] + ("_rate" if named[1] else "")
        try:
            answer = json.loads(text[start:]) if start >= 0 else None
        except (ValueError, RecursionError):
            answer = None
        if not isinstance(answer, dict):
            result.malformed += 1
            return result
        if answer.get("status") != "success":
            error = f"prometheus query failed: {answer.get('errorType')}: {answer.get('error')}"
            result.records.append(Record(error, None))
            result.malformed += 1
            return result
        data = answer.get("data") or {}
        first_line = text[:start].count("\n") + 1
        one_line = "\n" not in text[start:].strip()
        line = first_line if one_line else None
        series_list = data.get("result") if isinstance(data, dict) else None
        each_record(
            result,
            series_list if isinstance(series_list, list) else (),
            lambda series: self._series(series, query_name, ctx, result, line),
        )
        return result

    def _series(
        self,
        series: Any,
        query_name: str | None,
        ctx: Context,
        result: ParseResult,
        line: int | None,
    ) -> bool:
        if not isinstance(series, dict):
            return False
        labels = {str(k): str(v) for k, v in (series.get("metric") or {}).items()}
        samples: list[Any] = list(series.get("values") or ())
        if "value" in series:
            samples.append(series["value"])
        best: tuple[float, float] | None = None  # (value, unix time) of the peak
        for sample in samples:
            if not isinstance(sample, list) or len(sample) != 2:
                continue
            number, unix = _number(sample[1]), _number(sample[0])
            if number is not None and unix is not None and (best is None or number > best[0]):
                best = (number, unix)
        if best is None:
            return False
        metric = labels.get("__name__") or query_name
        entity = _entity(metric or "", labels, ctx.node)
        value = _value(best[0])
        moment = unix_time(best[1])
        text = _series_text(metric or "(unnamed query)", labels, value)
        if len(samples) > 1:
            text += f" (peak of {len(samples)} samples)"
        result.entities.append(entity)
        instance = instance_host(labels)
        if labels.get("node") and instance and instance != labels["node"]:
            # A series that names both tells which scrape address is which node.
            alias = Evidence(ctx.source, line, None, text)
            result.facts.append(
                Fact("node.address", Entity.for_node(labels["node"]), instance, alias)
            )
        result.records.append(Record(text, line, Stamp(moment) if moment else None, entity))
        if moment is not None and not result.anchors:
            result.anchors.append(Stamp(moment))
        name = fact_name(metric, labels, entity) if metric else None
        if name is not None:
            evidence = Evidence(ctx.source, line, moment, text)
            result.facts.append(Fact(name, entity, value, evidence))
        return True


FORMATS = [PromJsonFormat()]
