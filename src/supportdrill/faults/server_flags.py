"""toxiproxy-server's command line, so ``supportdrill proxy serve`` is a drop-in for the binary.

The flags are Toxiproxy 2.12's (cmd/server/server.go): ``-host``, ``-port``, ``-config``,
``-seed``, ``-proxy-metrics``, ``-runtime-metrics``, ``-version``; each also takes the
``--double-dash`` spelling our other commands use. Differences, on purpose: ``-host`` defaults to
127.0.0.1 (Toxiproxy's ``localhost`` can resolve to every address family), a ``-config`` that
cannot be read or applied is refused instead of logged, and the two metrics flags are accepted
but serve nothing (there is no ``/metrics``).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidConfiguration

METRICS_FLAGS = ("proxy_metrics", "runtime_metrics")


def add_toxiproxy_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-host", "--host", default="127.0.0.1", help="API host (127.0.0.1)")
    parser.add_argument("-port", "--port", type=int, default=8474, help="API port (8474)")
    parser.add_argument(
        "-config", "--config", type=Path, help="JSON file of proxies to create on startup"
    )
    parser.add_argument("-seed", "--seed", type=int, help="seed for the toxics' randomness")
    for flag in METRICS_FLAGS:
        dashed = flag.replace("_", "-")
        parser.add_argument(
            f"-{dashed}",
            f"--{dashed}",
            dest=flag,
            action="store_true",
            help="accepted for toxiproxy-server compatibility; no /metrics is served",
        )
    parser.add_argument("-version", "--version", action="store_true", help="print the version")


@dataclass(frozen=True)
class ServerFlags:
    host: str
    port: int
    config: tuple[dict[str, Any], ...] | None = None
    """The ``-config`` file's proxies, read and checked before anything listens."""
    seed: int | None = None


def read_flags(args: argparse.Namespace) -> ServerFlags:
    """The flags as the server needs them; a bad ``-config`` is :class:`InvalidConfiguration`."""
    config = None
    if args.config is not None:
        path: Path = args.config
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidConfiguration(f"{path}: cannot read: {exc.strerror}") from exc
        except ValueError as exc:
            raise InvalidConfiguration(f"{path}: not JSON: {exc}") from exc
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise InvalidConfiguration(f"{path}: expected a JSON list of proxies")
        config = tuple(data)
    return ServerFlags(args.host, args.port, config, args.seed)
