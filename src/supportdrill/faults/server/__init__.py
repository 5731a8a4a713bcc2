"""The embedded Toxiproxy-compatible server: TCP proxies as Toxiproxy 2.x, plus UDP (ours).

:func:`serve` runs it until cancelled (``supportdrill proxy serve``); :class:`EmbeddedToxiproxy`
starts it inside the current event loop for a drill when no ``TOXIPROXY_URL`` is set.
"""

from __future__ import annotations

import asyncio
import gc
import random
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from ...errors import InvalidConfiguration
from .answers import ApiError
from .api import REGISTRY_KEY, make_app
from .registry import VERSION, Registry
from .timeslice import ask_for_short_slice

__all__ = ["VERSION", "EmbeddedToxiproxy", "serve"]


class EmbeddedToxiproxy:
    """``async with EmbeddedToxiproxy() as server:`` → ``server.url`` (``http://127.0.0.1:PORT``)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self.registry: Registry | None = None

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the embedded Toxiproxy is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        app = make_app()
        self.registry = app[REGISTRY_KEY]
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self.port = int(runner.addresses[0][1])
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> EmbeddedToxiproxy:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def serve(
    host: str,
    port: int,
    *,
    ready: Callable[[str], None] | None = None,
    config: Sequence[Mapping[str, Any]] | None = None,
    seed: int | None = None,
) -> None:
    """Serve the API on ``host:port`` until cancelled; every proxy is closed on the way out.

    ``config`` is applied first, as ``/populate`` would (toxiproxy-server's ``-config``); a
    proxy it cannot create stops the start with :class:`InvalidConfiguration`. ``seed`` makes
    the toxics' randomness repeatable. ``ready`` gets the URL once listening (with port 0, the
    port the system picked).
    """
    if seed is not None:
        random.seed(seed)
    server = EmbeddedToxiproxy(host, port)
    await server.start()
    try:
        if config is not None:
            assert server.registry is not None
            try:
                await server.registry.populate(list(config))
            except ApiError as exc:
                raise InvalidConfiguration(f"-config: {exc.message}") from exc
        # Everything loaded so far lives as long as the process: keep it out of the collector's
        # full passes, which otherwise walk it all and stall every delayed chunk meanwhile.
        gc.freeze()
        ask_for_short_slice()  # see timeslice.py: delayed chunks leave on time on a busy host
        if ready is not None:
            ready(server.url)
        await asyncio.Event().wait()
    finally:
        await server.stop()
