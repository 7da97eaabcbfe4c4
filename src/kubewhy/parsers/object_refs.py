"""The pod a log line is about, in the forms the emitters print it.

A refused, evicted or crashing workload is named inside the message, not in a field: kubewhy's
findings about such a workload (an admission refusal, a PodDisruptionBudget blocking a drain, a
volume already in use) blame the pod the line names. Each form below is one emitter's own:

- the API server's Forbidden error, ``<resource> "<name>" is forbidden: ...`` (k8s.io/apimachinery
  pkg/api/errors NewForbidden); a controller's create carries the generateName prefix, which ends
  in ``-`` (``pods "web-7c6db97676-" is forbidden``);
- kubectl drain, ``evicting pod <ns>/<name>`` and ``error when evicting pods/"<name>" -n "<ns>"``
  (k8s.io/kubectl pkg/drain; before 1.19 ``error when evicting pod "<name>"``);
- the attach/detach controller, ``Volume is already used by pod(s) <name>[, <name>]``;
- the kubelet: klog's ``pod="<ns>/<name>"`` (KObj), and format.Pod's ``<name>_<ns>(<uid>)`` in
  ``pod "..."``, ``pod: "..."`` and ``pod=...``;
- events: ``Event(v1.ObjectReference{Kind:"Pod", Namespace:"<ns>", Name:"<name>"`` (the
  kubelet's and controllers' event log line), the structured ``object="<ns>/<name>" kind="Pod"``,
  and kubectl's ``pod/<name>`` (the object column of ``kubectl get events``; ``Pod/<name>``
  before 1.14);
- Docker: the kubelet's container names ``k8s_<container>_<pod>_<ns>_<uid>_<attempt>`` and the
  ``io.kubernetes.pod.name=<name>`` label in ``docker events``;
- kube-state-metrics: the ``namespace="<ns>",pod="<name>"`` labels of its pod series.

>>> named_pod('Error creating: pods "chart-operator-7c6db97676-" is forbidden: pods with')
('chart-operator-7c6db97676', None)
>>> named_pod('error when evicting pods/"tekton-webhook-747547fc7c-qg556" -n "tekton" (will retry')
('tekton-webhook-747547fc7c-qg556', 'tekton')
>>> named_pod('runAsNonRoot ... (pod: "mongodb-0_mongodb(e29ddd4d-aff8-43a8-9040-ee4bf168919a)"')
('mongodb-0', 'mongodb')
>>> named_pod("Multi-Attach error ... Volume is already used by pod(s) demo-5ddfc-2mpzs, other")
('demo-5ddfc-2mpzs', None)
>>> named_pod("dial tcp 10.96.0.1:443: i/o timeout") is None
True
"""

from __future__ import annotations

import re

from kubewhy.model.entities import Entity

# A pod name is a DNS subdomain (253 characters at most); a namespace a DNS label (63).
_NAME = r"(?P<name>[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?-?)"
_NS = r"(?P<ns>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)"
_UID = r"\([0-9a-f]{8}-?[0-9a-f-]{0,27}\)"

# Strongest first: the line that names the pod at fault beats one that only mentions a pod.
_FORMS = [
    re.compile(r"Volume is already used by pods?(?:\(s\))? " + _NAME + r"(?:,|\s|$)"),
    re.compile(r"\bpods? \"" + _NAME + r"\" is forbidden"),
    re.compile(r"error when evicting pods/\"" + _NAME + r"\" -n \"" + _NS + r"\""),
    re.compile(r"error when evicting pod \"" + _NAME + r"\""),
    re.compile(r"\bevicting pod " + _NS + r"/" + _NAME + r"(?:\s|$)"),
    re.compile(r"\bpod=\"" + _NS + r"/" + _NAME + r"\""),
    re.compile(r"\bpod(?::|=| ) ?\"?" + _NAME + r"_" + _NS + _UID),
    re.compile(
        r"ObjectReference\{Kind:\"Pod\", Namespace:\"" + _NS + r"\", Name:\"" + _NAME + r"\""
    ),
    re.compile(r"\bobject=\"" + _NS + r"/" + _NAME + r"\" kind=\"Pod\""),
    re.compile(r"\bio\.kubernetes\.pod\.name=" + _NAME + r"(?:[,)\s]|$)"),
    re.compile(r"\bk8s_[^_\s]+_" + _NAME + r"_" + _NS + r"_[0-9a-f-]+_\d+\b"),
    re.compile(r"(?:^|\s)[Pp]ods?/" + _NAME + r"(?:\s|$)"),
    re.compile(r"\bnamespace=\"" + _NS + r"\",pod=\"" + _NAME + r"\""),
    re.compile(r"\bpod=\"" + _NAME + r"\""),
]


def named_pod(line: str) -> tuple[str, str | None] | None:
    """The pod (name, namespace or None) the line names, by the strongest form it holds."""
    for form in _FORMS:
        found = form.search(line)
        if found is not None:
            name = found.group("name").rstrip("-")
            namespace = found.groupdict().get("ns")
            if name:
                return name, namespace
    return None


def pod_ref(groups: dict[str, str], line: str) -> str | None:
    """The pod a matched line is about, as its ``Entity.ref()``: the pattern's own ``pod`` (and
    ``namespace``) group, else the pod the line's words name.

    >>> pod_ref({}, 'pods "rec-0" is forbidden: unable to validate'), pod_ref({"pod": "a"}, "")
    ('pod/rec-0', 'pod/a')
    """
    named = (groups["pod"], groups.get("namespace")) if groups.get("pod") else named_pod(line)
    return Entity.pod(*named).ref() if named is not None else None
