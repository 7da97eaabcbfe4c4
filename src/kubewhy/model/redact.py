"""Scrub secrets from anything kubewhy writes: reports, bundles, manifests, its own messages.

Two rule sets, applied to each string on its own (never across two evidence lines):

- the token shapes of `detect-secrets`' regex plugins (AWS, Azure, GitHub, GitLab, Slack,
  Stripe, npm, PyPI, OpenAI, SendGrid, Twilio, ... keys), a maintained list;
- kubewhy's own rules for what Kubernetes evidence carries: PEM private keys (one line, several
  lines or ``\\n``-escaped, cut or whole, without eating the text around them) and base64-PEM
  (kubeconfig ``client-key-data``), ``Authorization`` schemes, JWTs (even cut), credentials in
  URLs, ``password``/``token``/``secret``/``api-key``/... in ``k=v``, ``k: v``, JSON and
  command-line forms (``--password VALUE``, ``-pPASSWORD`` of the MySQL clients, quoted values
  with spaces), ``curl -u user:pass``, GCP API keys.

Redaction happens before anything is clipped, so a cut secret is never half shown.

>>> redact('Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')
'Authorization: Bearer [REDACTED]'
>>> redact("--token=abc123def --password=hunter2 ok")
'--token=[REDACTED] --password=[REDACTED] ok'
>>> redact('mysql -uroot -phunter2 db; {"db_password": "two words"}')
'mysql -uroot -p[REDACTED] db; {"db_password": "[REDACTED]"}'
>>> redact("GET https://admin:s3cret@prom.example:9090/api")
'GET https://admin:[REDACTED]@prom.example:9090/api'
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

MARK = "[REDACTED]"
KEY_MARK = "[REDACTED KEY]"

# Key names whose value is a secret (a prefix or suffix may be attached: DB_PASSWORD,
# bootstrap-token, client-key-data, aws_secret_access_key, X-Api-Key).
_KEY = (
    r"[\w.-]*?(?:passw(?:or)?d|\bpwd|passphrase|secret|token|api[-_]?key|apikey|access[-_]?key"
    r"|private[-_]?key|client[-_]?key[-_]?data|credentials?|session[-_]?key|auth[-_]?key"
    r"|sas[-_]?key|account[-_]?key)[\w.-]*"
)
_PEM_CHUNK = r"[A-Za-z0-9+/=]{16,}"
_PEM_SEP = r"(?:[ \t]*(?:\r?\n|\\r\\n|\\n|\\r)[ \t]*|[ \t]+)"
_OWN_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # A PEM private key: its body is base64 chunks (one line, several lines, \n-escaped in
    # JSON), cut or whole; it ends at the END line or at the first thing that is not base64,
    # so text around it is kept.
    (
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"
            rf"(?:{_PEM_SEP}?[\w-]+:[^\n\\]*)*(?:{_PEM_SEP}?{_PEM_CHUNK})*"
            rf"(?:{_PEM_SEP}?(?:[A-Za-z0-9+/=]{{1,15}}{_PEM_SEP}?)?"
            r"-----END [A-Z0-9 ]*PRIVATE KEY-----)?"
        ),
        KEY_MARK,
    ),
    # The body and END line of a key whose BEGIN line is elsewhere (another evidence line).
    (
        re.compile(
            rf"(?:{_PEM_CHUNK}{_PEM_SEP})+(?:[A-Za-z0-9+/=]{{1,15}}{_PEM_SEP}?)?"
            r"-----END [A-Z0-9 ]*PRIVATE KEY-----"
        ),
        KEY_MARK,
    ),
    # base64 of "-----BEGIN" (kubeconfig client-key-data, Secret data, Helm values).
    (re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]*"), MARK),
    # Authorization header schemes and tokens after them.
    (
        re.compile(r"(?i)\b(bearer|basic|digest|negotiate|token)(\s+)[A-Za-z0-9._~+/=-]{8,}"),
        rf"\1\2{MARK}",
    ),
    # JSON Web Tokens, whole or cut (header.payload.signature, base64url).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,2}"), MARK),
    # Credentials in URLs: scheme://user:password@host.
    (
        re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}://[^\s/:@'\"]*):([^\s/@'\"]+)@"),
        rf"\1:{MARK}@",
    ),
    # Quoted values after a secret key, JSON or not: "password": "two words", token='x y'.
    (
        re.compile(rf"(?i)((?<![\w-]){_KEY}[\"']?\s*[=:]\s*)(\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*')"),
        lambda m: m.group(1) + m.group(2)[0] + MARK + m.group(2)[0],
    ),
    # Bare values after a bare key: password=x, token: x, --password=x, DB_PASSWORD=x (a quoted
    # key takes a quoted value: the rule above).
    (
        re.compile(rf"(?i)((?<![\w\"'-]){_KEY}\s*[=:]\s*)(?![\"'\s]|\[REDACTED)[^\s\"',;}}&]+"),
        rf"\1{MARK}",
    ),
    # Command-line flags with the value after a space: --password hunter2, --token abc.
    (
        re.compile(
            r"(?i)((?<!\S)--?[\w-]*(?:passw(?:or)?d|passphrase|secret|token|api-?key)[\w-]*)"
            r"([ \t]+)(?![-\[])(\"[^\"\n]*\"|'[^'\n]*'|\S+)"
        ),
        rf"\1\2{MARK}",
    ),
    # MySQL/MariaDB clients take the password glued to -p; sshpass -p and redis-cli -a apart.
    (
        re.compile(r"(?i)(\b(?:mysql\w*|mariadb\w*)\b[^\n|;]*?(?<!\S)-p)(?!\s|\[REDACTED)(\S+)"),
        rf"\1{MARK}",
    ),
    (
        re.compile(r"(\b(?:sshpass\s+-p|redis-cli\b[^\n|;]*?\s-a)\s*)(?!\[REDACTED)(\S+)"),
        rf"\1{MARK}",
    ),
    # curl -u user:password / --user user:password.
    (
        re.compile(r"((?<!\S)(?:-u|--user)[ \t]*[^\s:]+:)(?!\[REDACTED)(\S+)"),
        rf"\1{MARK}",
    ),
    # Google API keys.
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), MARK),
]
# detect-secrets' plugins that are not secrets to hide: public IP addresses (see obfuscate).
_SKIP_PLUGINS = frozenset({"IPPublicDetector"})


@cache
def _vendor_rules() -> tuple[re.Pattern[str], ...]:
    """The regular expressions of detect-secrets' regex-based plugins."""
    util = importlib.import_module("detect_secrets.core.plugins.util")
    patterns: list[re.Pattern[str]] = []
    for plugin in util.get_mapping_from_secret_type_to_class().values():
        if plugin.__name__ in _SKIP_PLUGINS:
            continue
        denylist = getattr(plugin, "denylist", None)
        if denylist is None:
            continue  # keyword and entropy plugins: the own rules cover keywords
        patterns.extend(p for p in denylist if isinstance(p, re.Pattern))
    return tuple(patterns)


def _mask_groups(match: re.Match[str]) -> str:
    """The match with its secret part masked: the groups that matched (the convention of
    detect-secrets' ``findall``), or all of it when a group is too short to be the secret
    (a ``ghp`` prefix)."""
    whole = match.group(0)
    spans = [match.span(i) for i in range(1, (match.re.groups or 0) + 1) if match.group(i)]
    if not spans or any(end - begin < 8 for begin, end in spans):
        return MARK
    start = match.start()
    out, at = [], 0
    for begin, end in sorted(spans):
        if begin - start < at:
            continue
        out.append(whole[at : begin - start])
        out.append(MARK)
        at = end - start
    out.append(whole[at:])
    return "".join(out)


_LOOKAROUND = re.compile(r"\(\?<?[=!]")


def _without_lookarounds(pattern: str) -> str:
    """``pattern`` with its lookaround groups removed: a pattern that matches at least where
    the original does, in RE2's syntax (which has no lookarounds)."""
    out, at = [], 0
    for found in _LOOKAROUND.finditer(pattern):
        if found.start() < at:
            continue
        depth, end, escaped = 0, found.start(), False
        for end in range(found.start(), len(pattern)):
            char = pattern[end]
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    break
        out.append(pattern[at : found.start()])
        at = end + 1
    out.append(pattern[at:])
    # RE2 allows repetitions up to 1000; a longer bound only widens the prefilter.
    return re.sub(r"\{(\d+),(\d{4,})\}", r"{\1,}", "".join(out))


@cache
def _prefilter() -> Any:
    """One RE2 expression that matches wherever any rule might: lines it does not match are
    left alone without running the rules (RE2 scans hundreds of MB/s, the rules a few)."""
    re2 = importlib.import_module("re2")
    parts = [p.pattern for p, _ in _OWN_RULES] + [p.pattern for p in _vendor_rules()]
    branches = []
    for part in parts:
        flags = "(?i)" if part.startswith("(?i)") else ""
        branches.append(
            f"(?:{flags and '(?i:'}{_without_lookarounds(part.removeprefix('(?i)'))}"
            f"{flags and ')'})"
        )
    return re2.compile("|".join(branches))


def _apply(text: str) -> str:
    for pattern, replacement in _OWN_RULES:
        text = pattern.sub(replacement, text)
    for pattern in _vendor_rules():
        text = pattern.sub(_mask_groups, text)
    return text


def redact(text: str) -> str:
    """``text`` with every secret that the rules know replaced by ``[REDACTED]``.

    Only the lines that the prefilter flags are rewritten (a private key's block from its
    BEGIN line to its END line), so big texts cost little and text around a secret is kept.
    """
    if not text:
        return text
    out: list[str] = []
    at = 0
    for found in _prefilter().finditer(text):
        start = found.start()
        if start < at:
            continue
        begin = text.rfind("\n", 0, start) + 1
        end = text.find("\n", found.end())
        if "PRIVATE KEY-----" in found.group(0) and "-----END" not in found.group(0):
            closing = text.find("PRIVATE KEY-----", found.end())
            if closing != -1 and closing - end < 64 << 10:
                end = text.find("\n", closing)
        end = len(text) if end == -1 else end
        begin = max(begin, at)
        out.append(text[at:begin])
        out.append(_apply(text[begin:end]))
        at = end
    if at == 0:
        return text
    out.append(text[at:])
    return "".join(out)


def redact_bytes(data: bytes) -> bytes:
    """The same for bytes (a bundle file); bytes that are not UTF-8 are kept as they are."""
    text = data.decode("utf-8", "surrogateescape")
    clean = redact(text)
    return data if clean == text else clean.encode("utf-8", "surrogateescape")


def redact_tree(value: Any) -> Any:
    """Every string in a JSON-like tree (dicts, lists) redacted, in a new tree; iterative, so a
    deeply nested document cannot exhaust the stack."""
    if isinstance(value, str):
        return redact(value)
    if not isinstance(value, dict | list):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        for key, item in _items(source):
            if isinstance(item, dict | list):
                child: Any = {} if isinstance(item, dict) else []
                stack.append((item, child))
                item_out: Any = child
            else:
                item_out = redact(item) if isinstance(item, str) else item
            if isinstance(target, dict):
                target[redact(key) if isinstance(key, str) else key] = item_out
            else:
                target.append(item_out)
    return root


def _items(value: dict[Any, Any] | list[Any]) -> Iterator[tuple[Any, Any]]:
    return iter(value.items()) if isinstance(value, dict) else ((None, v) for v in value)
