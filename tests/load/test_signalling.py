"""The signalling-only viewer's SDP and STUN, and the surge origin's limits, without Locust."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aioice import stun
from aiortc.sdp import SessionDescription

from supportdrill.load import signalling
from supportdrill.load.origin import OriginLimits, SurgeOrigin

ANSWER = (
    "v=0\r\na=ice-ufrag:srvU\r\na=ice-pwd:serverpasswordserverpass\r\n"
    "a=candidate:1 2 udp 2130706431 127.0.0.1 5001 typ host\r\n"
    "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
)


def test_the_offer_is_a_bundled_receive_only_offer_aiortc_accepts() -> None:
    ours = signalling.Credentials.new()
    parsed = SessionDescription.parse(signalling.recvonly_offer(ours))
    assert [media.kind for media in parsed.media] == ["audio", "video"]
    assert all(media.direction == "recvonly" for media in parsed.media)
    assert parsed.media[1].ice.usernameFragment == ours.ufrag
    assert parsed.media[1].dtls is not None and parsed.media[1].dtls.fingerprints
    assert not parsed.media[0].ice_candidates  # the vendor learns us from the check


def test_the_answer_gives_credentials_and_the_rtp_candidate() -> None:
    ice = signalling.answer_ice(ANSWER)
    assert (ice.ufrag, ice.host, ice.port) == ("srvU", "127.0.0.1", 5000)
    with pytest.raises(signalling.AnswerUnusable) as no_ice:
        signalling.answer_ice("v=0\r\n")
    assert no_ice.value.kind == "answer_no_ice"
    with pytest.raises(signalling.AnswerUnusable) as no_candidate:
        signalling.answer_ice(ANSWER.split("a=candidate")[0])
    assert no_candidate.value.kind == "answer_no_candidate"


def test_a_binding_check_and_its_answer() -> None:
    ours, theirs = signalling.Credentials.new(), signalling.answer_ice(ANSWER)
    transaction, packet = signalling.binding_request(ours, theirs)
    request = stun.parse_message(packet)
    assert request.attributes["USERNAME"] == f"srvU:{ours.ufrag}"
    assert request.check_message_integrity(theirs.pwd.encode())
    response = stun.Message(
        message_method=stun.Method.BINDING,
        message_class=stun.Class.RESPONSE,
        transaction_id=transaction,
    )
    response.add_message_integrity(theirs.pwd.encode())
    assert signalling.is_binding_success(bytes(response), transaction, theirs)
    assert not signalling.is_binding_success(bytes(response), b"x" * 12, theirs)
    assert not signalling.is_binding_success(b"garbage", transaction, theirs)


async def test_the_origin_refuses_past_its_limits_and_thins_past_capacity() -> None:
    limits = OriginLimits(capacity=1, max_viewers=2, max_offers_per_s=1, segment_s=1.0)
    async with SurgeOrigin(limits) as origin, httpx.AsyncClient() as http:
        # An offer with nothing published: refused (409) after the rate check counted it.
        offer = signalling.recvonly_offer(signalling.Credentials.new())
        headers = {"Content-Type": "application/sdp"}
        first = await http.post(origin.whep_url, content=offer, headers=headers)
        second = await http.post(origin.whep_url, content=offer, headers=headers)
        assert (first.status_code, second.status_code) == (409, 503)
        assert second.text == "signalling overloaded"
        # Two HTTP viewers fill the edge (a third is refused); past capacity each gets half.
        viewers = [httpx.AsyncClient() for _ in range(3)]
        try:
            playlist = await viewers[0].get(origin.hls_url)
            assert playlist.status_code == 200 and "#EXTM3U" in playlist.text
            assert origin.share() == 1.0
            assert (await viewers[1].get(origin.ll_hls_url)).status_code == 200
            assert origin.viewers() == 2 and origin.share() == 0.5
            assert (await viewers[2].get(origin.hls_url)).status_code == 503
            assert origin.refused == {
                "nothing is being published": 1,
                "signalling overloaded": 1,
                "edge full": 1,
            }
        finally:
            await asyncio.gather(*(viewer.aclose() for viewer in viewers))


def test_origin_limits_must_make_sense() -> None:
    with pytest.raises(ValueError, match="capacity"):
        OriginLimits(capacity=5, max_viewers=4)
