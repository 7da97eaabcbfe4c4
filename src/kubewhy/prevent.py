"""Prometheus alerting rules from the knowledge base: every failure mode's ``prevention.alerts``.

One rule group per failure mode; each rule carries ``labels.severity``, ``labels.failure_mode``,
a ``runbook`` annotation (the command that explains it: ``kubewhy explain <id>``) and a
``runbook_url`` annotation (its runbook page, ``<base>/<id>.md``, written by ``kubewhy runbooks``;
the base is :data:`RUNBOOK_BASE_URL` unless ``--runbook-url`` or ``KUBEWHY_RUNBOOK_URL`` says
otherwise). Thresholds are written ``{name}`` in an
expression; their defaults come from the failure-mode file and can be overridden for every
alert (``ratio=0.7``) or for one alert (``KubewhyNodePidUsageHigh.ratio=0.7``).

>>> from kubewhy.kb.schema import AlertRule
>>> rule = AlertRule.model_validate({"alert": "KubewhyUpLow", "expr": 'up{job="a"} < {ratio}',
...     "severity": "warning", "summary": "s", "description": "d", "thresholds": {"ratio": 0.5}})
>>> fill_thresholds(rule, {"KubewhyUpLow.ratio": 0.25})
'up{job="a"} < 0.25'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import yaml

from kubewhy import __version__
from kubewhy.errors import UsageError
from kubewhy.kb.load import KnowledgeBase, KnowledgeBaseError
from kubewhy.kb.schema import AlertRule, FailureMode

# The project's repository, as pyproject.toml's [project.urls] says (a test keeps them equal);
# the runbook pages are committed there under docs/runbooks.
REPOSITORY = "https://github.com/kubewhy/kubewhy"
RUNBOOK_BASE_URL = f"{REPOSITORY}/blob/main/docs/runbooks"

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_OVERRIDE = re.compile(r"^(?:(Kubewhy[A-Za-z0-9]+)\.)?([a-z_][a-z0-9_]*)$")
_DURATION = re.compile(r"^(?:0|(?:\d+(?:ms|s|m|h|d|w|y))+)$")


class AlertFormat(StrEnum):
    PROMETHEUS = "prometheus"  # a rule file for Prometheus' rule_files
    PROMETHEUSRULE = "prometheusrule"  # a prometheus-operator PrometheusRule object


def number_text(value: float) -> str:
    """A threshold as PromQL reads it.

    >>> number_text(5000.0), number_text(0.8), number_text(1e-05)
    ('5000', '0.8', '1e-05')
    """
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_overrides(items: Iterable[str]) -> dict[str, float]:
    """``--set`` options: ``name=value`` or ``<alert>.<name>=value``.

    >>> parse_overrides(["ratio=0.7", "KubewhyNodePidUsageHigh.ratio=0.6"])
    {'ratio': 0.7, 'KubewhyNodePidUsageHigh.ratio': 0.6}
    """
    out: dict[str, float] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not _OVERRIDE.match(key):
            raise UsageError(f"--set {item!r}: use name=value or KubewhyAlert.name=value")
        out[key] = _number(raw, f"--set {item!r}")
    return out


def parse_threshold_file(text: str, origin: str = "thresholds file") -> dict[str, float]:
    """A YAML mapping of thresholds: ``name: value`` for every alert, ``KubewhyAlert: {name:
    value}`` for one.

    >>> parse_threshold_file("ratio: 0.7\\nKubewhyZombieProcesses: {zombies: 50}")
    {'ratio': 0.7, 'KubewhyZombieProcesses.zombies': 50.0}
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{origin}: not valid YAML: {exc}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UsageError(f"{origin}: expected a mapping of threshold names to numbers")
    out: dict[str, float] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            for name, inner in value.items():
                out.update(parse_overrides([f"{key}.{name}={inner}"]))
        else:
            out.update(parse_overrides([f"{key}={value}"]))
    return out


def parse_durations(items: Iterable[str]) -> dict[str, str]:
    """``--for`` options: ``KubewhyAlert=duration`` (a Prometheus duration, e.g. ``0s``, ``1h30m``).

    >>> parse_durations(["KubewhyZombieProcesses=30s"])
    {'KubewhyZombieProcesses': '30s'}
    """
    out: dict[str, str] = {}
    for item in items:
        alert, sep, duration = (part.strip() for part in item.partition("="))
        if not sep or not alert.startswith("Kubewhy") or not _DURATION.match(duration):
            raise UsageError(f"--for {item!r}: use KubewhyAlert=<duration> (e.g. 0s, 5m, 1h30m)")
        out[alert] = duration
    return out


def _number(raw: object, where: str) -> float:
    try:
        return float(str(raw).strip())
    except ValueError:
        raise UsageError(f"{where}: {raw!r} is not a number") from None


def fill_thresholds(rule: AlertRule, overrides: Mapping[str, float]) -> str:
    """The rule's expression with every ``{name}`` replaced by its threshold."""
    values = dict(rule.thresholds)
    for key, value in overrides.items():
        alert, _, name = key.rpartition(".")
        if name in values and alert in ("", rule.alert):
            if alert == "" and f"{rule.alert}.{name}" in overrides:
                continue  # the alert's own override wins over the shared one
            values[name] = value

    def one(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in values:
            raise KnowledgeBaseError(f"{rule.alert}: expr uses {{{name}}} without a threshold")
        return number_text(values[name])

    return _PLACEHOLDER.sub(one, rule.expr)


def _unused(kb: KnowledgeBase, overrides: Mapping[str, float]) -> list[str]:
    known = {(a.alert, n) for fm in kb for a in fm.prevention.alerts for n in a.thresholds}
    names = {n for _, n in known}
    unused = []
    for key in overrides:
        alert, _, name = key.rpartition(".")
        if (alert and (alert, name) not in known) or (not alert and name not in names):
            unused.append(key)
    return unused


def runbook_url(base: str, failure_mode: str) -> str:
    """The page of one failure mode under a base URL.

    >>> runbook_url("https://runbooks.example.com/kubewhy/", "zombie-processes")
    'https://runbooks.example.com/kubewhy/zombie-processes.md'
    """
    if "://" not in base or any(c.isspace() for c in base):
        raise UsageError(f"--runbook-url {base!r}: use an absolute URL (https://...)")
    return f"{base.rstrip('/')}/{failure_mode}.md"


def _rule(
    fm: FailureMode,
    alert: AlertRule,
    overrides: Mapping[str, float],
    durations: Mapping[str, str],
    runbooks: str,
) -> dict[str, Any]:
    return {
        "alert": alert.alert,
        "expr": " ".join(fill_thresholds(alert, overrides).split()),
        "for": durations.get(alert.alert, alert.for_),
        "labels": {"severity": alert.severity, "failure_mode": fm.id},
        "annotations": {
            "summary": alert.summary,
            "description": alert.description,
            "runbook": f"kubewhy explain {fm.id}",
            "runbook_url": runbook_url(runbooks, fm.id),
        },
    }


def rule_groups(
    kb: KnowledgeBase,
    overrides: Mapping[str, float],
    durations: Mapping[str, str] | None = None,
    runbook_url: str | None = None,
) -> list[dict[str, Any]]:
    """One group per failure mode that has alerts, in id order; ``runbook_url`` is the base URL
    of the runbook pages (:data:`RUNBOOK_BASE_URL` when None)."""
    runbooks = runbook_url or RUNBOOK_BASE_URL
    durations = durations or {}
    unused = _unused(kb, overrides)
    if unused:
        raise UsageError(f"no alert has a threshold named {', '.join(sorted(unused))}")
    alerts = {a.alert for fm in kb for a in fm.prevention.alerts}
    unknown = sorted(set(durations) - alerts)
    if unknown:
        raise UsageError(f"--for: no alert named {', '.join(unknown)}")
    groups = []
    for fm in sorted(kb, key=lambda f: f.id):
        if fm.prevention.alerts:
            rules = [
                _rule(fm, alert, overrides, durations, runbooks) for alert in fm.prevention.alerts
            ]
            groups.append({"name": f"kubewhy-{fm.id}", "rules": rules})
    return groups


def render_alerts(
    kb: KnowledgeBase,
    fmt: AlertFormat | str,
    overrides: Mapping[str, float],
    durations: Mapping[str, str] | None = None,
    runbook_url: str | None = None,
) -> str:
    """The rules as YAML: a Prometheus rule file or a ``PrometheusRule`` object.

    ``overrides`` replace thresholds (see :func:`parse_overrides`), ``durations`` replace an
    alert's ``for`` (see :func:`parse_durations`), ``runbook_url`` the runbook pages' base URL.
    """
    try:
        fmt = AlertFormat(fmt)
    except ValueError:
        raise UsageError(f"--format {fmt!r}: use prometheus or prometheusrule") from None
    groups = rule_groups(kb, overrides, durations, runbook_url)
    count = sum(len(g["rules"]) for g in groups)
    head = (
        f"# Alerting rules generated by kubewhy {__version__} from its knowledge base: "
        f"{count} alerts for {len(groups)} failure modes.\n"
        "# Each alert's runbook annotation names the command that explains it, and its\n"
        "# runbook_url annotation links its runbook page (kubewhy runbooks).\n"
    )
    document: dict[str, Any] = {"groups": groups}
    if fmt is AlertFormat.PROMETHEUSRULE:
        document = {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {
                "name": "kubewhy-failure-modes",
                "labels": {"app.kubernetes.io/name": "kubewhy", "role": "alert-rules"},
            },
            "spec": {"groups": groups},
        }
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=10000)
    return head + body
