"""``python -m supportdrill.faults.server --host H --port P``: the embedded server on its own.

Writes ``listening on http://H:P`` on one line once it accepts requests, so a parent process
(a test, a script) can wait for it and learn the port when 0 was asked.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from . import EmbeddedToxiproxy


async def _main(host: str, port: int) -> None:
    async with EmbeddedToxiproxy(host, port) as server:
        sys.stdout.write(f"listening on {server.url}\n")
        sys.stdout.flush()
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m supportdrill.faults.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8474)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.host, args.port))


if __name__ == "__main__":
    main()
