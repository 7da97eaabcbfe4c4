"""What goes wrong between kubewhy and Prometheus becomes gaps, bounded in time.

A small HTTP server on 127.0.0.1 plays a misbehaving Prometheus (real sockets, real timeouts)."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import ssl
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kubewhy.errors import UsageError
from kubewhy.kb.load import KnowledgeBase
from kubewhy.kb.metrics import plan_queries
from kubewhy.sources.prometheus import PromClient, QueryFailure

from .peers import collect_prometheus, free_port, need

EMPTY = {"status": "success", "data": {"resultType": "vector", "result": []}}


class _Server:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.headers: list[str] = []


@contextlib.contextmanager
def fake_prometheus(mode: str, tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, _Server]]:
    state = _Server(mode)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.headers.append(self.headers.get("Authorization", ""))
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            probe = query.get("query") == ["time()"]
            if state.mode == "slow":
                time.sleep(2)
            if state.mode == "401":
                self._send(401, {"status": "error", "error": "unauthorized"})
            elif state.mode == "500" and not probe:
                self._send(500, {"status": "error", "errorType": "internal", "error": "boom"})
            elif state.mode == "html":
                self._send(200, None, b"<html>login</html>")
            else:
                self._send(200, EMPTY)

        def _send(self, code: int, payload: object, raw: bytes | None = None) -> None:
            body = raw if raw is not None else json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls else "http"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_unreachable_prometheus_is_one_gap(kb: KnowledgeBase) -> None:
    started = time.monotonic()
    bundle = collect_prometheus(f"http://127.0.0.1:{free_port()}", "10m", None, kb, timeout=2)
    assert time.monotonic() - started < 3
    assert bundle.manifest.artefacts == []
    [gap] = bundle.manifest.gaps
    # Nothing listens: "refused", told apart from a timeout.
    assert gap.reason == "refused" and "refused" in gap.detail


def test_a_slow_prometheus_times_out(kb: KnowledgeBase) -> None:
    with fake_prometheus("slow") as (url, _):
        started = time.monotonic()
        bundle = collect_prometheus(url, "10m", None, kb, timeout=0.5)
        assert time.monotonic() - started < 1.5
    assert [g.reason for g in bundle.manifest.gaps] == ["timeout"]


def test_refused_credentials_are_an_unauthenticated_gap(kb: KnowledgeBase) -> None:
    with fake_prometheus("401") as (url, _):
        bundle = collect_prometheus(url, "10m", None, kb)
    [gap] = bundle.manifest.gaps
    assert gap.reason == "unauthenticated" and "HTTP 401" in gap.detail


def test_failing_queries_are_gaps_each(kb: KnowledgeBase) -> None:
    with fake_prometheus("500") as (url, _):
        bundle = collect_prometheus(url, "10m", None, kb)
    assert len(bundle.manifest.gaps) == len(plan_queries(kb))
    assert all(g.reason == "server-error" and "HTTP 500" in g.detail for g in bundle.manifest.gaps)
    assert all("boom" in g.detail for g in bundle.manifest.gaps)


def test_a_page_that_is_not_the_api_says_so() -> None:
    with fake_prometheus("html") as (url, _):
        answer = PromClient(url).get("query", {"query": "up"})
    assert isinstance(answer, QueryFailure) and "not JSON" in answer.detail


def test_bearer_token_and_basic_auth(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_prometheus("ok") as (url, state):
        PromClient(url, token="s3cret").get("query", {"query": "up"})
        monkeypatch.setenv("KUBEWHY_PROM_USER", "ops")
        monkeypatch.setenv("KUBEWHY_PROM_PASSWORD", "pw")
        bundle = collect_prometheus(url, "10m", None, kb)
    assert state.headers[0] == "Bearer s3cret"
    basic = "Basic " + base64.b64encode(b"ops:pw").decode()
    assert set(state.headers[1:]) == {basic}
    assert len(bundle.manifest.artefacts) == len(plan_queries(kb))


def test_bad_urls_and_windows_are_usage_errors(kb: KnowledgeBase) -> None:
    with pytest.raises(UsageError, match="http"):
        collect_prometheus("127.0.0.1:9090", None, None, kb)
    with pytest.raises(UsageError, match="RFC 3339"):
        collect_prometheus("http://127.0.0.1:9", "yesterday", None, kb)
    with pytest.raises(UsageError, match="is not before"):
        collect_prometheus("http://127.0.0.1:9", "1m", "2m", kb)


def test_https_with_a_private_ca(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    need(openssl is not None, "openssl is not installed")
    assert openssl is not None
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    with fake_prometheus("ok", server_tls) as (url, _):
        trusted = PromClient(url, ca_file=str(cert)).get("query", {"query": "up"})
        untrusted = PromClient(url, timeout=2).get("query", {"query": "up"})
    assert not isinstance(trusted, QueryFailure), trusted
    assert isinstance(untrusted, QueryFailure) and "CERTIFICATE_VERIFY_FAILED" in untrusted.detail
    with pytest.raises(UsageError):
        PromClient(url, ca_file=str(tmp_path / "missing.pem"))
