"""PAM resource limits: ``/etc/security/limits.conf`` and ``/etc/security/limits.d/*.conf``.

Each entry is ``<domain> <type> <item> <value>``; files are often collected concatenated, with a
header naming each one (``tail -n +1`` / ``head`` print ``==> path <==``)::

    ==> /etc/security/limits.d/20-nproc.conf <==
    *          soft    nproc     4096
    root       soft    nproc     unlimited

pam_limits reads limits.conf first, then the ``*.conf`` files of limits.d in lexical order; a
later entry overrides an earlier one for the same domain, and a more specific domain (a user, a
group) is never overridden by a wildcard. Ordinary users get the ``*`` entries, so the effective
``node.limits.nproc`` is the last ``*`` soft nproc, capped by the last ``*`` hard nproc (the
kernel refuses a soft limit above the hard one). Source: the comments of the limits.conf shipped
by Linux-PAM and its pam_limits(8) manual.

>>> text = "* soft nproc 4096\\n==> /etc/security/limits.d/90-k8s.conf <==\\n* soft nproc 65535\\n"
>>> [(f.name, f.value) for f in LimitsFormat().parse(text, Context("limits")).facts]
[('node.limits.nproc', 65535)]
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from kubewhy.lazy_re import lazy_compile
from kubewhy.model.entities import UNKNOWN_NODE, Entity
from kubewhy.model.evidence import Evidence
from kubewhy.model.facts import Fact, Value
from kubewhy.parsers.base import Context, ParseResult
from kubewhy.parsers.sysctl import PROMPT

_ITEMS = (
    "core|data|fsize|memlock|nofile|rss|stack|cpu|nproc|as|maxlogins|maxsyslogins|nonewprivs|"
    "priority|locks|sigpending|msgqueue|nice|rtprio|chroot"
)
# A word before a blank is taken possessively (\S++): a line without blanks (a JSON object)
# fails at once instead of giving the word back one character at a time.
_ENTRY = re.compile(rf"^\s*(\S++)\s+(soft|hard|-)\s+({_ITEMS})\s+(\S+)\s*(?:#.*)?$", re.IGNORECASE)
_PATH = r"(/etc/security/limits(?:\.conf|\.d/[^\s<]+))"
_HEADERS = (
    re.compile(rf"^==>\s*{_PATH}\s*<==\s*$"),
    re.compile(PROMPT + rf"(?:cat|more|less|head|tail)\s+(?:-\S+\s+)*{_PATH}\s*$"),
    re.compile(rf"^\s*#\s*{_PATH}\s*$"),
)
_DOMAIN_HEADER = lazy_compile(r"^#\s*<domain>\s+<type>\s+<item>\s+<value>")
_UNLIMITED = {"unlimited", "infinity", "-1"}


@dataclass(frozen=True, slots=True)
class _Entry:
    domain: str
    kind: str
    item: str
    value: Value
    evidence: Evidence


def _order(path: str | None) -> tuple[int, str] | None:
    """Where pam_limits reads a file: limits.conf first, then limits.d/*.conf by name; None for
    files it never reads (limits.d files not ending in .conf)."""
    if path is None or "limits.d/" not in path:
        return (0, "")
    name = posixpath.basename(path)
    return (1, name) if name.endswith(".conf") else None


def _header(line: str) -> str | None:
    if "/etc/security/limits" not in line:  # in every header: spares the prompt regex
        return None
    for pattern in _HEADERS:
        found = pattern.match(line)
        if found:
            return found.group(1)
    return None


def _value(raw: str) -> Value:
    if raw.lower() in _UNLIMITED:
        return "unlimited"
    return int(raw) if raw.isdigit() else raw


def _tighter(soft: Value, hard: Value) -> bool:
    """Whether the hard limit is below the soft one."""
    if hard == "unlimited" or not isinstance(hard, int):
        return False
    return soft == "unlimited" or (isinstance(soft, int) and hard < soft)


class LimitsFormat:
    name = "limits-conf"
    # Its scores need a header naming the file (or the commented column titles) or an entry.
    hints = ("/etc/security/limits", "<domain>", _ENTRY)

    def sniff(self, head: Sequence[str]) -> float:
        lines = [line for line in head if line.strip()]
        if not lines:
            return 0.0
        named = any(_header(line) or _DOMAIN_HEADER.match(line) for line in lines)
        content = [line for line in lines if not line.lstrip().startswith("#")]
        entries = sum(1 for line in content if _ENTRY.match(line))
        if named and entries >= 0.5 * len(content):
            return 0.9
        if entries >= 1 and entries >= 0.7 * len(content):
            return 0.8 if entries >= 2 else 0.5
        return 0.0

    def parse(self, text: str, ctx: Context) -> ParseResult:
        node = Entity.for_node(ctx.node or UNKNOWN_NODE)
        result = ParseResult(entities=[node])
        # Sections in input order: (read order, entries); unnamed text is the file itself.
        current = _order(ctx.source) if "limits.d/" in ctx.source else (0, "")
        sections: list[tuple[tuple[int, str] | None, list[_Entry]]] = [(current, [])]
        for number, line in enumerate(text.splitlines(), start=1):
            path = _header(line)
            if path is not None:
                sections.append((_order(path), []))
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            found = _ENTRY.match(line)
            if not found:
                result.malformed += 1
                continue
            domain, kind, item, raw = found.groups()
            evidence = Evidence(ctx.source, number, None, stripped)
            sections[-1][1].append(_Entry(domain, kind, item.lower(), _value(raw), evidence))
        read = sorted((s for s in sections if s[0] is not None), key=lambda s: s[0] or (0, ""))
        soft: _Entry | None = None
        hard: _Entry | None = None
        for _, entries in read:
            for entry in entries:
                if entry.domain != "*" or entry.item != "nproc":
                    continue
                if entry.kind in ("soft", "-"):
                    soft = entry
                if entry.kind in ("hard", "-"):
                    hard = entry
        chosen = soft or hard
        if soft is not None and hard is not None and _tighter(soft.value, hard.value):
            chosen = hard
        if chosen is not None:
            result.facts.append(Fact("node.limits.nproc", node, chosen.value, chosen.evidence))
        return result


FORMATS = [LimitsFormat()]
