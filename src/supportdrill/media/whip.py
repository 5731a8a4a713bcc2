"""The whip target: publish to a vendor's WHIP ingest, watch it back through the vendor's WHEP.

Both peers run in the harness, like the loopback target's (:mod:`supportdrill.media.peers`),
but they never see each other: the publisher POSTs its offer to ``whip_url`` (RFC 9725), the
viewer POSTs a receive-only offer to ``whep_url`` (draft-ietf-wish-whep), and the vendor's
media server sits between them. Each answer comes back as ``201 Created`` with the session's
URL in ``Location``; ``DELETE`` on that URL ends the session. Every candidate is gathered
before the offer is sent (aiortc always does), so no trickle ``PATCH`` is needed.

The fault must act on the media, so each leg crosses its own UDP proxy of the fault layer:
the vendor's first usable candidate in an answer becomes the upstream of a proxy
(``media-whip`` for publisher → ingest, its *upstream* direction; ``media-whep`` for egress →
viewer, its *downstream*), and the answer our peer sees names the proxy's listen address
instead (the same machinery as the loopback target's
:class:`~supportdrill.media.route.UdpProxyRoute`). Our own candidates are left out of the
offers, so the vendor learns us only as the proxy's address and no packet bypasses it. When
the supervisor rebuilds the peers, both sessions are deleted, new ones POSTed, and the proxies
re-pointed in place (toxics stay).

The Bearer token is a :class:`~supportdrill.secrets.SecretValue`: it goes in the
``Authorization`` header and nowhere else, and every error text is redacted before it is raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from aiortc import RTCPeerConnection, RTCSessionDescription

from ..clock import Clock
from ..definitions.scenarios import ENV_REFERENCE, StreamPlan
from ..errors import InvalidConfiguration, StreamError
from ..secrets import Redactor, SecretValue, resolve_secret
from .ice import loopback_candidates, rewrite_candidate, strip_candidates, udp_candidates
from .peers import PeerPair, PeerPairStream, synthetic_tracks
from .route import OwnProxies, ProxyOwner, UdpProxyRoute, base_configuration
from .upkeep import vp8_without_rtx

log = logging.getLogger(__name__)

SDP_TYPE = "application/sdp"
EXCERPT_CHARS = 120
"""How much of an endpoint's unexpected reply an error quotes."""


PLAYBACK_WAIT_S = 5.0
"""How long a WHEP endpoint may answer "not yet" (404, 409, 503) after the ingest began."""
PLAYBACK_RETRY_S = 0.25
_NOT_YET = frozenset({404, 409, 503})
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class EndpointRefused(StreamError):
    """An endpoint answered with an HTTP error status (kept in ``status``)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class WhipEndpoints:
    """Where the stream is published and watched, and the Bearer token both endpoints take."""

    whip_url: str
    whep_url: str
    token: SecretValue | None = None


def resolve_endpoints(plan: StreamPlan, env: Mapping[str, str] | None = None) -> WhipEndpoints:
    """The plan's URLs and token, with ``${VARIABLE}`` references read from ``env``.

    Raises :class:`InvalidConfiguration` naming the setting and variable, never a value.
    """
    source = os.environ if env is None else env

    def url(setting: str, value: str | None) -> str:
        if value is None:
            raise InvalidConfiguration(f"stream.{setting} is needed by target whip")
        reference = ENV_REFERENCE.match(value)
        if reference is not None:
            name = reference.group(1)
            if not source.get(name, "").strip():
                raise InvalidConfiguration(
                    f"stream.{setting}: environment variable {name} is not set"
                )
            value = source[name].strip()
            if not value.startswith(("http://", "https://")):
                raise InvalidConfiguration(
                    f"stream.{setting}: environment variable {name} is not an http(s) URL"
                )
        return value

    whip_url, whep_url = url("whip_url", plan.whip_url), url("whep_url", plan.whep_url)
    token = None
    if plan.token_env is not None:
        try:
            token = resolve_secret("token", plan.token_env, source)
        except InvalidConfiguration as exc:
            # The desks' wording names a "desk secret"; this one is the stream's.
            _, _, detail = str(exc).partition(": ")
            raise InvalidConfiguration(f"stream.token: {detail}") from exc
    return WhipEndpoints(whip_url, whep_url, token)


class WhipClient:
    """The HTTP side of WHIP and WHEP: POST an offer, DELETE a session; errors as StreamError."""

    def __init__(self, token: SecretValue | None = None, *, timeout_s: float = 10.0) -> None:
        self._redactor = Redactor([token] if token is not None else [])
        headers = {"Authorization": f"Bearer {token.reveal()}"} if token is not None else {}
        self._http = httpx.AsyncClient(headers=headers, timeout=timeout_s, follow_redirects=True)
        self.timeout_s = timeout_s

    def _fail(self, what: str, detail: str) -> StreamError:
        return StreamError(self._redactor.redact(f"{what}: {detail}"))

    def _refused(self, what: str, response: httpx.Response) -> EndpointRefused:
        detail = f"HTTP {response.status_code}: {_excerpt(response.text)}"
        return EndpointRefused(self._redactor.redact(f"{what}: {detail}"), response.status_code)

    async def offer(self, label: str, url: str, sdp: str) -> tuple[str, str]:
        """POST ``sdp`` to ``url``; the session URL (from ``Location``) and the SDP answer."""
        what = f"{label} POST {url}"
        try:
            response = await self._http.post(url, content=sdp, headers={"Content-Type": SDP_TYPE})
        except httpx.TimeoutException as exc:
            raise self._fail(what, f"no answer within {self.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise self._fail(what, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code not in (200, 201):
            raise self._refused(what, response)
        location = response.headers.get("Location")
        if not location:
            raise self._fail(what, f"HTTP {response.status_code} without a Location header")
        answer = response.text
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != SDP_TYPE or not answer.lstrip().startswith("v=0"):
            raise self._fail(
                what, f"the answer is not SDP ({content_type or 'no type'}): {_excerpt(answer)}"
            )
        return urljoin(str(response.url), location), answer

    async def delete(self, label: str, resource: str) -> None:
        """End the session at ``resource``; a session already gone (404) is ended too."""
        what = f"{label} DELETE {resource}"
        try:
            response = await self._http.delete(resource)
        except httpx.TimeoutException as exc:
            raise self._fail(what, f"no answer within {self.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise self._fail(what, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300 and response.status_code != 404:
            raise self._refused(what, response)

    async def aclose(self) -> None:
        await self._http.aclose()


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    if not flat:
        return "(empty body)"
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "…"


class WhipStream(PeerPairStream):
    """Publisher → vendor WHIP ingest → vendor WHEP egress → viewer, each leg through a proxy.

    With ``owner`` None the peers talk to the vendor directly (no fault can act on them).
    """

    def __init__(
        self,
        plan: StreamPlan,
        endpoints: WhipEndpoints,
        owner: ProxyOwner | None,
        *,
        clock: Clock | None = None,
        connect_timeout_s: float = 10.0,
        http_timeout_s: float = 5.0,
    ) -> None:
        super().__init__(plan, clock=clock, connect_timeout_s=connect_timeout_s)
        self.endpoints = endpoints
        self.owner = owner
        self._client = WhipClient(endpoints.token, timeout_s=http_timeout_s)
        self._ingest = UdpProxyRoute(owner, role="media-whip") if owner else None
        self._egress = UdpProxyRoute(owner, role="media-whep") if owner else None

    @property
    def media_proxies(self) -> tuple[str, ...]:
        return tuple(
            name for leg in (self._ingest, self._egress) if leg for name in leg.proxy_names
        )

    async def _close(self) -> None:
        await self._client.aclose()
        if isinstance(self.owner, OwnProxies):
            await self.owner.close()
        # A FaultSession deletes its proxies (verified) when the drill closes it.

    def _new_peers(self, generation: int) -> PeerPair:
        publisher = RTCPeerConnection(base_configuration())
        viewer = RTCPeerConnection(base_configuration())
        tracks = synthetic_tracks(self.plan)
        for track in tracks:
            sending = publisher.addTransceiver(track, direction="sendonly")
            receiving = viewer.addTransceiver(track.kind, direction="recvonly")
            if track.kind == "video":
                # VP8 alone on both legs: see upkeep.vp8_without_rtx (RTX stats collide).
                sending.setCodecPreferences(vp8_without_rtx())
                receiving.setCodecPreferences(vp8_without_rtx())
        return PeerPair(publisher, viewer, tracks, generation, time.monotonic())

    async def _signal(self, peers: PeerPair) -> None:
        # The ingest first: a WHEP endpoint has nothing to play until the WHIP session exists.
        await self._negotiate(peers, peers.publisher, "WHIP", self.endpoints.whip_url, self._ingest)
        await self._negotiate(peers, peers.viewer, "WHEP", self.endpoints.whep_url, self._egress)

    async def _post(self, label: str, url: str, offer: str) -> tuple[str, str]:
        # A vendor's playback may not know the stream until the ingest's first media has
        # reached it: "not yet" from the WHEP endpoint is retried for a while.
        waited_since = time.monotonic()
        while True:
            try:
                return await self._client.offer(label, url, offer)
            except EndpointRefused as exc:
                waited = time.monotonic() - waited_since
                if label != "WHEP" or exc.status not in _NOT_YET or waited >= PLAYBACK_WAIT_S:
                    raise
            await asyncio.sleep(PLAYBACK_RETRY_S)

    async def _negotiate(
        self,
        peers: PeerPair,
        pc: RTCPeerConnection,
        label: str,
        url: str,
        leg: UdpProxyRoute | None,
    ) -> None:
        # Through a proxy our peer only ever talks to the proxy, on loopback (and a media
        # server on this machine is reached over loopback alone).
        loopback = leg is not None or urlsplit(url).hostname in _LOOPBACK_HOSTS
        with loopback_candidates() if loopback else contextlib.nullcontext():
            await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp
        if leg is not None:
            # The vendor learns the proxy's address from its checks (peer-reflexive): an
            # offer naming our address would let media bypass the proxy.
            offer = strip_candidates(offer)
        resource, answer = await self._post(label, url, offer)
        client = self._client

        async def end_session() -> None:
            await client.delete(label, resource)

        peers.cleanups.append(end_session)
        if leg is not None:
            candidates = udp_candidates(answer)
            if not candidates:
                raise StreamError(f"{label} answer from {url} has no IPv4 UDP candidate")
            listen = await leg.publisher_ready(candidates[0])
            assert listen is not None  # a UDP proxy route always redirects
            answer = rewrite_candidate(answer, candidates[0], listen)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        except Exception as exc:  # aiortc raises anything from ValueError to a bare assert
            reason = f"{type(exc).__name__} {exc}".strip()
            raise StreamError(f"{label} answer from {url} was refused: {reason}") from exc


def create_whip_stream(
    plan: StreamPlan,
    owner: ProxyOwner | None,
    *,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    connect_timeout_s: float = 10.0,
) -> WhipStream:
    """A :class:`WhipStream` for ``plan``, its references resolved from ``env`` (the process's
    environment by default)."""
    return WhipStream(
        plan, resolve_endpoints(plan, env), owner, clock=clock, connect_timeout_s=connect_timeout_s
    )
