"""Viewer surges with Locust, in processes of their own; master and workers for scale-out.

The harness side (:func:`create_surge`, :class:`~supportdrill.load.surge.Surge`) never imports
Locust: Locust monkey-patches the process that imports it for gevent, and gevent and aiortc's
asyncio degrade each other in one process. Locust runs the shipped
:mod:`~supportdrill.load.locustfile` in subprocesses; a full WebRTC viewer's media runs in a
media agent (:mod:`~supportdrill.load.agent`) beside each Locust process.
:mod:`~supportdrill.load.origin` is a loopback target with an edge's limits to drill against.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..definitions.load import LoadPlan
from ..definitions.scenarios import ENV_REFERENCE, StreamPlan
from ..errors import InvalidConfiguration
from .surge import Surge, locust_available, require_locust, worker_command


def surge_url(plan: LoadPlan, stream: StreamPlan | None, env: Mapping[str, str]) -> str:
    """Where the viewers go: ``load.url``, else the stream's WHEP URL; references resolved."""
    setting, value = "load.url", plan.url
    if value is None and stream is not None:
        setting, value = "stream.whep_url", stream.whep_url
    if value is None:
        raise InvalidConfiguration("load: no URL for the viewers (give load.url)")
    reference = ENV_REFERENCE.match(value)
    if reference is None:
        return value
    name = reference.group(1)
    resolved = env.get(name, "").strip()
    if not resolved.startswith(("http://", "https://")):
        raise InvalidConfiguration(f"{setting}: environment variable {name} is not an http(s) URL")
    return resolved


def create_surge(
    plan: LoadPlan, stream: StreamPlan | None, env: Mapping[str, str] | None = None
) -> Surge:
    """The surge ``plan`` describes, aimed at ``stream``'s viewing side unless it names a URL."""
    require_locust()
    source = os.environ if env is None else env
    token_env = stream.token_env if stream is not None else None
    return Surge(plan, surge_url(plan, stream, source), token_env=token_env)


__all__ = [
    "Surge",
    "create_surge",
    "locust_available",
    "require_locust",
    "surge_url",
    "worker_command",
]
