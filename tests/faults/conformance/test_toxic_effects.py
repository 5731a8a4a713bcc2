"""What each toxic does to real traffic, measured on both servers with generous bounds.

Every test sends bytes through a proxy to a real upstream on 127.0.0.1 and looks at what
arrives, and when: no assertion depends on a tight timing, only on the effect being there.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Iterator

import pytest

from .conftest import Api, Upstream, connect, read_until_closed


def _rtt(sock: socket.socket, payload: bytes = b"ping") -> float:
    started = time.perf_counter()
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        data = sock.recv(65536)
        assert data, "closed mid-echo"
        got += data
    assert got == payload
    return time.perf_counter() - started


@pytest.fixture
def echoed(api: Api, echo_upstream: str) -> Iterator[str]:
    yield api.proxy("p", echo_upstream)["listen"]


def test_without_toxics_bytes_pass_unchanged(echoed: str) -> None:
    payload = bytes(range(256)) * 4096
    with connect(echoed) as sock:
        assert _rtt(sock, payload) < 5


def test_noop_changes_nothing(api: Api, echoed: str) -> None:
    api.toxic("p", type="noop", stream="upstream")
    with connect(echoed) as sock:
        assert _rtt(sock) < 0.5


@pytest.mark.parametrize("stream", ["upstream", "downstream"])
def test_latency_delays_each_way(api: Api, echoed: str, stream: str) -> None:
    api.toxic("p", type="latency", stream=stream, attributes={"latency": 150})
    with connect(echoed) as sock:
        samples = [_rtt(sock) for _ in range(3)]
    assert all(0.145 <= s < 0.6 for s in samples), samples


def test_latency_added_to_a_live_connection_applies_and_removal_lifts_it(
    api: Api, echoed: str
) -> None:
    with connect(echoed) as sock:
        assert _rtt(sock) < 0.1
        api.toxic("p", name="l", type="latency", attributes={"latency": 200})
        assert _rtt(sock) >= 0.195
        api.delete("/proxies/p/toxics/l")
        assert _rtt(sock) < 0.15


def test_jitter_spreads_the_delay(api: Api, echoed: str) -> None:
    api.toxic("p", type="latency", attributes={"latency": 100, "jitter": 50})
    with connect(echoed) as sock:
        samples = [_rtt(sock) for _ in range(12)]
    assert all(0.045 <= s < 0.6 for s in samples), samples
    assert max(samples) - min(samples) > 0.01, samples
    assert 0.06 < statistics.mean(samples) < 0.3


def test_toxicity_zero_never_applies(api: Api, echoed: str) -> None:
    api.toxic("p", type="latency", toxicity=0, attributes={"latency": 2000})
    with connect(echoed) as sock:
        assert _rtt(sock) < 0.5


def _source(size: int) -> Upstream:
    def send(conn: socket.socket) -> None:
        conn.sendall(b"x" * size)
        conn.shutdown(socket.SHUT_WR)
        conn.recv(1)

    return Upstream(send)


def test_bandwidth_limits_the_rate(api: Api) -> None:
    upstream = _source(100_000)
    try:
        listen = api.proxy("p", upstream.address)["listen"]
        api.toxic("p", type="bandwidth", attributes={"rate": 100})  # KB/s: 1 s for 100 KB
        with connect(listen, timeout=10) as sock:
            started = time.perf_counter()
            data, how = read_until_closed(sock)
            elapsed = time.perf_counter() - started
        assert (len(data), how) == (100_000, "eof")
        assert 0.7 < elapsed < 3.0, elapsed
    finally:
        upstream.close()


def test_slow_close_delays_the_close(api: Api) -> None:
    upstream = _source(5)
    try:
        listen = api.proxy("p", upstream.address)["listen"]
        api.toxic("p", type="slow_close", attributes={"delay": 400})
        with connect(listen) as sock:
            started = time.perf_counter()
            data, how = read_until_closed(sock)
            elapsed = time.perf_counter() - started
        assert (data, how) == (b"xxxxx", "eof")
        assert 0.38 < elapsed < 2.5, elapsed
    finally:
        upstream.close()


def test_limit_data_closes_after_the_limit(api: Api) -> None:
    upstream = _source(1000)
    try:
        listen = api.proxy("p", upstream.address)["listen"]
        api.toxic("p", type="limit_data", attributes={"bytes": 10})
        with connect(listen) as sock:
            data, how = read_until_closed(sock)
        assert (data, how) == (b"x" * 10, "eof")
    finally:
        upstream.close()


def test_slicer_cuts_data_into_pieces(api: Api) -> None:
    pieces: list[int] = []
    done = threading.Event()

    def record(conn: socket.socket) -> None:
        while data := conn.recv(65536):
            pieces.append(len(data))
        done.set()

    upstream = Upstream(record)
    try:
        listen = api.proxy("p", upstream.address)["listen"]
        slices = {"average_size": 10, "size_variation": 0, "delay": 30_000}  # µs between
        api.toxic("p", type="slicer", stream="upstream", attributes=slices)
        with connect(listen) as sock:
            sock.sendall(b"y" * 100)
            sock.shutdown(socket.SHUT_WR)
            read_until_closed(sock)
        assert done.wait(5)
        assert sum(pieces) == 100 and len(pieces) >= 5, pieces
    finally:
        upstream.close()


def test_timeout_drops_data_then_closes(api: Api, echoed: str) -> None:
    api.toxic("p", type="timeout", stream="upstream", attributes={"timeout": 300})
    with connect(echoed) as sock:
        started = time.perf_counter()
        sock.sendall(b"lost")
        data, how = read_until_closed(sock)
        elapsed = time.perf_counter() - started
    assert (data, how) == (b"", "eof")
    assert 0.25 < elapsed < 3, elapsed


def test_timeout_zero_drops_data_and_its_removal_closes_the_connection(
    api: Api, echoed: str
) -> None:
    api.toxic("p", name="t", type="timeout", stream="upstream", attributes={"timeout": 0})
    with connect(echoed, timeout=0.5) as sock:
        sock.sendall(b"held?")
        data, how = read_until_closed(sock)
        assert (data, how) == (b"", "timeout")  # nothing back, still open
        assert api.delete("/proxies/p/toxics/t").status_code == 204
        sock.settimeout(3)
        data, how = read_until_closed(sock)
        # The data was dropped, not held: removing the toxic closes the connection (PR #168).
        assert data == b"" and how in ("eof", "reset")


def test_reset_peer_resets_the_connection(api: Api, echoed: str) -> None:
    api.toxic("p", type="reset_peer", stream="upstream", attributes={"timeout": 0})
    with connect(echoed) as sock:
        sock.sendall(b"hello")
        data, how = read_until_closed(sock)
    assert (data, how) == (b"", "reset")


def test_a_half_close_from_the_client_closes_the_link(api: Api) -> None:
    def reply_after_eof(conn: socket.socket) -> None:
        while conn.recv(65536):
            pass
        time.sleep(0.1)
        conn.sendall(b"reply")

    upstream = Upstream(reply_after_eof)
    try:
        listen = api.proxy("p", upstream.address)["listen"]
        with connect(listen) as sock:
            sock.sendall(b"request")
            sock.shutdown(socket.SHUT_WR)
            data, how = read_until_closed(sock)
        # Toxiproxy closes both sides once one side has finished: the reply never comes.
        assert (data, how) == (b"", "eof")
    finally:
        upstream.close()


def test_a_disabled_proxy_refuses_and_a_deleted_one_drops_its_connections(
    api: Api, echoed: str
) -> None:
    with connect(echoed) as live:
        assert _rtt(live) < 0.5
        api.post("/proxies/p", json={"enabled": False})
        data, how = read_until_closed(live)
        assert data == b"" and how in ("eof", "reset")
    with pytest.raises(ConnectionRefusedError):
        connect(echoed).close()
    api.post("/proxies/p", json={"enabled": True})
    with connect(echoed) as sock:
        assert _rtt(sock) < 0.5
        api.delete("/proxies/p")
        data, how = read_until_closed(sock)
        assert data == b"" and how in ("eof", "reset")
