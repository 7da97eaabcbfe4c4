"""Bad peers on 127.0.0.1: one that trickles a byte every two seconds, one that accepts and
never answers, and a port where nothing listens. Each runs in a thread of the test and is
stopped (its sockets closed) when the test ends, pass or fail."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def bad_peer(kind: str, interval: float = 2.0) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a peer that ``trickle``s a never-ending HTTP answer one byte
    every ``interval`` seconds, or stays ``silent`` after accepting; ``refuse`` gives a port
    where nothing listens."""
    if kind == "refuse":
        yield f"http://127.0.0.1:{free_port()}"
        return
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()
    clients: list[socket.socket] = []

    def answer(conn: socket.socket) -> None:
        if kind == "silent":
            stop.wait()
            return
        payload = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * 10_000
        for byte in payload:
            if stop.wait(interval):
                return
            with contextlib.suppress(OSError):
                conn.sendall(bytes([byte]))

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            clients.append(conn)
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in clients:
            conn.close()
        server.close()


def kubeconfig_for(url: str, path: str) -> str:
    """A kubeconfig that points the kubernetes client at ``url``."""
    text = f"""apiVersion: v1
kind: Config
clusters:
- name: bad
  cluster: {{server: "{url}"}}
users:
- name: bad
  user: {{token: not-a-secret-of-anyone}}
contexts:
- name: bad
  context: {{cluster: bad, user: bad}}
current-context: bad
"""
    with open(path, "w") as out:
        out.write(text)
    return path


def elapsed(start: float) -> float:
    return time.monotonic() - start
