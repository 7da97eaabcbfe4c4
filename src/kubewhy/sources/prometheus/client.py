"""A small, bounded client for the Prometheus HTTP API (``/api/v1/query``, ``/api/v1/query_range``).

Standard library only. Every call ends by its deadline, however the server answers (silent,
trickling a byte at a time: see :mod:`kubewhy.sources.deadline`), and by the whole source's
deadline; answers are capped in size; basic auth, bearer tokens and a private CA are supported.
Failures are values (:class:`QueryFailure`) with a reason a bundle gap can carry (refused,
timeout, tls, unauthenticated, permission, rate-limited, server-error...), never exceptions, so
one bad query never sinks a collection.

>>> PromClient("http://127.0.0.1:9090/").endpoint("query", {"query": "up"})
'http://127.0.0.1:9090/api/v1/query?query=up'
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from kubewhy.errors import UsageError
from kubewhy.model.bundle import GapReason
from kubewhy.model.redact import redact
from kubewhy.sources.deadline import expired, op_timeout, until, watchdog, within

MAX_ANSWER_BYTES = 64 << 20
TOKEN_ENV = "KUBEWHY_PROM_TOKEN"
USER_ENV = "KUBEWHY_PROM_USER"
PASSWORD_ENV = "KUBEWHY_PROM_PASSWORD"
FailureReason = GapReason
REQUEST_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class QueryFailure:
    reason: FailureReason
    detail: str
    # True when the server could not be reached at all (so further queries are pointless).
    unreachable: bool = False


@dataclass(frozen=True, slots=True)
class QueryAnswer:
    body: bytes
    data: dict[str, Any]  # the decoded ``data`` member of a successful answer
    seconds: float


class PromClient:
    """Talks to one Prometheus (or a compatible API: Thanos, Mimir, VictoriaMetrics)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        timeout: float = REQUEST_SECONDS,
        deadline: float | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise UsageError(f"--prometheus {redact(url)!r}: expected an http:// or https:// URL")
        if parsed.username or parsed.password:  # credentials in the URL: a header, never shown
            username = username or urllib.parse.unquote(parsed.username or "")
            password = password or urllib.parse.unquote(parsed.password or "")
            url = parsed._replace(netloc=parsed.netloc.rpartition("@")[2]).geturl()
        self.base = url.rstrip("/")
        # Seconds for one request, and the whole source's end (time.monotonic()).
        self.timeout = timeout
        self.deadline = deadline
        token = token or os.environ.get(TOKEN_ENV)
        username = username or os.environ.get(USER_ENV)
        password = password if password is not None else os.environ.get(PASSWORD_ENV)
        self._headers = {"Accept": "application/json", "User-Agent": "kubewhy"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        elif username:
            pair = f"{username}:{password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        self._context: ssl.SSLContext | None = None
        if parsed.scheme == "https":
            try:
                self._context = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise UsageError(f"--prometheus-ca {ca_file}: {exc}") from None
        self._opener = urllib.request.build_opener(
            _HTTPHandler(), _HTTPSHandler(context=self._context)
        )

    def endpoint(self, api: str, params: dict[str, str]) -> str:
        return f"{self.base}/api/v1/{api}?{urllib.parse.urlencode(params)}"

    def get(self, api: str, params: dict[str, str]) -> QueryAnswer | QueryFailure:
        """One API call; the answer's ``data`` when Prometheus says ``success``."""
        with until(self.deadline), within(self.timeout):
            if expired():
                return QueryFailure("timeout", "the source's deadline passed before this query")
            return self._get(api, params)

    def _get(self, api: str, params: dict[str, str]) -> QueryAnswer | QueryFailure:
        request = urllib.request.Request(self.endpoint(api, params), headers=self._headers)
        started = time.monotonic()
        try:
            with self._opener.open(request, timeout=op_timeout(self.timeout)) as response:
                body = response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            return _http_failure(exc)
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            return _transport_failure(reason, expired(), time.monotonic() - started)
        if expired():
            late = f"no complete answer within {time.monotonic() - started:.3g} s"
            return QueryFailure("timeout", late)
        if len(body) > MAX_ANSWER_BYTES:
            return QueryFailure("too-large", f"answer larger than {MAX_ANSWER_BYTES >> 20} MiB")
        return _decode(body, time.monotonic() - started)


class _DeadlineHTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        self.timeout = op_timeout(float(self.timeout or REQUEST_SECONDS))
        super().connect()
        watchdog.guard(self.sock)


class _DeadlineHTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        self.timeout = op_timeout(float(self.timeout or REQUEST_SECONDS))
        super().connect()  # TCP and the TLS handshake, each bounded by the time left
        watchdog.guard(self.sock)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_DeadlineHTTP, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext | None) -> None:
        super().__init__(context=context)
        self.tls = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_DeadlineHTTPS, req, context=self.tls)


def _transport_failure(reason: object, late: bool, seconds: float) -> QueryFailure:
    """Why no answer came: refused, timed out, TLS, or another network error."""
    if late or isinstance(reason, TimeoutError):
        return QueryFailure("timeout", f"no complete answer within {seconds:.3g} s")
    if isinstance(reason, ConnectionRefusedError):
        return QueryFailure("refused", f"connection refused: {reason}", unreachable=True)
    if isinstance(reason, ssl.SSLError | ssl.CertificateError):
        return QueryFailure("tls", f"TLS failed: {reason}", unreachable=True)
    return QueryFailure("error", f"unreachable: {reason}", unreachable=True)


def _http_failure(exc: urllib.error.HTTPError) -> QueryFailure:
    try:
        detail = json.loads(exc.read(64 << 10)).get("error", "")
    except (ValueError, OSError, AttributeError, RecursionError):
        detail = ""
    message = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
    if exc.code == 401:
        return QueryFailure("unauthenticated", message, unreachable=True)
    if exc.code == 403:
        return QueryFailure("permission", message, unreachable=True)
    if exc.code == 429:
        return QueryFailure("rate-limited", message)
    if exc.code >= 500:
        return QueryFailure("server-error", message)
    return QueryFailure("error", message)


def _decode(body: bytes, seconds: float) -> QueryAnswer | QueryFailure:
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        return QueryFailure("error", "the answer is not JSON (is this a Prometheus API URL?)")
    if not isinstance(answer, dict) or answer.get("status") != "success":
        error = answer.get("error", "unknown error") if isinstance(answer, dict) else "bad answer"
        return QueryFailure("error", f"query failed: {error}")
    data = answer.get("data")
    if not isinstance(data, dict):
        return QueryFailure("error", "the answer has no data")
    return QueryAnswer(body, data, seconds)
