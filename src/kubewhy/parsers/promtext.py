"""Prometheus text exposition format (``/metrics``, the kubelet's ``/metrics/cadvisor``)::

    # HELP container_threads Number of threads running inside the container
    # TYPE container_threads gauge
    container_threads{container="app",namespace="prod",pod="web-1"} 46120 1592112939781

Only the series the knowledge base reasons about are read (an exporter answers thousands): the
same names and facts as saved Prometheus query answers (:mod:`kubewhy.parsers.promjson`), so
``container_threads`` of a container -> ``container.threads``, of the root cgroup (``id="/"``)
-> ``metrics.container_threads_sum`` for the node, node-exporter's ``node_processes_*`` -> node
facts, and a few kubelet gauges -> ``metrics.<name>``. A series without a ``node`` or
``instance`` label belongs to the node the file came from (a kubelet endpoint is per node).
Label values are unescaped (``\\\\``, ``\\"``, ``\\n``); the optional timestamp is milliseconds.

>>> text = '''# TYPE container_threads gauge
... container_threads{container="app",id="/kubepods/x",namespace="prod",pod="web-1"} 4612
... container_threads{container="",id="/",image="",namespace="",pod=""} 46950
... '''
>>> r = PromTextFormat().parse(text, Context("metrics-cadvisor.txt", node="n1"))
>>> sorted((f.name, f.entity.name, f.value) for f in r.facts)
[('container.threads', 'web-1/app', 4612), ('metrics.container_threads_sum', 'n1', 46950)]
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.model.metric_families import COUNTER_SUMS, WANTED, metric_name
from kubewhy.model.times import Stamp, unix_time
from kubewhy.parsers.base import Context, ParseResult, Record, each_record
from kubewhy.parsers.metric_labels import series_entity
from kubewhy.parsers.promjson import fact_name

MAX_SERIES = 50_000
_LINE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+"
    r"(?P<value>[^\s]+)(?:\s+(?P<ts>-?\d+))?\s*$"
)
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def parse_labels(text: str) -> dict[str, str] | None:
    """Labels of a sample, unescaped; None when they do not parse.

    >>> parse_labels('pod="a\\\\"b",container="c"')
    {'pod': 'a"b', 'container': 'c'}
    """
    labels: dict[str, str] = {}
    position = 0
    text = text.rstrip()
    while position < len(text):
        found = _LABEL.match(text, position)
        if not found:
            return None
        value = re.sub(r"\\[\\\"n]", lambda m: _UNESCAPE[m.group(0)], found.group(2))
        labels[found.group(1)] = value
        position = found.end()
    return labels


def _number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def _entity(labels: Mapping[str, str], node: str | None) -> Entity:
    # Only ``node`` names the node here: an exporter's own /metrics has no relabelled hosts.
    return series_entity(labels, default_node=node, node_labels=("node",))


# A sample line read: its number, text, metric, labels, value and timestamp (milliseconds).
_Sample = tuple[int, str, str, dict[str, str], float, str | None]


class PromTextFormat:
    name = "prometheus-text"
    # Its scores need HELP or TYPE comments, or samples.
    hints = ("# HELP ", "# TYPE ", _LINE)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        typed = sum(1 for line in lines if line.startswith(("# HELP ", "# TYPE ")))
        samples = sum(1 for line in lines if not line.startswith("#") and _LINE.match(line))
        if typed and typed + samples >= 0.9 * len(lines):
            return 0.9
        if samples == len(lines) and all("{" in line for line in lines[:5]):
            return 0.5
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        series = 0
        histograms = Histograms()
        counters = CounterSums(ctx)
        samples: list[_Sample] = []
        for number, line in enumerate(text.splitlines(), start=1):
            name = metric_name(line)
            if name is not None and name.endswith("_bucket"):
                histograms.add(name.removesuffix("_bucket"), line, number, ctx)
                continue
            if name in COUNTER_SUMS:
                counters.add(name, line, number)
                continue
            if name not in WANTED:
                continue
            found = _LINE.match(line)
            labels = parse_labels(found.group("labels") or "") if found else None
            value = _number(found.group("value")) if found else None
            if found is None or labels is None or value is None:
                result.malformed += 1
                continue
            series += 1
            if series > MAX_SERIES:
                break
            samples.append((number, line, name, labels, value, found.group("ts")))
        each_record(result, samples, lambda sample: self._sample(result, ctx, *sample))
        histograms.facts(result, ctx)
        counters.facts(result)
        return result

    def _sample(
        self,
        result: ParseResult,
        ctx: Context,
        number: int,
        line: str,
        metric: str,
        labels: dict[str, str],
        number_value: float,
        timestamp: str | None,
    ) -> bool:
        # cAdvisor's pod-level cgroups (container="") are sums of their containers: skip them.
        if metric.startswith("container_") and not labels.get("container") and labels.get("pod"):
            return True
        entity = _entity(labels, ctx.node)
        value: Value = int(number_value) if number_value.is_integer() else round(number_value, 6)
        moment = unix_time(int(timestamp) / 1000) if timestamp else None
        name = fact_name(metric, labels, entity)
        result.entities.append(entity)
        evidence = Evidence(ctx.source, number, moment, line.strip()).clipped()
        if name is not None:
            result.facts.append(Fact(name, entity, value, evidence))
        if metric in ("container_threads", "node_processes_threads"):
            result.records.append(
                Record(line.strip(), number, Stamp(moment) if moment else None, entity)
            )
        return True


class CounterSums:
    """The counters of ``COUNTER_SUMS``, each summed over its series with the label value it
    names, as a fact of the program that exports it; the first such series is the evidence."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.sums: dict[str, float] = {}
        self.first: dict[str, Evidence] = {}
        self.malformed = 0

    def add(self, metric: str, line: str, number: int) -> None:
        label, wanted, _ = COUNTER_SUMS[metric]
        found = _LINE.match(line)
        labels = parse_labels(found.group("labels") or "") if found else None
        value = _number(found.group("value")) if found else None
        if labels is None or value is None:
            self.malformed += 1
        elif labels.get(label) == wanted:
            self.sums[metric] = self.sums.get(metric, 0.0) + value
            self.first.setdefault(metric, Evidence(self.ctx.source, number, None, line.strip()))

    def facts(self, result: ParseResult) -> None:
        result.malformed += self.malformed
        for metric, total in self.sums.items():
            program = emitter_of(metric) or metric.split("_", 1)[0]
            entity = Entity.component(program, self.ctx.node)
            result.entities.append(entity)
            evidence = self.first[metric].clipped()
            result.facts.append(Fact(COUNTER_SUMS[metric][2], entity, int(total), evidence))


# A metric's namespace names the program that exports it (etcd_disk_..., apiserver_request_...).
_EMITTERS = {
    "etcd": "etcd",
    "apiserver": "kube-apiserver",
    "kubelet": "kubelet",
    "coredns": "coredns",
    "scheduler": "kube-scheduler",
}


def emitter_of(metric: str) -> str | None:
    """The program whose metric namespace ``metric`` is in (``apiserver_...``: kube-apiserver)."""
    return _EMITTERS.get(metric.split("_", 1)[0])


class Histograms:
    """Every histogram in an exposition, summed over its series per entity: the tail of a
    latency is what says a disk or a server is slow (``etcd_disk_wal_fsync_duration_seconds``:
    p99 above 10 ms is a slow disk for etcd), and a sum and a count alone hide it."""

    def __init__(self) -> None:
        self.buckets: dict[tuple[str, Entity], dict[float, float]] = {}
        self.first: dict[tuple[str, Entity], tuple[int, str]] = {}

    def add(self, family: str, line: str, number: int, ctx: Context) -> None:
        found = _LINE.match(line)
        labels = parse_labels(found.group("labels") or "") if found else None
        if found is None or labels is None or "le" not in labels:
            return
        try:
            bound, count = float(labels.pop("le")), float(found.group("value"))
        except ValueError:
            return
        if math.isnan(count):
            return
        entity = _entity(labels, ctx.node)
        emitter = emitter_of(family)
        if emitter and entity.kind in ("node", "cluster"):
            entity = Entity.component(emitter, ctx.node)
        key = (family, entity)
        per_bound = self.buckets.setdefault(key, {})
        per_bound[bound] = per_bound.get(bound, 0.0) + count
        self.first.setdefault(key, (number, line.strip()))

    def facts(self, result: ParseResult, ctx: Context) -> None:
        for (family, entity), per_bound in self.buckets.items():
            bounds = sorted(per_bound.items())
            total = bounds[-1][1] if bounds else 0.0
            if total <= 0 or not math.isinf(bounds[-1][0]):
                continue
            number, _ = self.first[(family, entity)]
            stem = "metrics." + family.replace(":", "_")
            for name, q in (("p50", 0.5), ("p99", 0.99)):
                value = quantile(bounds, q)
                shown = f"{family}: {name} {value:g} s over {int(total)} observations"
                evidence = Evidence(ctx.source, number, None, shown)
                result.facts.append(Fact(f"{stem}.{name}", entity, round(value, 6), evidence))
            result.entities.append(entity)


def quantile(bounds: list[tuple[float, float]], q: float) -> float:
    """The q-quantile of cumulative buckets [(le, count)], interpolated inside its bucket as
    Prometheus' histogram_quantile does; the highest finite bound when it falls in +Inf.

    >>> quantile([(0.01, 90.0), (0.1, 99.0), (1.0, 100.0), (math.inf, 100.0)], 0.99)
    0.1
    """
    total = bounds[-1][1]
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in bounds:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return lower_bound


FORMATS = [PromTextFormat()]
