"""Kubelet settings: its command line, a ``KubeletConfiguration`` file and ``/configz``.

The command line comes from ``ps``, a systemd unit (``ExecStart=``, ``Environment=``), an env
file (``KUBELET_KUBEADM_ARGS="--..."``) or ``cat /proc/<pid>/cmdline`` (NUL-separated)::

    /usr/bin/kubelet --kube-api-qps=5 --kube-reserved=cpu=140m,memory=3436Mi \\
        --eviction-hard=nodefs.available<10%,memory.available<100Mi --fail-swap-on=false

The config file is YAML or JSON with ``kind: KubeletConfiguration``; ``/configz`` answers
``{"kubeletconfig": {...}}`` with the same keys. Only settings actually present become
``kubelet.*`` facts: defaults are the reasoning's business, not the parser's. A ``kubelet
--version`` answer (``Kubernetes v1.11.2``) next to the command line gives node.kubelet_version.

>>> r = KubeletFormat().parse("/usr/bin/kubelet --kube-api-qps=5 --pod-max-pids=1024",
...                           Context("cmdline", node="n1"))
>>> [(f.name, f.value) for f in r.facts]
[('kubelet.kube_api_qps', 5), ('kubelet.pod_pids_limit', 1024), ('kubelet.config_source', 'flags')]
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult
from kubewhy.parsers.loading import CapReachedError, json_document, yaml_document
from kubewhy.parsers.objects import parse_quantity
from kubewhy.parsers.sessions import prompt_of


def _number(raw: object) -> Value | None:
    try:
        value = float(str(raw).strip("\"'"))
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def _integer(raw: object) -> Value | None:
    value = _number(raw)
    return value if isinstance(value, int) else None


def _boolean(raw: object) -> Value | None:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip("\"'").lower()
    if text in ("true", "1", "t"):
        return True
    if text in ("false", "0", "f"):
        return False
    return None


def _text(raw: object) -> Value | None:
    if isinstance(raw, Mapping):
        return None
    text = str(raw).strip("\"'")
    return text or None


def _setting(raw: object) -> Value | None:
    """A path kept even when empty: ``resolvConf: ""`` turns the host's DNS off for pods."""
    if isinstance(raw, Mapping) or raw is None:
        return None
    return str(raw).strip("\"'")


def _addresses(raw: object) -> Value | None:
    """``clusterDNS: [a, b]`` or ``--cluster-dns=a,b``, as ``a,b``."""
    if isinstance(raw, Mapping) or raw is None:
        return None
    items = raw if isinstance(raw, list) else str(raw).strip("\"'").split(",")
    joined = ",".join(str(item).strip() for item in items if str(item).strip())
    return joined or None


Convert = Callable[[object], Value | None]

# flag -> (fact, conversion); config key -> flag it mirrors.
FLAGS: dict[str, tuple[str, Convert]] = {
    "kube-api-qps": ("kubelet.kube_api_qps", _number),
    "kube-api-burst": ("kubelet.kube_api_burst", _integer),
    "event-qps": ("kubelet.event_qps", _number),
    "registry-qps": ("kubelet.registry_qps", _number),
    "serialize-image-pulls": ("kubelet.serialize_image_pulls", _boolean),
    "max-parallel-image-pulls": ("kubelet.max_parallel_image_pulls", _integer),
    "pod-max-pids": ("kubelet.pod_pids_limit", _integer),
    "max-pods": ("kubelet.max_pods", _integer),
    "eviction-hard": ("kubelet.eviction_hard", _text),
    "kube-reserved": ("kubelet.kube_reserved", _text),
    "system-reserved": ("kubelet.system_reserved", _text),
    "fail-swap-on": ("kubelet.fail_swap_on", _boolean),
    "cgroup-driver": ("kubelet.cgroup_driver", _text),
    "resolv-conf": ("kubelet.resolv_conf", _setting),
    "cluster-dns": ("kubelet.cluster_dns", _addresses),
}
CONFIG_KEYS: dict[str, str] = {
    "kubeAPIQPS": "kube-api-qps",
    "kubeAPIBurst": "kube-api-burst",
    "eventRecordQPS": "event-qps",
    "registryPullQPS": "registry-qps",
    "serializeImagePulls": "serialize-image-pulls",
    "maxParallelImagePulls": "max-parallel-image-pulls",
    "podPidsLimit": "pod-max-pids",
    "maxPods": "max-pods",
    "evictionHard": "eviction-hard",
    "kubeReserved": "kube-reserved",
    "systemReserved": "system-reserved",
    "failSwapOn": "fail-swap-on",
    "cgroupDriver": "cgroup-driver",
    "resolvConf": "resolv-conf",
    "clusterDNS": "cluster-dns",
}
_BOOL_FLAGS = {flag for flag, (_, convert) in FLAGS.items() if convert is _boolean}

_KUBELET_WORD = re.compile(r"(?:^|[\s/=\"'])kubelet(?:\s|$|\x00)")
_FLAG = re.compile(r"--([a-z][a-z0-9-]*)(?:=((?:\"[^\"]*\"|'[^']*'|[^\s\"'\x00])*))?")
_ARGS_ENV = re.compile(r"^\s*(?:Environment=)?\"?KUBELET_\w*ARGS=")
_EXEC_START = re.compile(r"^\s*ExecStart=\S*kubelet\b")
# The kubelet binary at the start of a command line (a ps row puts it after its columns).
_BINARY = re.compile(r"(?:^|\s)(?:/\S*/)?kubelet\s+--")
_PS_HEADER = re.compile(r"^\s*(?:USER|UID)?\s*PID\s")
_VERSION = re.compile(r"^\s*Kubernetes\s+(v\d+\.\d+\S*)\s*$")


def eviction_memory_bytes(eviction_hard: str) -> int | None:
    """The ``memory.available`` threshold in bytes, when given as a quantity (not a percentage).

    >>> eviction_memory_bytes("nodefs.available<10%,memory.available<100Mi")
    104857600
    """
    found = re.search(r"memory\.available<([^,\s]+)", eviction_hard)
    if not found or found.group(1).endswith("%"):
        return None
    return parse_quantity(found.group(1))


def flag_facts(
    line: str, node: Entity, evidence: Evidence, seen: set[str] | None = None
) -> tuple[list[Fact], str | None]:
    """Facts from the kubelet flags on one line, and the ``--hostname-override`` if given."""
    facts: list[Fact] = []
    hostname: str | None = None
    text = line.replace("\x00", " ")
    for found in _FLAG.finditer(text):
        flag, raw = found.group(1), found.group(2)
        if raw is None:
            following = text[found.end() :].split(None, 1)
            nearby = following[0] if following else ""
            if flag in _BOOL_FLAGS:
                raw = nearby if nearby.lower() in ("true", "false") else "true"
            elif nearby and not nearby.startswith("-"):
                raw = nearby
            else:
                continue
        raw = raw.strip("\"'")
        if flag == "hostname-override":
            hostname = raw or None
            continue
        if flag not in FLAGS:
            continue
        name, convert = FLAGS[flag]
        value = convert(raw)
        if value is None:
            continue
        if seen is not None:
            seen.add(name)
        facts.append(Fact(name, node, value, evidence))
        if name == "kubelet.eviction_hard" and isinstance(value, str):
            memory = eviction_memory_bytes(value)
            if memory is not None:
                facts.append(
                    Fact("kubelet.eviction_memory_available_bytes", node, memory, evidence)
                )
    return facts, hostname


def _map_text(value: Mapping[str, Any], separator: str) -> str:
    return ",".join(f"{key}{separator}{item}" for key, item in value.items())


def _config_value(key: str, value: Any) -> object:
    if isinstance(value, Mapping):
        # evictionHard {memory.available: 100Mi} reads like the flag: memory.available<100Mi.
        return _map_text(value, "<" if key == "evictionHard" else "=")
    return value


class KubeletFormat:
    name = "kubelet-config"
    # What each score needs: a KubeletConfiguration, ExecStart of the kubelet, a KUBELET_*ARGS
    # variable, or a command line's flags (_FLAG).
    hints = (
        "KubeletConfiguration",
        '"kubeletconfig"',
        "ExecStart=",
        "KUBELET_",
        re.compile("--[a-z]"),
    )

    def sniff(self, head: Sequence[str]) -> float:
        # A prompt's command line (`journalctl -u kubelet --since ...`) is not the kubelet's.
        lines = [line for line in head if line.strip() and prompt_of(line) is None]
        if not lines:
            return 0.0
        joined = "\n".join(lines)
        if (
            re.search(r"kind\"?\s*:\s*\"?KubeletConfiguration", joined)
            or '"kubeletconfig"' in joined
        ):
            return 0.95
        if any(_EXEC_START.match(line) for line in lines):
            return 0.9
        if any(_ARGS_ENV.match(line) and "--" in line for line in lines):
            return 0.85
        # "--" and "kubelet" in line first (every flag has "--"): C-level tests that spare the
        # unanchored regexes most lines of other logs (thousands of small files are sniffed).
        command_lines = sum(
            1
            for line in lines
            if "--" in line
            and "kubelet" in line
            and _KUBELET_WORD.search(line)
            and len(_FLAG.findall(line)) >= 2
        )
        if command_lines and command_lines >= 0.5 * len(lines):
            return 0.9
        # A transcript around `ps -ef | grep kubelet`; a full ps listing is the ps reader's.
        if not any(_PS_HEADER.match(line) for line in lines[:3]) and any(
            "--" in line
            and "kubelet" in line
            and _BINARY.search(line)
            and len(_FLAG.findall(line)) >= 3
            for line in lines
        ):
            return 0.85
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        stripped = text.lstrip()
        if stripped.startswith("{") and '"kubeletconfig"' in text[:200]:
            return self._config(text, ctx, "configz")
        if re.search(r"^\s*\"?kind\"?\s*:\s*\"?KubeletConfiguration", text, re.M):
            return self._config(text, ctx, "config file")
        return self._flags(text, ctx)

    def _flags(self, text: str, ctx: Context) -> ParseResult:
        result = ParseResult()
        node_name = ctx.node
        facts: list[Fact] = []
        placeholder = Entity.for_node(UNKNOWN_NODE)
        for number, line in enumerate(text.replace("\x00", " ").splitlines(), start=1):
            version = _VERSION.match(line)
            if version:  # what `kubelet --version` prints
                evidence = Evidence(ctx.source, number, None, line.strip())
                facts.append(Fact("node.kubelet_version", placeholder, version.group(1), evidence))
                continue
            if "--" not in line:
                continue
            evidence = Evidence(ctx.source, number, None, line.strip())
            found, hostname = flag_facts(line, placeholder, evidence)
            facts.extend(found)
            node_name = node_name or hostname
        node = Entity.for_node(node_name or UNKNOWN_NODE)
        result.entities.append(node)
        result.facts = [Fact(f.name, node, f.value, f.evidence) for f in facts]
        flags = [f for f in facts if f.name.startswith("kubelet.")]
        if flags:
            result.facts.append(Fact("kubelet.config_source", node, "flags", flags[0].evidence))
        return result

    def _config(self, text: str, ctx: Context, source: str) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])
        config = _load(text, result)
        if source == "configz":
            inner = config.get("kubeletconfig")
            config = inner if isinstance(inner, dict) else {}
        lines = text.splitlines()
        first: Evidence | None = None
        for key, flag in CONFIG_KEYS.items():
            if key not in config:
                continue
            name, convert = FLAGS[flag]
            value = convert(_config_value(key, config[key]))
            if value is None:
                result.malformed += 1
                continue
            evidence = _key_evidence(ctx, lines, key, config[key])
            first = first or evidence
            result.facts.append(Fact(name, node, value, evidence))
            if name == "kubelet.eviction_hard" and isinstance(value, str):
                memory = eviction_memory_bytes(value)
                if memory is not None:
                    fact = Fact("kubelet.eviction_memory_available_bytes", node, memory, evidence)
                    result.facts.append(fact)
        if first is not None:
            result.facts.append(Fact("kubelet.config_source", node, source, first))
        return result


def _load(text: str, result: ParseResult) -> dict[str, Any]:
    """The configuration mapping; text before the document (a shell prompt) is dropped."""
    import yaml  # imported when YAML is first read (see kubewhy.parsers.loading)

    start = re.search(r"^\s*(?:\{|apiVersion:|kind:)", text, re.M)
    body = text[start.start() :] if start else text
    try:
        loaded = json_document(body) if body.lstrip().startswith("{") else yaml_document(body)
    except CapReachedError:
        raise  # a bound of the run: a gap naming it, not a malformed line
    except (ValueError, yaml.YAMLError):
        result.malformed += 1
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _key_evidence(ctx: Context, lines: list[str], key: str, value: Any) -> Evidence:
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*:")
    for number, line in enumerate(lines, start=1):
        if pattern.match(line):
            return Evidence(ctx.source, number, None, line.strip())
    # One-line JSON (configz): cite the setting itself rather than a huge line.
    return Evidence(
        ctx.source, 1 if len(lines) == 1 else None, None, f'"{key}": {json.dumps(value)}'
    )


FORMATS = [KubeletFormat()]
