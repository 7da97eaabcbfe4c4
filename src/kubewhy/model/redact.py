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

from kubewhy.lazy_re import lazy_compile

MARK = "[REDACTED]"
KEY_MARK = "[REDACTED KEY]"

# Key names whose value is a secret (a prefix or suffix may be attached: DB_PASSWORD,
# bootstrap-token, client-key-data, aws_secret_access_key, X-Api-Key).
_SECRET_WORDS = (
    r"passw(?:or)?d|\bpwd|passphrase|secret|token|api[-_]?key|apikey|access[-_]?key"
    r"|private[-_]?key|client[-_]?key[-_]?data|credentials?|session[-_]?key|auth[-_]?key"
    r"|sas[-_]?key|account[-_]?key"
)
_KEY = rf"[\w.-]*?(?:{_SECRET_WORDS})[\w.-]*"
_SECRET_KEY = re.compile(rf"(?i){_SECRET_WORDS}")


def _keyed(mask: Callable[[re.Match[str]], str]) -> Callable[[re.Match[str]], str]:
    """A replacement that masks only when the matched ``key`` group names a secret: the
    pattern finds every ``key = value`` in one linear pass, the key is checked after."""

    def replace(match: re.Match[str]) -> str:
        return mask(match) if _SECRET_KEY.search(match.group("key")) else match.group(0)

    return replace


_PEM_CHUNK = r"[A-Za-z0-9+/=]{16,}"
_PEM_SEP = r"(?:[ \t]*(?:\r?\n|\\r\\n|\\n|\\r)[ \t]*|[ \t]+)"
# Compiled when a text first needs them: most runs redact nothing (the prefilter reads only
# their sources).
_OWN_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # A PEM private key: its body is base64 chunks (one line, several lines, \n-escaped in
    # JSON), cut or whole; it ends at the END line or at the first thing that is not base64,
    # so text around it is kept.
    (
        lazy_compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----"
            rf"(?:{_PEM_SEP}?[\w-]+:[^\n\\]*)*(?:{_PEM_SEP}?{_PEM_CHUNK})*"
            rf"(?:{_PEM_SEP}?(?:[A-Za-z0-9+/=]{{1,15}}{_PEM_SEP}?)?"
            r"-----END [A-Z0-9 ]*PRIVATE KEY-----)?"
        ),
        KEY_MARK,
    ),
    # The body and END line of a key whose BEGIN line is elsewhere (another evidence line).
    (
        lazy_compile(
            rf"(?:{_PEM_CHUNK}{_PEM_SEP})+(?:[A-Za-z0-9+/=]{{1,15}}{_PEM_SEP}?)?"
            r"-----END [A-Z0-9 ]*PRIVATE KEY-----"
        ),
        KEY_MARK,
    ),
    # base64 of "-----BEGIN" (kubeconfig client-key-data, Secret data, Helm values).
    (lazy_compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]*"), MARK),
    # Authorization header schemes and tokens after them.
    (
        lazy_compile(r"(?i)\b(bearer|basic|digest|negotiate|token)(\s+)[A-Za-z0-9._~+/=-]{8,}"),
        rf"\1\2{MARK}",
    ),
    # JSON Web Tokens, whole or cut (header.payload.signature, base64url).
    (lazy_compile(r"\beyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,2}"), MARK),
    # Credentials in URLs: scheme://user:password@host.
    (
        lazy_compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}://[^\s/:@'\"]*):([^\s/@'\"]+)@"),
        rf"\1:{MARK}@",
    ),
    # Quoted values after a secret key, JSON or not: "password": "two words", token='x y'.
    (
        lazy_compile(
            r"(?<![\w-])(?P<key>[\w.-]+)(?P<sep>[\"']?\s*[=:]\s*)"
            r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*')"
        ),
        _keyed(lambda m: m["key"] + m["sep"] + m["value"][0] + MARK + m["value"][0]),
    ),  # (keyed rules are prefiltered by _KEYED_PREFILTER)
    # Bare values after a bare key: password=x, token: x, --password=x, DB_PASSWORD=x (a quoted
    # key takes a quoted value: the rule above).
    (
        lazy_compile(
            r"(?<![\w\"'-])(?P<key>[\w.-]+)(?P<sep>\s*[=:]\s*)"
            r"(?![\"'\s]|\[REDACTED)[^\s\"',;}&]+"
        ),
        _keyed(lambda m: m["key"] + m["sep"] + MARK),
    ),
    # Command-line flags with the value after a space: --password hunter2, --token abc.
    (
        lazy_compile(
            r"(?i)((?<!\S)--?[\w-]*(?:passw(?:or)?d|passphrase|secret|token|api-?key)[\w-]*)"
            r"([ \t]+)(?![-\[])(\"[^\"\n]*\"|'[^'\n]*'|\S+)"
        ),
        rf"\1\2{MARK}",
    ),
    # MySQL/MariaDB clients take the password glued to -p; sshpass -p and redis-cli -a apart.
    (
        lazy_compile(r"(?i)(\b(?:mysql\w*|mariadb\w*)\b[^\n|;]*?(?<!\S)-p)(?!\s|\[REDACTED)(\S+)"),
        rf"\1{MARK}",
    ),
    (
        lazy_compile(r"(\b(?:sshpass\s+-p|redis-cli\b[^\n|;]*?\s-a)\s*)(?!\[REDACTED)(\S+)"),
        rf"\1{MARK}",
    ),
    # curl -u user:password / --user user:password.
    (
        lazy_compile(r"((?<!\S)(?:-u|--user)[ \t]*[^\s:]+:)(?!\[REDACTED)(\S+)"),
        rf"\1{MARK}",
    ),
    # Google API keys.
    (lazy_compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), MARK),
]
# detect-secrets' plugins that are not secrets to hide: public IP addresses (see obfuscate).
_SKIP_PLUGINS = frozenset({"IPPublicDetector"})

# Where detect-secrets' patterns come from. Importing its plugins costs a run about 60 ms, most
# of it ``requests`` (for verifying secrets, which kubewhy never does); a stage that can keep
# them between runs sets a keeper (the pipeline: the scanner's cache). A keeper is given the
# package's name and the function that reads them, which it calls when it has nothing kept
# for the package as installed.
Keeper = Callable[[str, Callable[[], list[list[Any]]]], object]
_keeper: Keeper | None = None


def keep_vendor_rules(keeper: Keeper | None) -> None:
    """Read detect-secrets' patterns through ``keeper`` from now on (None: from the plugins)."""
    global _keeper  # noqa: PLW0603 - set once per process, by the pipeline
    _keeper = keeper


def _read_vendor_rules() -> list[list[Any]]:
    """``[regex, flags]`` of each regular expression of detect-secrets' regex-based plugins."""
    util = importlib.import_module("detect_secrets.core.plugins.util")
    patterns: list[list[Any]] = []
    for plugin in util.get_mapping_from_secret_type_to_class().values():
        if plugin.__name__ in _SKIP_PLUGINS:
            continue
        denylist = getattr(plugin, "denylist", None)
        if denylist is None:
            continue  # keyword and entropy plugins: the own rules cover keywords
        patterns.extend(
            [p.pattern, p.flags]
            for p in denylist
            if isinstance(p, re.Pattern) and isinstance(p.pattern, str)
        )
    return patterns


def _well_formed(found: object) -> bool:
    return isinstance(found, list) and all(
        isinstance(item, list)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], int)
        for item in found
    )


@cache
def _vendor_sources() -> tuple[tuple[str, int], ...]:
    """The regular expressions of detect-secrets' regex-based plugins, as (regex, flags)."""
    found: object = None
    if _keeper is not None:
        found = _keeper("detect_secrets", _read_vendor_rules)
    if not _well_formed(found):
        found = _read_vendor_rules()
    assert isinstance(found, list)
    return tuple((regex, flags) for regex, flags in found)


@cache
def _vendor_rule(index: int) -> re.Pattern[str]:
    """The ``index``-th of them, compiled when a text first needs it."""
    regex, flags = _vendor_sources()[index]
    return re.compile(regex, flags)


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
    # RE2 allows repetitions up to 1000; a longer bound only widens the prefilter. Groups do not
    # capture: RE2 finds where a match is at DFA speed only when it need not say more.
    widened = re.sub(r"\{(\d+),(\d{4,})\}", r"{\1,}", "".join(out))
    return re.sub(r"(?<!\\)\((?!\?)|\(\?P<\w+>", "(?:", widened)


# The key=value rules match every key and check it after; their prefilter needs the secret word.
_KEYED_PREFILTER = rf"(?i:(?:{_SECRET_WORDS})[\w.-]*[\"']?\s*[=:])"


def _branches() -> list[str]:
    """Each rule as an RE2 pattern that matches at least where the rule does."""
    branches = []
    for pattern in [p.pattern for p, _ in _OWN_RULES] + [r for r, _ in _vendor_sources()]:
        if "(?P<key>" in pattern:
            branches.append(_KEYED_PREFILTER)
            continue
        body = _without_lookarounds(pattern.removeprefix("(?i)"))
        branches.append(f"(?i:{body})" if pattern.startswith("(?i)") else f"(?:{body})")
    return branches


def _re2_options() -> Any:
    options = importlib.import_module("re2").Options()
    options.max_mem = 64 << 20  # room for the DFA of some 200 branches: else RE2 is 20x slower
    return options


@cache
def _prefilter() -> Any:
    """One RE2 expression that matches wherever any rule might: text it does not match is left
    alone without running the rules (RE2 scans hundreds of MB/s, the rules a few). Its ``^``
    and ``$`` hold at every line's ends, so texts joined by newlines match wherever one of
    them does (no rule anchors at the ends of the whole text, ``\\A`` or ``\\z``)."""
    return importlib.import_module("re2").compile("(?m)" + "|".join(_branches()), _re2_options())


@cache
def _branch_filters() -> tuple[Any, ...]:
    """The prefilter's branches as RE2 expressions of their own: a text matches one of them
    exactly where it matches the prefilter. For one search of a long, varied text (a report's
    strings joined) they cost less than the prefilter: RE2 builds the states of a DFA as a
    search meets them, and the states of one expression of every branch are many and dear
    (about 14 ms for a small report, against 3 for these and 4 to compile them)."""
    re2 = importlib.import_module("re2")
    options = _re2_options()
    return tuple(re2.compile("(?m)" + branch, options) for branch in _branches())


# Texts searched at once by the branches rather than by the prefilter (a report, its JSON):
# below, the prefilter's few states are soon built; above, a pass per branch costs more.
_BRANCHES_FROM, _BRANCHES_TO = 4 << 10, 1 << 20


def _may_match(text: str) -> bool:
    """Whether some rule may match ``text``: the prefilter's answer."""
    if _BRANCHES_FROM <= len(text) <= _BRANCHES_TO:
        return any(branch.search(text) for branch in _branch_filters())
    return _prefilter().search(text) is not None


@cache
def _rule_set() -> Any:
    """The same branches as an RE2 set: which rules a flagged line needs, in one pass."""
    rules = importlib.import_module("re2").Set.SearchSet(_re2_options())
    for branch in _branches():
        rules.Add(branch)
    rules.Compile()
    return rules


def _apply(text: str) -> str:
    """The rules that may match ``text``, in their order (kubewhy's own first)."""
    own = len(_OWN_RULES)
    for index in sorted(_rule_set().Match(text)):
        if index < own:
            pattern, replacement = _OWN_RULES[index]
            text = pattern.sub(replacement, text)
        else:
            text = _vendor_rule(index - own).sub(_mask_groups, text)
    return text


def redact(text: str) -> str:
    """``text`` with every secret that the rules know replaced by ``[REDACTED]``.

    Only the lines that the prefilter flags are rewritten (a private key's block from its
    BEGIN line to its END line), so big texts cost little and text around a secret is kept.
    """
    if not text or not _may_match(text):
        return text
    prefilter = _prefilter()
    out: list[str] = []
    at, size = 0, len(text)
    while at < size:
        # A block of lines at a time: RE2 skips clean blocks at its speed (each call encodes
        # its text, so the calls go to blocks and lines, never to the whole text again).
        stop = text.find("\n", min(at + _BLOCK, size))
        stop = size if stop == -1 else stop + 1
        if not prefilter.search(text[at:stop]):
            out.append(text[at:stop])
            at = stop
            continue
        while at < stop:
            end = text.find("\n", at, stop)
            end = stop if end == -1 else end
            line = text[at:end]
            if prefilter.search(line):
                if "PRIVATE KEY-----" in line and "-----END" not in line:
                    closing = text.find("-----END", end, end + (64 << 10))  # the block's rest
                    if closing != -1:
                        block_end = text.find("\n", closing)
                        end = size if block_end == -1 else block_end
                        stop = max(stop, end)
                        line = text[at:end]
                line = _apply(line)
            out.append(line)
            if end < size:
                out.append("\n")
            at = end + 1
    return "".join(out)


_BLOCK = 16 << 10


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
    # One search of all the tree's strings joined first: a report without a secret (most are)
    # is then copied as it is. Searching each of a report's thousand short strings cost RE2
    # about 25 µs each; all of them joined, well under a millisecond.
    scrub = redact if _may_match("\n".join(_strings(value))) else _unchanged
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
                item_out = scrub(item) if isinstance(item, str) else item
            if isinstance(target, dict):
                target[scrub(key) if isinstance(key, str) else key] = item_out
            else:
                target.append(item_out)
    return root


def _unchanged(text: str) -> str:
    return text


def _strings(value: dict[Any, Any] | list[Any]) -> Iterator[str]:
    """Every string of a JSON-like tree, keys included."""
    stack: list[Any] = [value]
    while stack:
        for key, item in _items(stack.pop()):
            if isinstance(key, str):
                yield key
            if isinstance(item, str):
                yield item
            elif isinstance(item, dict | list):
                stack.append(item)


def _items(value: dict[Any, Any] | list[Any]) -> Iterator[tuple[Any, Any]]:
    return iter(value.items()) if isinstance(value, dict) else ((None, v) for v in value)
