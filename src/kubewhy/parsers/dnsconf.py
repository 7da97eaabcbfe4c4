"""CoreDNS's Corefile, plain (``cat Corefile``, the data of ``kubectl get cm coredns -o yaml`` as
printed) or inside the ConfigMap (read by :mod:`kubewhy.parsers.objects`).

What matters for the DNS failure modes is the root zone's server block: where it forwards
(``forward . /etc/resolv.conf`` hands CoreDNS the resolv.conf of the node it runs on, through
the kubelet; explicit upstreams do not), whether an upstream is on loopback (inside the pod that is
CoreDNS itself), and whether the ``loop`` plugin is there to notice a loop and exit. ``proxy`` is
the forwarding plugin of CoreDNS before 1.5.

>>> r = COREFILE.parse(".:53 {\\n    errors\\n    forward . /etc/resolv.conf\\n    loop\\n}\\n",
...                    Context("Corefile"))
>>> sorted((f.name, f.value) for f in r.facts)  # doctest: +NORMALIZE_WHITESPACE
[('coredns.forward', '/etc/resolv.conf'), ('coredns.forward_loopback', False),
 ('coredns.forwards_to_resolv_conf', True), ('coredns.loop_plugin', True)]
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact
from kubewhy.parsers.base import Context, ParseResult

_BLOCK_START = re.compile(r"^\s*(?P<zones>[^\s{#][^{#]*?)\s*\{\s*$")
_PLUGIN = lazy_compile(r"^\s*(?P<name>[a-z_]+)\b(?P<args>[^{#]*)")
_ROOT_ZONE = lazy_compile(r"^(?:\.|dns://\.)(?::\d+)?$")
_KNOWN_PLUGINS = frozenset(
    "errors health ready kubernetes prometheus forward proxy cache loop reload loadbalance log "
    "hosts rewrite template autopath".split()
)


def _loopback(upstream: str) -> bool:
    host = re.sub(r"^(?:dns|tls)://", "", upstream)
    host = re.sub(r":\d+$", "", host).strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def corefile_facts(text: str, source: str, first_line: int | None = 1) -> list[Fact]:
    """Facts of the root zone's server block; ``first_line`` None when the Corefile sits in an
    object whose lines are not the file's (a ConfigMap's data)."""
    cluster = Entity.cluster()
    facts: list[Fact] = []
    depth = 0
    in_root = False
    loop: tuple[int, str] | None = None
    forward: tuple[list[str], int, str] | None = None
    root_at: tuple[int, str] | None = None
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.split("#", 1)[0].rstrip()
        if not stripped.strip():
            continue
        if depth == 0:
            block = _BLOCK_START.match(stripped)
            if block is not None:
                depth = 1
                in_root = any(_ROOT_ZONE.match(z) for z in block.group("zones").split())
                if in_root and root_at is None:
                    root_at = (n, line)
            continue
        plugin = _PLUGIN.match(stripped)
        if depth == 1 and in_root and plugin is not None:
            name, args = plugin.group("name"), plugin.group("args").split()
            if name in ("forward", "proxy") and args and _ROOT_ZONE.match(args[0]):
                forward = forward or (args[1:], n, line)
            elif name == "loop":
                loop = (n, line)
        depth += stripped.count("{") - stripped.count("}")
        depth = max(depth, 0)
    if root_at is None:
        return facts

    def add(name: str, value: str | bool, where: tuple[int, str]) -> None:
        line = where[0] + first_line - 1 if first_line is not None else None
        facts.append(Fact(name, cluster, value, Evidence(source, line, None, where[1].strip())))

    if forward is not None:
        upstreams, n, line = forward
        add("coredns.forward", " ".join(upstreams), (n, line))
        add("coredns.forwards_to_resolv_conf", any(u.startswith("/") for u in upstreams), (n, line))
        add("coredns.forward_loopback", any(_loopback(u) for u in upstreams), (n, line))
    add("coredns.loop_plugin", loop is not None, loop or root_at)
    return facts


class Corefile:
    name = "corefile"
    # Its score needs a server block's start.
    hints = (_BLOCK_START,)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip() and not line.strip().startswith("#")]
        if not lines or not _BLOCK_START.match(lines[0]):
            return 0.0
        plugins = {m.group("name") for line in lines[1:] if (m := _PLUGIN.match(line))}
        return 0.85 if len(plugins & _KNOWN_PLUGINS) >= 2 else 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        return ParseResult(facts=corefile_facts(text, ctx.source))


COREFILE = Corefile()
FORMATS = [COREFILE]
