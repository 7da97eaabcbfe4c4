"""Next steps as the reader types them: which are commands, and filling the names a failure
mode's generic step leaves open (``<pod>``, ``NS``) with the ones the evidence knows.

A step keeps a placeholder only when the evidence does not name it, and then it says so, so a
reader never runs ``kubectl delete pod <pod>`` wondering which pod was meant.

>>> names = {"pod": "web-1", "namespace": "shop"}
>>> fill_step("kubectl delete pod <pod> -n <ns>", names)
'kubectl delete pod web-1 -n shop'
>>> fill_step("kubectl delete pod <leaking pod>", names)
'kubectl -n shop delete pod web-1'
>>> fill_step("kubectl logs POD -n NS -c CONTAINER --previous", names)
'kubectl logs web-1 -n shop -c CONTAINER --previous   # CONTAINER: not in the evidence, fill in'
>>> fill_step("kill -QUIT PID   # dumps the PID's stacks", {"pid": "42"})
"kill -QUIT 42   # dumps the PID's stacks"
>>> fill_step("restart the pod <pod> on <node>", names)
'restart the pod web-1 on <node> (<node>: not in the evidence, fill in)'
>>> fill_step("crictl pull IMAGE", names)
'crictl pull IMAGE   # IMAGE: not in the evidence, fill in'
>>> fill_step("kubectl get events -o custom-columns=NODE:.source.host", {"node": "n1"})
'kubectl get events -o custom-columns=NODE:.source.host'
"""

from __future__ import annotations

import re
from collections.abc import Mapping

COMMANDS = frozenset(
    "kubectl kubeadm kubewhy crictl docker ctr systemctl journalctl sysctl cat grep find ps top "
    "kill ls awk sar vmstat free dmesg mount umount df du conntrack ip iptables ipvsadm echo for "
    "etcdctl curl openssl chronyc timedatectl sed tail head time fio ionice nsenter pidof "
    "kdump-config ulimit".split()
)


def looks_like_command(step: str) -> bool:
    """A remediation step to type (shown after ``$``) rather than advice in prose.

    >>> looks_like_command("sysctl -w kernel.pid_max=4194304")
    True
    >>> looks_like_command("restart kubelet once the daemon answers")
    False
    >>> looks_like_command("ETCDCTL_API=3 etcdctl endpoint health")
    True
    """
    words = [w for w in step.split() if "=" not in w or w.startswith("-")]
    return bool(words) and words[0] in COMMANDS


# Each placeholder spelling the knowledge base uses, and the name it stands for. Upper-case
# words count only standing alone (POD_IP and NODE1 are other placeholders, DNS is a word).
_ANGLED = {
    "pod": "pod",
    "leaking pod": "pod",
    "node": "node",
    "ns": "namespace",
    "namespace": "namespace",
    "container": "container",
    "pid": "pid",
}
_UPPER = {"POD": "pod", "NS": "namespace", "NODE": "node", "CONTAINER": "container", "PID": "pid"}
# Placeholders of commands that the evidence never fills here: they are only flagged.
_UNKNOWN = ("NAME", "IMAGE", "TAG", "MEMBER_ID", "MEMBER_URL", "ALL_MEMBERS", "API_HOST", "IP")
# A word followed by ":." is a column's title in kubectl's custom-columns, not a placeholder.
PLACEHOLDER = re.compile(
    r"<(" + "|".join(re.escape(k) for k in _ANGLED) + r")>"
    r"|(?<![A-Za-z0-9_$])(" + "|".join([*_UPPER, *_UNKNOWN]) + r")(?![A-Za-z0-9_]|:\.)"
)
_NEEDS_NAMESPACE = re.compile(
    r"kubectl (?:exec|delete pod|logs|describe pod|get pod|top pod|debug) "
)
_HAS_NAMESPACE = re.compile(r"(?:^|\s)(?:-n|--namespace|-A|--all-namespaces)(?:[\s=]|$)")
# Any other angled placeholder a step carries (<pod CIDR>, <members>): never known here.
_OTHER = re.compile(r"<[a-zA-Z][a-zA-Z0-9 +_-]*>")


def fill_step(step: str, names: Mapping[str, str]) -> str:
    """``step`` with every placeholder the evidence names filled; the others listed after it."""
    text, unfilled = _filled(step, names)
    if not unfilled:
        return text
    note = f"{', '.join(unfilled)}{_NOTE}"
    if looks_like_command(step):
        return f"{text}; {note}" if "   #" in text else f"{text}   # {note}"
    return f"{text} ({note})"


_NOTE = ": not in the evidence, fill in"
_NOTED = re.compile(r"(?:   # |; | \()[^#;()]*" + re.escape(_NOTE) + r"\)?$")


def unfilled_placeholders(step: str) -> list[str]:
    """The placeholders left in a step, however it says so.

    >>> unfilled_placeholders("kubectl delete pod <pod>   # <pod>: not in the evidence, fill in")
    ['<pod>']
    >>> unfilled_placeholders("cat /proc/PID/stack   # the PID's stack")
    ['PID']
    """
    return _filled(_NOTED.sub("", step), {})[1]


def _filled(step: str, names: Mapping[str, str]) -> tuple[str, list[str]]:
    unfilled: list[str] = []
    # A comment after a command is prose, and so is advice: there PID is the word, not a
    # placeholder (``the zombies go with their PID namespace``).
    command = looks_like_command(step)
    body, sep, comment = step.partition("   #") if command else (step, "", "")

    def one(match: re.Match[str]) -> str:
        if match.group(2) in ("PID", *_UNKNOWN) and not command:
            return match.group(0)
        name = _ANGLED[match.group(1)] if match.group(1) else _UPPER.get(match.group(2), "")
        value = names.get(name)
        if value:
            return value
        if match.group(0) not in unfilled:
            unfilled.append(match.group(0))
        return match.group(0)

    text = PLACEHOLDER.sub(one, body)
    unfilled += [other for other in dict.fromkeys(_OTHER.findall(text)) if other not in unfilled]
    text += sep + comment
    # The pod is named now, so kubectl must look in its namespace, not the default one.
    pod, namespace = names.get("pod"), names.get("namespace")
    bare = _NEEDS_NAMESPACE.match(text) and not _HAS_NAMESPACE.search(text)
    if pod and namespace and pod in text and bare:
        text = f"kubectl -n {namespace} {text[len('kubectl ') :]}"
    return text, unfilled


_TEMPLATE = re.compile(
    r"\{\{\s*\$labels\.([A-Za-z_]+)\s*\}\}|\{\{\s*\$value\s*(?:\|\s*(\w+)\s*)?\}\}|\{\{[^{}]*\}\}"
)
# Prometheus' value filters, said as the reader reads the value when the alert fires.
_VALUE = {"humanizePercentage": "N%", "humanizeDuration": "a duration N"}
_LABELS = {"instance": "node"}


def alert_advice(alert: str, summary: str, names: Mapping[str, str]) -> str:
    """A Prometheus alert as advice: its name, how to get it, and when it fires, with the
    labels the evidence knows filled in (never a raw ``{{ $labels.x }}`` template).

    >>> alert_advice("KubewhyX", "Pod {{ $labels.pod }} on {{ $labels.instance }} is at "
    ...     "{{ $value | humanizePercentage }}", {"pod": "web-1"})
    'alert KubewhyX (kubewhy alerts): fires when Pod web-1 on the instance is at N%'
    """

    def one(match: re.Match[str]) -> str:
        label = match.group(1)
        if label is None:
            return _VALUE.get(match.group(2) or "", "N")  # the measured value at firing time
        return names.get(_LABELS.get(label, label)) or f"the {label.lower()}"

    return f"alert {alert} (kubewhy alerts): fires when {_TEMPLATE.sub(one, summary)}"
