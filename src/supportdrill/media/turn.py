"""A coturn ``turnserver`` on loopback, for the TURN/TCP media path (tests, demo, CI).

coturn is a Debian package (``apt-get install -y coturn``) with no service manager here, so the
harness starts ``turnserver`` itself, on a free 127.0.0.1 port, with long-term credentials and
the flags the loopback path needs (shared/research/aiortc-feasibility.md):
``--allow-loopback-peers`` (the publisher is a loopback peer) and a relay port range.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from ..errors import StreamError
from .route import TurnConfig

READY_TIMEOUT_S = 10.0


def turnserver_binary() -> str | None:
    """Where ``turnserver`` is, or ``None`` if coturn is not installed."""
    return shutil.which("turnserver")


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def turnserver_args(
    binary: str, port: int, config: TurnConfig, relay_ports: range, log: Path
) -> list[str]:
    """The command line: loopback only, no TLS/DTLS/CLI, long-term credentials."""
    return [
        binary,
        "-n",  # no configuration file
        f"--listening-ip={config.host}",
        f"--relay-ip={config.host}",
        f"--listening-port={port}",
        "--lt-cred-mech",
        f"--user={config.username}:{config.password}",
        "--realm=supportdrill",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--allow-loopback-peers",
        f"--min-port={relay_ports.start}",
        f"--max-port={relay_ports.stop - 1}",
        f"--pidfile={log.with_suffix('.pid')}",
        f"--log-file={log}",
        "--no-stdout-log",
    ]


class CoturnServer:
    """``async with CoturnServer() as turn:`` → ``turn.config`` (a :class:`TurnConfig`)."""

    def __init__(self, relay_ports: range | None = None) -> None:
        # Concurrent servers (parallel test runs) get relay ranges of their own.
        base = 49160 + (os.getpid() % 40) * 100
        self.relay_ports = relay_ports or range(base, base + 100)
        self.config = TurnConfig("127.0.0.1", 0, "drill", secrets.token_hex(8))
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def log_path(self) -> Path | None:
        return Path(self._workdir.name) / "turnserver.log" if self._workdir else None

    async def start(self) -> TurnConfig:
        binary = turnserver_binary()
        if binary is None:
            raise StreamError("coturn is not installed: apt-get install -y coturn")
        port = _free_tcp_port()
        self.config = TurnConfig(self.config.host, port, self.config.username, self.config.password)
        self._workdir = tempfile.TemporaryDirectory(prefix="supportdrill-coturn-")
        log = Path(self._workdir.name) / "turnserver.log"
        args = turnserver_args(binary, port, self.config, self.relay_ports, log)
        self._process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not await self._listening():
            if self._process.poll() is not None or time.monotonic() > deadline:
                await self.stop()
                raise StreamError(f"turnserver did not start on 127.0.0.1:{port}")
            await asyncio.sleep(0.05)
        return self.config

    async def _listening(self) -> bool:
        try:
            _, writer = await asyncio.open_connection(self.config.host, self.config.port)
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                await asyncio.to_thread(process.wait, 5)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    async def __aenter__(self) -> CoturnServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
