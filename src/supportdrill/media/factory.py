"""``create_stream``: the one call the runner makes to get the drill's test stream."""

from __future__ import annotations

from ..errors import StreamError
from ..spec.scenarios import MediaPath, StreamPlan, StreamTarget
from ..timeline import Clock
from .base import Stream
from .loopback import LoopbackStream
from .route import DirectRoute, MediaRoute, ProxyBackend, TurnConfig, TurnTcpRoute, UdpProxyRoute


def create_stream(
    plan: StreamPlan,
    *,
    fault_backend: ProxyBackend | None,
    proxy_name_prefix: str,
    turn: TurnConfig | None = None,
    clock: Clock | None = None,
) -> Stream:
    """The stream ``plan`` describes, its media through proxies named ``{prefix}media...``.

    ``fault_backend`` is the drill's Toxiproxy-API backend; ``None`` runs the loopback stream
    without a fault layer (benchmarks). The stream's ``media_proxies`` are the proxy names the
    fault plan's toxics must go on; ``stop()`` deletes them.
    """
    if plan.target is StreamTarget.WHIP:
        raise StreamError("the whip target is not implemented yet; use target: loopback")
    route: MediaRoute
    if fault_backend is None:
        if plan.path is MediaPath.TURN_TCP:
            raise StreamError("path turn-tcp needs a fault backend to put a TCP proxy on")
        route = DirectRoute()
    elif plan.path is MediaPath.UDP:
        route = UdpProxyRoute(fault_backend, f"{proxy_name_prefix}media-udp")
    else:
        if turn is None:
            raise StreamError(
                "path turn-tcp needs a TURN server (coturn): start one, e.g. with "
                "supportdrill.media.turn.CoturnServer, and pass its TurnConfig"
            )
        route = TurnTcpRoute(fault_backend, f"{proxy_name_prefix}media-turn", turn)
    return LoopbackStream(plan, route, clock=clock)
