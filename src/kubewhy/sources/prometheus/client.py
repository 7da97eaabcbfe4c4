"""A small, bounded client for the Prometheus HTTP API (``/api/v1/query``, ``/api/v1/query_range``).

Standard library only. Every call has a timeout and a cap on the answer's size; basic auth,
bearer tokens and a private CA are supported. Failures are values (:class:`QueryFailure`) with
a reason a bundle gap can carry, never exceptions, so one bad query never sinks a collection.

>>> PromClient("http://127.0.0.1:9090/").endpoint("query", {"query": "up"})
'http://127.0.0.1:9090/api/v1/query?query=up'
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Literal

from kubewhy.errors import UsageError

MAX_ANSWER_BYTES = 64 << 20
TOKEN_ENV = "KUBEWHY_PROM_TOKEN"
USER_ENV = "KUBEWHY_PROM_USER"
PASSWORD_ENV = "KUBEWHY_PROM_PASSWORD"
FailureReason = Literal["timeout", "error", "too-large", "permission"]


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
        timeout: float = 10.0,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise UsageError(f"--prometheus {url!r}: expected an http:// or https:// URL")
        self.base = url.rstrip("/")
        self.timeout = timeout
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

    def endpoint(self, api: str, params: dict[str, str]) -> str:
        return f"{self.base}/api/v1/{api}?{urllib.parse.urlencode(params)}"

    def get(self, api: str, params: dict[str, str]) -> QueryAnswer | QueryFailure:
        """One API call; the answer's ``data`` when Prometheus says ``success``."""
        import time

        request = urllib.request.Request(self.endpoint(api, params), headers=self._headers)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(
                request, timeout=self.timeout, context=self._context
            ) as response:
                body = response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            return _http_failure(exc)
        except TimeoutError:
            return QueryFailure("timeout", f"no answer within {self.timeout:g} s")
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return QueryFailure("timeout", f"no answer within {self.timeout:g} s")
            return QueryFailure("error", f"unreachable: {exc.reason}", unreachable=True)
        except (OSError, ValueError) as exc:
            return QueryFailure("error", f"unreachable: {exc}", unreachable=True)
        if len(body) > MAX_ANSWER_BYTES:
            return QueryFailure("too-large", f"answer larger than {MAX_ANSWER_BYTES >> 20} MiB")
        return _decode(body, time.monotonic() - started)


def _http_failure(exc: urllib.error.HTTPError) -> QueryFailure:
    try:
        detail = json.loads(exc.read(64 << 10)).get("error", "")
    except (ValueError, OSError, AttributeError):
        detail = ""
    message = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
    if exc.code in (401, 403):
        return QueryFailure("permission", message, unreachable=True)
    return QueryFailure("error", message)


def _decode(body: bytes, seconds: float) -> QueryAnswer | QueryFailure:
    try:
        answer = json.loads(body)
    except ValueError:
        return QueryFailure("error", "the answer is not JSON (is this a Prometheus API URL?)")
    if not isinstance(answer, dict) or answer.get("status") != "success":
        error = answer.get("error", "unknown error") if isinstance(answer, dict) else "bad answer"
        return QueryFailure("error", f"query failed: {error}")
    data = answer.get("data")
    if not isinstance(data, dict):
        return QueryFailure("error", "the answer has no data")
    return QueryAnswer(body, data, seconds)
