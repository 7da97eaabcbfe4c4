"""GET requests to the Kubernetes API through the official client, politely.

kubewhy is often run against an API server that is already in trouble (seed 002: an apiserver
killed by its clients), so every request is bounded: a deadline for the whole answer (not just
per socket read), a cap on the bytes read, lists in pages (``limit`` + ``continue``), retries only
for answers that ask for them (429 with ``Retry-After``, 5xx, a dropped connection), with
exponential backoff, and never a watch. Authentication (tokens, client certificates, exec
plugins) is the client's: the same kubeconfig and context rules as kubectl.
"""

from __future__ import annotations

import json
import os
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import kubernetes.client
import kubernetes.config
import urllib3
import urllib3.connection
import urllib3.connectionpool

from kubewhy.errors import InputError
from kubewhy.model.bundle import GapReason
from kubewhy.sources.deadline import expired, op_timeout, remaining, until, watchdog, within

PAGE_SIZE = 500
REQUEST_SECONDS = 15.0
MAX_BODY_BYTES = 256 << 20
MAX_RETRY_AFTER = 30.0
_CHUNK = 1 << 16
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class UnreadableError(Exception):
    """An answer kubewhy could not get; becomes a gap in the bundle."""

    def __init__(
        self,
        reason: GapReason,
        detail: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.reason: GapReason = reason
        self.detail = detail
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    truncated: bool
    seconds: float


@dataclass
class Counters:
    """What the collector asked for, for the bundle's caller and for tests."""

    requests: int = 0
    retries: int = 0
    objects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, *, requests: int = 0, retries: int = 0, objects: int = 0) -> None:
        with self.lock:
            self.requests += requests
            self.retries += retries
            self.objects += objects


def api_client(
    kubeconfig: str | None,
    context: str | None,
    impersonate: str | None = None,
    impersonate_group: str | None = None,
) -> Any:
    """A client configured like kubectl: ``--kubeconfig``/``$KUBECONFIG``/``~/.kube/config`` and
    ``--context``; the pod's service account when running in a cluster without either;
    ``--as``/``--as-group`` sent as the API server's impersonation headers."""
    configuration = kubernetes.client.Configuration()
    try:
        if kubeconfig is None and context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
            kubernetes.config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
        else:
            kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig,
                context=context,
                client_configuration=configuration,
                persist_config=False,
            )
    except (kubernetes.config.ConfigException, OSError, ValueError, TypeError) as exc:
        where = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        raise InputError(f"cannot use the cluster configuration {where}: {exc}") from None
    configuration.retries = False  # retries are ours: bounded, with backoff and Retry-After
    client: Any = kubernetes.client.ApiClient(configuration)
    if impersonate:
        client.default_headers["Impersonate-User"] = impersonate
    if impersonate_group:
        client.default_headers["Impersonate-Group"] = impersonate_group
    _guard_connections(client)
    return client


class _GuardedHTTP(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        watchdog.guard(self.sock)


class _GuardedHTTPS(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        super().connect()  # TCP and the TLS handshake, each bounded by the request's timeouts
        watchdog.guard(self.sock)


class _GuardedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _GuardedHTTP


class _GuardedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPS


def _guard_connections(client: Any) -> None:
    """Every connection the client opens is shut down at its request's deadline (see
    :mod:`kubewhy.sources.deadline`): a trickling server cannot hold a request open."""
    manager = getattr(getattr(client, "rest_client", None), "pool_manager", None)
    if manager is not None and hasattr(manager, "pool_classes_by_scheme"):
        manager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def api_path(*segments: str) -> str:
    """An API path from names, each percent-encoded: a name from the server (``../secrets``,
    ``a/b``) stays one segment and can never reach another resource.

    >>> api_path("api", "v1", "namespaces", "..", "pods", "a/b")
    '/api/v1/namespaces/%2E%2E/pods/a%2Fb'
    """
    encoded = (quote(s, safe="") for s in segments)
    return "/" + "/".join(s.replace(".", "%2E") if s in (".", "..") else s for s in encoded)


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After`` header (the API server sends whole seconds)."""
    raw = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    try:
        return max(0.0, float(str(raw))) if raw is not None else None
    except ValueError:
        return None


class Transport:
    """Bounded GETs against one API server."""

    def __init__(
        self,
        client: Any,
        *,
        timeout: float = 15.0,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float | None = None,
    ) -> None:
        self.client = client
        self.timeout = timeout
        # The whole source's end (time.monotonic()): no request, retry or wait goes past it.
        self.deadline = deadline
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.counters = Counters()

    def url(self, path: str, query: Mapping[str, str | int | bool] | None = None) -> str:
        host = str(self.client.configuration.host).rstrip("/")
        quoted = quote(path, safe="/:@-._~%")  # segments from outside come encoded
        if not query:
            return host + quoted
        pairs = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in query.items()}
        return f"{host}{quoted}?{urlencode(pairs)}"

    def _headers(self, accept: str) -> dict[str, str]:
        # The client's default headers carry kubectl's --as/--as-group (Impersonate-*).
        headers = {**self.client.default_headers, "Accept": accept, "User-Agent": "kubewhy"}
        # auth_settings() refreshes expiring tokens (exec plugins, service account files).
        for setting in self.client.configuration.auth_settings().values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        return headers

    def get(
        self,
        path: str,
        query: Mapping[str, str | int | bool] | None = None,
        *,
        accept: str = "application/json",
        max_bytes: int = MAX_BODY_BYTES,
    ) -> Answer:
        """The body of ``GET path?query``; raises :class:`UnreadableError` when there is none."""
        url = self.url(path, query)
        attempt = 0
        while True:
            self.counters.count(requests=1)
            try:
                with until(self.deadline):
                    if expired():
                        raise UnreadableError("timeout", "the source's deadline had passed")
                    with within(self.timeout):
                        return self._once(url, accept, max_bytes)
            except UnreadableError as exc:
                if not exc.retryable or attempt >= self.retries:
                    raise
                delay = self._delay(attempt, exc)
                left = None if self.deadline is None else self.deadline - time.monotonic()
                if delay is None or (left is not None and delay >= left):
                    raise
            attempt += 1
            self.counters.count(retries=1)
            self.sleep(delay)

    def _delay(self, attempt: int, exc: UnreadableError) -> float | None:
        """Seconds to wait before the next attempt; None when the server asks for too long."""
        backoff = min(self.backoff * (2.0**attempt) * (1 + random.random() / 4), 8.0)
        if exc.retry_after is None:
            return backoff
        return None if exc.retry_after > MAX_RETRY_AFTER else exc.retry_after

    def _once(self, url: str, accept: str, max_bytes: int) -> Answer:
        started = time.monotonic()
        deadline = started + (remaining() or self.timeout)
        try:
            response = self.client.rest_client.request(
                "GET",
                url,
                headers=self._headers(accept),
                _request_timeout=(op_timeout(5.0), op_timeout(self.timeout)),
            )
        except kubernetes.client.ApiException as exc:  # older clients raise for any error status
            body = exc.body if isinstance(exc.body, bytes) else str(exc.body or "").encode()
            raise _status_error(int(exc.status or 0), exc.headers, body) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _transport_error(exc, time.monotonic() - started) from None
        raw = getattr(response, "response", None)
        status = int(response.status)
        try:
            body, truncated = _read_bounded(response, raw, deadline, max_bytes, self.timeout)
        finally:
            if raw is not None and hasattr(raw, "release_conn"):
                raw.release_conn()
        if expired():
            raise UnreadableError("timeout", f"answer not complete within {self.timeout:g}s")
        if status >= 300:
            headers = dict(raw.headers) if raw is not None else {}
            raise _status_error(status, headers, body)
        return Answer(body, truncated, time.monotonic() - started)

    def pages(
        self,
        path: str,
        query: Mapping[str, str | int | bool] | None = None,
        *,
        page_size: int = PAGE_SIZE,
        max_items: int | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """The items of a list, one page at a time (``limit`` + ``continue``)."""
        token: str | None = None
        seen = 0
        while True:
            params: dict[str, str | int | bool] = dict(query or {})
            params["limit"] = page_size
            if token:
                params["continue"] = token
            answer = self.get(path, params)
            try:
                document = json.loads(answer.body)
            except (ValueError, RecursionError):
                raise UnreadableError("error", f"{path}: the answer is not JSON") from None
            if not isinstance(document, dict):
                raise UnreadableError("error", f"{path}: the answer is not a list")
            items = [i for i in document.get("items") or () if isinstance(i, dict)]
            self.counters.count(objects=len(items))
            seen += len(items)
            yield items
            meta = document.get("metadata")
            token = str(meta.get("continue") or "") if isinstance(meta, dict) else ""
            if not token:
                return
            if max_items is not None and seen >= max_items:
                raise UnreadableError("too-large", f"{path}: stopped after {seen} objects")


def _read_bounded(
    response: Any, raw: Any, deadline: float, max_bytes: int, timeout: float
) -> tuple[bytes, bool]:
    if raw is None or not hasattr(raw, "read") or getattr(response, "data", None):
        data = bytes(response.data or b"")
        return data[:max_bytes], len(data) > max_bytes
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= max_bytes:
            if time.monotonic() > deadline:
                raise UnreadableError("timeout", f"answer not complete within {timeout:g}s")
            chunk = raw.read(_CHUNK)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
            size += len(chunk)
    except (urllib3.exceptions.TimeoutError, TimeoutError):
        raise UnreadableError("timeout", f"answer not complete within {timeout:g}s") from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise UnreadableError("error", f"connection dropped: {exc}", retryable=True) from None
    return b"".join(chunks)[:max_bytes], True


def _transport_error(exc: BaseException, seconds: float) -> UnreadableError:
    """No answer: refused, TLS, timed out, or the connection dropped (retried)."""
    chain: list[BaseException] = [exc]
    while len(chain) < 8:  # urllib3 wraps the cause: MaxRetryError(reason=NewConnectionError)
        inner = getattr(chain[-1], "reason", None) or chain[-1].__context__
        if not isinstance(inner, BaseException) or inner in chain:
            break
        chain.append(inner)
    # Checked in this order: urllib3's NewConnectionError (refused) is also a timeout class.
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return UnreadableError("refused", f"connection refused: {chain[-1]}")
    if any(isinstance(e, ssl.SSLError | urllib3.exceptions.SSLError) for e in chain):
        return UnreadableError("tls", f"TLS failed: {chain[-1]}")
    if expired() or any(
        isinstance(e, TimeoutError | urllib3.exceptions.TimeoutError) for e in chain
    ):
        return UnreadableError("timeout", f"no complete answer within {seconds:.3g}s")
    return UnreadableError("error", f"connection failed: {exc}", retryable=True)


def _status_error(status: int, headers: Mapping[str, str] | None, body: bytes) -> UnreadableError:
    message = ""
    try:
        document = json.loads(body)
        message = str(document.get("message") or "") if isinstance(document, dict) else ""
    except (ValueError, AttributeError, RecursionError):
        message = body[:200].decode("utf-8", "replace")
    detail = f"HTTP {status}" + (f": {message}" if message else "")
    if status == 401:
        return UnreadableError("unauthenticated", detail, status=status)
    if status == 403:
        return UnreadableError("permission", detail, status=status)
    if status == 404:
        return UnreadableError("absent", detail, status=status)
    retry_after = _retry_after(headers) if status == 429 else None
    reason: GapReason = "error"
    if status == 429:
        reason = "rate-limited"
    elif status >= 500:
        reason = "server-error"
    return UnreadableError(
        reason, detail, status=status, retryable=status in _RETRY_STATUS, retry_after=retry_after
    )
