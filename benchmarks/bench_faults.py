"""Fault layer benchmark: our server beside a real Toxiproxy, and our UDP relay.

    python benchmarks/bench_faults.py                                # ours: TCP, then UDP
    python benchmarks/bench_faults.py tcp --server http://127.0.0.1:8474   # ours | Toxiproxy
    python benchmarks/bench_faults.py udp                            # the UDP relay only

TCP figures per server (each in a process of its own; ours is ``supportdrill proxy serve``):
throughput to a sink, the server's CPU seconds per GB relayed (from /proc), a 50 ms latency
toxic's error at p50/p99/max over echo round trips, and a 50±20 ms jitter toxic's mean error and
spread. Targets: ≥ 200 MB/s, p99 latency error ≤ 5 ms and no worse than Toxiproxy's, ≥ 50,000
datagrams/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from urllib.parse import urlsplit

import httpx

from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.server import EmbeddedToxiproxy
from supportdrill.faults.server.timeslice import ask_for_short_slice
from supportdrill.faults.toxiproxy_backend import ToxiproxyBackend

MB = 1_000_000


async def _sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    total = 0
    while data := await reader.read(1 << 20):
        total += len(data)
    writer.write(str(total).encode())
    await writer.drain()
    writer.close()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def _throughput(port: int, total: int) -> float:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    chunk = b"\0" * (1 << 20)
    started = time.perf_counter()
    for _ in range(total // len(chunk)):
        writer.write(chunk)
        await writer.drain()
    writer.write_eof()
    await reader.read()
    elapsed = time.perf_counter() - started
    writer.close()
    return total / elapsed / MB


UDP_SECONDS = 3.0
UDP_PAYLOAD = b"m" * 1200
UDP_OFFERED = (50_000, 100_000, 150_000)


class _Counter(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.count = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.count += 1


async def _udp_in_process(backend: ToxiproxyBackend) -> None:
    """The relay, its sender (a thread) and its receiver share one process and one GIL.

    This is how the figure in issue 3 was measured (35,445/s); kept so it can be compared.
    """
    loop = asyncio.get_running_loop()
    counter_transport, counter = await loop.create_datagram_endpoint(
        _Counter, local_addr=("127.0.0.1", 0)
    )
    port = counter_transport.get_extra_info("sockname")[1]
    udp = await backend.create_proxy("udp", "127.0.0.1:0", f"127.0.0.1:{port}", "udp")
    # The sender is a thread with a blocking socket, so it does not starve the relay's loop.
    started = time.perf_counter()

    def blast() -> int:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            count = 0
            while time.perf_counter() - started < UDP_SECONDS:
                for _ in range(50):
                    sock.sendto(UDP_PAYLOAD, ("127.0.0.1", udp.port))
                count += 50
                time.sleep(0.0005)
            return count

    sent = await asyncio.to_thread(blast)
    await asyncio.sleep(0.5)
    elapsed = time.perf_counter() - started - 0.5
    print(
        f"udp relay       {counter.count / elapsed:8.0f} datagrams/s delivered "
        f"({counter.count}/{sent} sent, 1200 B; sender+receiver in this process)"
        "  (target ≥ 50,000)"
    )
    counter_transport.close()
    await backend.delete_proxy("udp")


def _load(conn: Connection) -> None:
    """In a child process: receive on one socket, and send at the rates the parent asks for."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.2)
    conn.send(receiver.getsockname()[1])
    received = 0

    def receive() -> None:
        nonlocal received
        while True:
            try:
                receiver.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            received += 1

    thread = threading.Thread(target=receive, daemon=True)
    thread.start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        while (job := conn.recv()) is not None:
            port, rate = job
            before, sent, burst = received, 0, 50
            started = time.perf_counter()
            while (now := time.perf_counter() - started) < UDP_SECONDS:
                if sent > now * rate:
                    time.sleep(0.0002)
                    continue
                for _ in range(burst):
                    sock.sendto(UDP_PAYLOAD, ("127.0.0.1", port))
                sent += burst
            time.sleep(0.5)  # let the relay drain
            conn.send((sent, received - before, time.perf_counter() - started - 0.5))
    receiver.close()
    thread.join()


async def _udp_other_process(backend: ToxiproxyBackend) -> None:
    """The relay alone in this process; a child process offers load and counts what arrives."""
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=_load, args=(theirs,))
    child.start()
    try:
        port = await asyncio.to_thread(ours.recv)
        udp = await backend.create_proxy("udp2", "127.0.0.1:0", f"127.0.0.1:{port}", "udp")
        for rate in UDP_OFFERED:
            cpu = os.times()
            ours.send((udp.port, rate))
            sent, received, elapsed = await asyncio.to_thread(ours.recv)
            # This process does nothing else meanwhile: its CPU time is the relay's cost.
            done = os.times()
            per = 1e6 / max(received, 1)
            user, system = (done.user - cpu.user) * per, (done.system - cpu.system) * per
            print(
                f"udp relay       {received / elapsed:8.0f} datagrams/s delivered "
                f"({received}/{sent} sent, offered {sent / UDP_SECONDS:,.0f}/s from another "
                f"process, 1200 B; relay CPU per datagram {user:.1f} µs user + {system:.1f} µs "
                "system)  (target ≥ 50,000)"
            )
        ours.send(None)
    finally:
        await asyncio.to_thread(child.join, 10)
        if child.is_alive():
            child.kill()


# -- TCP, side by side: our server and a real Toxiproxy, each in a process of its own ---------


@dataclass
class Figures:
    mb_per_s: float = 0.0
    cpu_s_per_gb: float | None = None
    errors_ms: list[float] = field(default_factory=list)
    jitter_mean_error_ms: float = 0.0
    jitter_std_ms: float = 0.0


def _listener_pid(url: str) -> int | None:
    """The process listening on ``url``'s port (Linux /proc), for its CPU time."""
    port = urlsplit(url).port
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(pid)
    return None


def _cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def throughput(url: str, sink_port: int, total: int) -> Figures:
    backend = ToxiproxyBackend(url)
    figures = Figures()
    try:
        with contextlib.suppress(Exception):
            await backend.delete_proxy("bench-tp")
        through = await backend.create_proxy("bench-tp", "127.0.0.1:0", f"127.0.0.1:{sink_port}")
        pid = _listener_pid(url)
        cpu = _cpu_seconds(pid)
        figures.mb_per_s = await _throughput(through.port, total)
        after = _cpu_seconds(pid)
        if cpu is not None and after is not None:
            figures.cpu_s_per_gb = (after - cpu) / (total / 1e9)
        await backend.delete_proxy("bench-tp")
    finally:
        await backend.aclose()
    return figures


class _Trips:
    """Echo round trips on one connection through a proxy with one toxic."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def through(cls, backend: ToxiproxyBackend, name: str, echo_port: int) -> _Trips:
        with contextlib.suppress(Exception):
            await backend.delete_proxy(name)
        proxy = await backend.create_proxy(name, "127.0.0.1:0", f"127.0.0.1:{echo_port}")
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def once(self) -> float:
        started = time.perf_counter()
        self.writer.write(b"p")
        await self.reader.readexactly(1)
        return time.perf_counter() - started

    def close(self) -> None:
        self.writer.close()


async def timing(
    urls: list[str], echo_port: int, trips: int
) -> list[tuple[list[float], list[float]]]:
    """Per server: the 50 ms toxic's absolute errors and the 50±20 ms toxic's delays (ms).

    The servers take turns, one round trip each, so a busy moment of a shared machine falls
    on all of them alike instead of on whichever was being measured then.
    """
    backends = [ToxiproxyBackend(url) for url in urls]
    try:
        latency = [await _Trips.through(b, "bench-lat", echo_port) for b in backends]
        jitter = [await _Trips.through(b, "bench-jit", echo_port) for b in backends]
        bases = []
        for trip in latency:
            bases.append(statistics.median([await trip.once() for _ in range(50)]))
        for backend in backends:
            lat = ToxicSpec("l", "latency", attributes={"latency": 50})
            await backend.add_toxic("bench-lat", lat)
            jit = ToxicSpec("j", "latency", attributes={"latency": 50, "jitter": 20})
            await backend.add_toxic("bench-jit", jit)
        errors: list[list[float]] = [[] for _ in urls]
        delays: list[list[float]] = [[] for _ in urls]
        for _ in range(trips):
            for index, trip in enumerate(latency):
                errors[index].append(abs(await trip.once() - bases[index] - 0.050) * 1000)
            for index, trip in enumerate(jitter):
                delays[index].append((await trip.once() - bases[index]) * 1000)
        for trip in latency + jitter:
            trip.close()
        for backend in backends:
            await backend.delete_proxy("bench-lat")
            await backend.delete_proxy("bench-jit")
    finally:
        for backend in backends:
            await backend.aclose()
    return [(sorted(e), d) for e, d in zip(errors, delays, strict=True)]


@contextlib.contextmanager
def embedded_process() -> Iterator[str]:
    """``supportdrill proxy serve`` in a process of its own, as the real server runs."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "supportdrill.cli", "proxy", "serve", "-port", str(port)]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL) as process:
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                time.sleep(0.05)
            yield url
        finally:
            process.terminate()


def _percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(len(values) * share))]


def report(columns: dict[str, Figures], total: int, trips: int) -> None:
    names = list(columns)
    print(f"TCP through the proxy: {total // MB} MB to a sink; {trips} echo round trips per toxic")
    print(f"{'':34}" + "".join(f"{name:>18}" for name in names))

    def row(label: str, values: list[str]) -> None:
        print(f"{label:34}" + "".join(f"{value:>18}" for value in values))

    figures = [columns[name] for name in names]
    row("throughput MB/s", [f"{f.mb_per_s:.1f}" for f in figures])
    row(
        "server CPU s per GB",
        ["n/a" if f.cpu_s_per_gb is None else f"{f.cpu_s_per_gb:.2f}" for f in figures],
    )
    for label, share in (("p50", 0.5), ("p99", 0.99)):
        row(
            f"latency 50 ms: error {label} ms",
            [f"{_percentile(f.errors_ms, share):.2f}" for f in figures],
        )
    row("latency 50 ms: error max ms", [f"{max(f.errors_ms):.2f}" for f in figures])
    row("jitter 50±20 ms: mean error ms", [f"{f.jitter_mean_error_ms:.2f}" for f in figures])
    row("jitter 50±20 ms: spread (σ) ms", [f"{f.jitter_std_ms:.2f}" for f in figures])
    print(f"{'':34}(uniform ±20 ms has σ {20 / 3**0.5:.2f} ms)")


async def side_by_side(real_url: str | None, total: int, trips: int) -> None:
    sink = await asyncio.start_server(_sink, "127.0.0.1", 0)
    echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
    sink_port, echo_port = sink.sockets[0].getsockname()[1], echo.sockets[0].getsockname()[1]
    columns: dict[str, Figures] = {}
    try:
        direct = await _throughput(sink_port, total)
        with embedded_process() as ours:
            urls = {"embedded": ours}
            if real_url is not None:
                version = httpx.get(f"{real_url}/version", timeout=5).json()["version"]
                urls[f"toxiproxy {version}"] = real_url
            for name, url in urls.items():
                columns[name] = await throughput(url, sink_port, total)
            timed = await timing(list(urls.values()), echo_port, trips)
            for name, (errors, delays) in zip(urls, timed, strict=True):
                figures = columns[name]
                figures.errors_ms = errors
                figures.jitter_mean_error_ms = abs(statistics.mean(delays) - 50)
                figures.jitter_std_ms = statistics.pstdev(delays)
    finally:
        sink.close()
        echo.close()
    print(f"direct (no proxy) {direct:.1f} MB/s")
    report(columns, total, trips)


async def udp_benchmarks() -> None:
    async with EmbeddedToxiproxy() as server:
        backend = ToxiproxyBackend(server.url)
        await _udp_in_process(backend)
        await _udp_other_process(backend)
        await backend.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", nargs="?", choices=["tcp", "udp", "all"], default="all")
    parser.add_argument("--server", help="a real Toxiproxy's URL, measured beside ours")
    parser.add_argument("--megabytes", type=int, default=512)
    parser.add_argument("--trips", type=int, default=300)
    args = parser.parse_args(argv)
    # The client asks for the short slice our server asks for (timeslice.py), so its own
    # wakeups add as little as they can to what it measures of either server.
    ask_for_short_slice()
    if args.what in ("tcp", "all"):
        asyncio.run(side_by_side(args.server, args.megabytes * MB, args.trips))
    if args.what in ("udp", "all"):
        asyncio.run(udp_benchmarks())


if __name__ == "__main__":
    main()
