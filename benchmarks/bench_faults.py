"""Fault layer benchmark: TCP pass-through vs direct, 50 ms latency error, UDP datagrams/s.

    python benchmarks/bench_faults.py          # everything
    python benchmarks/bench_faults.py udp      # the UDP relay only

Targets: ≥ 200 MB/s TCP through the proxy, p99 latency error ≤ 5 ms, ≥ 50,000 datagrams/s.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import statistics
import sys
import threading
import time
from multiprocessing.connection import Connection

from supportdrill.faults.base import ToxicSpec
from supportdrill.faults.server import EmbeddedToxiproxy
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


async def main(udp_only: bool) -> None:
    sink = await asyncio.start_server(_sink, "127.0.0.1", 0)
    echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
    sink_port, echo_port = sink.sockets[0].getsockname()[1], echo.sockets[0].getsockname()[1]
    async with EmbeddedToxiproxy() as server:
        backend = ToxiproxyBackend(server.url)
        through = await backend.create_proxy("tp", "127.0.0.1:0", f"127.0.0.1:{sink_port}")
        total = 512 * MB
        if udp_only:
            await _udp_in_process(backend)
            await _udp_other_process(backend)
            await backend.aclose()
            return
        direct = await _throughput(sink_port, total)
        proxied = await _throughput(through.port, total)
        print(f"tcp direct      {direct:8.1f} MB/s")
        print(f"tcp via proxy   {proxied:8.1f} MB/s  ratio {proxied / direct:.2f}  (target ≥ 200)")

        lat = await backend.create_proxy("lat", "127.0.0.1:0", f"127.0.0.1:{echo_port}")
        reader, writer = await asyncio.open_connection("127.0.0.1", lat.port)
        base = []
        for _ in range(50):
            t0 = time.perf_counter()
            writer.write(b"p")
            await reader.readexactly(1)
            base.append(time.perf_counter() - t0)
        await backend.add_toxic("lat", ToxicSpec("l", "latency", attributes={"latency": 50}))
        errors = []
        for _ in range(200):
            t0 = time.perf_counter()
            writer.write(b"p")
            await reader.readexactly(1)
            errors.append(abs(time.perf_counter() - t0 - statistics.median(base) - 0.050) * 1000)
        writer.close()
        errors.sort()
        p50, p99 = errors[len(errors) // 2], errors[int(len(errors) * 0.99) - 1]
        print(f"latency 50 ms   error p50 {p50:.2f} ms  p99 {p99:.2f} ms  (target p99 ≤ 5)")

        await _udp_in_process(backend)
        await _udp_other_process(backend)
        await backend.aclose()
    sink.close()
    echo.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] == ["udp"]))
