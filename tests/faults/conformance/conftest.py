"""The conformance suite's servers: ours (``supportdrill proxy serve``) always, and Shopify's
``toxiproxy-server`` whenever it is on PATH or at ``../shared/toxiproxy/`` beside the checkout.

Both run as processes of their own, started with toxiproxy-server's flags (``-host``,
``-port``), and every test runs against each. Tests are synchronous on purpose: a blocking
client on real sockets, as any Toxiproxy user's would be. After each test every proxy is
deleted, as Toxiproxy's own api_test.go clears its collection.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
EMBEDDED = "embedded"
REAL = "toxiproxy-2.12"


def real_toxiproxy() -> str | None:
    """Shopify's toxiproxy-server: on PATH, else ``../shared/toxiproxy/`` beside the checkout."""
    found = shutil.which("toxiproxy-server")
    if found:
        return found
    beside = REPO.parent / "shared" / "toxiproxy" / "toxiproxy-server"
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    kind: str
    url: str
    pid: int


def _command(kind: str) -> list[str]:
    if kind == EMBEDDED:
        return [sys.executable, "-m", "supportdrill.cli", "proxy", "serve"]
    binary = real_toxiproxy()
    if binary is None:
        pytest.skip("toxiproxy-server is neither on PATH nor at ../shared/toxiproxy/")
    return [binary]


@contextlib.contextmanager
def running(kind: str, *flags: str) -> Iterator[Server]:
    port = free_port()
    process = subprocess.Popen(
        [*_command(kind), "-host", "127.0.0.1", "-port", str(port), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/version", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{kind} did not start") from None
                time.sleep(0.05)
        yield Server(kind, url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session", params=[EMBEDDED, REAL])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with running(request.param) as started:
        yield started


class Api:
    """A blocking client of one server, with the few shortcuts the tests share."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.http = httpx.Client(
            base_url=server.url, headers={"User-Agent": "conformance"}, timeout=10
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)

    def create(self, name: str, upstream: str, listen: str = "", **extra: Any) -> httpx.Response:
        body: dict[str, Any] = {"name": name, "upstream": upstream, **extra}
        if listen:
            body["listen"] = listen
        return self.http.post("/proxies", json=body)

    def proxy(self, name: str, upstream: str, **extra: Any) -> dict[str, Any]:
        response = self.create(name, upstream, "127.0.0.1:0", **extra)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    def toxic(self, proxy: str, **body: Any) -> dict[str, Any]:
        response = self.http.post(f"/proxies/{proxy}/toxics", json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def clear(self) -> None:
        for name in self.http.get("/proxies").json():
            self.http.delete(f"/proxies/{name}")


@pytest.fixture
def api(server: Server) -> Iterator[Api]:
    client = Api(server)
    try:
        yield client
    finally:
        client.clear()
        client.http.close()


def error(response: httpx.Response) -> tuple[int, str]:
    """The status and the ``error`` text of an API error answer."""
    return response.status_code, str(response.json()["error"])


def is_up(listen: str) -> bool:
    host, _, port = listen.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=2):
            return True
    except OSError:
        return False


def port_of(listen: str) -> int:
    return int(listen.rpartition(":")[2])


# -- upstreams for the toxics' measured effects ------------------------------------------------


class Upstream:
    """A threaded TCP server on 127.0.0.1 running ``handle(conn)`` per connection."""

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError):
                    handle(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def echo(conn: socket.socket) -> None:
    while data := conn.recv(65536):
        conn.sendall(data)


@pytest.fixture
def echo_upstream() -> Iterator[str]:
    upstream = Upstream(echo)
    yield upstream.address
    upstream.close()


def connect(listen: str, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port_of(listen)), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_until_closed(sock: socket.socket) -> tuple[bytes, str]:
    """Everything until the peer closes: the bytes, and ``eof``, ``reset`` or ``timeout``."""
    chunks = []
    try:
        while data := sock.recv(65536):
            chunks.append(data)
    except ConnectionResetError:
        return b"".join(chunks), "reset"
    except TimeoutError:
        return b"".join(chunks), "timeout"
    return b"".join(chunks), "eof"
