"""SDP edits that route media through the proxy, and loopback-only gathering, on real aiortc SDP."""

from __future__ import annotations

import aioice.stun
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from supportdrill.errors import StreamError
from supportdrill.media.ice import (
    host_candidates,
    loopback_candidates,
    rewrite_candidate,
    strip_candidates,
    tolerate_rtt,
)


async def _offer(loopback: bool) -> str:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    try:
        if loopback:
            with loopback_candidates():
                await pc.setLocalDescription(await pc.createOffer())
        else:
            await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


async def test_loopback_gathering_yields_only_127_0_0_1() -> None:
    sdp = await _offer(loopback=True)
    candidates = host_candidates(sdp)
    assert candidates and {host for host, _ in candidates} == {"127.0.0.1"}


async def test_outside_the_block_gathering_is_aiortcs_own() -> None:
    # aioice's default skips 127.0.0.1: the patch must not leak out of its block.
    sdp = await _offer(loopback=False)
    assert "127.0.0.1" not in {host for host, _ in host_candidates(sdp)}


async def test_strip_removes_candidates_and_end_marker() -> None:
    sdp = await _offer(loopback=True)
    assert "a=end-of-candidates" in sdp
    stripped = strip_candidates(sdp)
    assert "a=candidate:" not in stripped and "a=end-of-candidates" not in stripped
    assert "a=ice-ufrag:" in stripped


async def test_rewrite_points_the_candidate_and_defaults_at_the_proxy() -> None:
    sdp = await _offer(loopback=True)
    (host, port), *_ = host_candidates(sdp)
    rewritten = rewrite_candidate(sdp, (host, port), ("127.0.0.1", 40000))
    assert host_candidates(rewritten) == [("127.0.0.1", 40000)]
    assert f" {port} " not in "\n".join(x for x in rewritten.splitlines() if x.startswith("m="))


def test_rewrite_drops_other_routes_and_refuses_a_missing_candidate() -> None:
    sdp = (
        "v=0\r\nm=video 5000 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 127.0.0.1\r\n"
        "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
        "a=candidate:2 1 udp 1694498815 203.0.113.9 6000 typ srflx raddr 127.0.0.1 rport 5000\r\n"
    )
    rewritten = rewrite_candidate(sdp, ("127.0.0.1", 5000), ("127.0.0.1", 7000))
    assert "203.0.113.9" not in rewritten
    assert "m=video 7000 " in rewritten
    with pytest.raises(StreamError, match=r"no UDP host candidate 127\.0\.0\.1:1"):
        rewrite_candidate(sdp, ("127.0.0.1", 1), ("127.0.0.1", 7000))


def test_tolerate_rtt_only_raises_the_consent_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.stun, "RETRY_RTO", 0.5)
    tolerate_rtt(2.0)
    assert aioice.stun.RETRY_RTO == 2.0
    tolerate_rtt(1.0)
    assert aioice.stun.RETRY_RTO == 2.0
    with pytest.raises(ValueError):
        tolerate_rtt(0)
