"""A WHEP viewer that does only the signalling and one ICE check: the cheap surge viewer.

The viewer POSTs a receive-only offer (:func:`recvonly_offer`), reads the vendor's ICE
credentials and first UDP candidate from the answer (:func:`answer_ice`), and sends one STUN
Binding request to it as the controlling agent (:func:`binding_request`, RFC 8445 §7.2.2: the
USERNAME pairs the vendor's ufrag with ours, MESSAGE-INTEGRITY is keyed with the vendor's
password). A Binding success that carries the vendor's own integrity (:func:`is_binding_success`)
proves its ICE agent took the session; the viewer then deletes it, so no DTLS and no media are
ever set up. The offer carries no candidates: the vendor learns us peer-reflexively from the
check, as a browser behind NAT would.

Pure (bytes and text in, bytes and text out) so it runs inside a Locust process, where the
socket calls are gevent's; it never imports asyncio's event loop machinery or aiortc.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from aioice import stun

_ICE_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
_CANDIDATE = re.compile(
    r"^a=candidate:\S+ (\d+) udp \d+ (\d{1,3}(?:\.\d{1,3}){3}) (\d+) typ (\w+)", re.I | re.M
)


def _token(length: int) -> str:
    return "".join(secrets.choice(_ICE_CHARS) for _ in range(length))


@dataclass(frozen=True)
class Credentials:
    """Our side of the ICE session: a fresh ufrag and password per viewer."""

    ufrag: str
    pwd: str

    @classmethod
    def new(cls) -> Credentials:
        return cls(_token(8), _token(24))


def _fingerprint() -> str:
    # The vendor checks it only in the DTLS handshake, which this viewer never starts; a
    # well-formed SHA-256 keeps every SDP parser happy.
    digest = hashlib.sha256(secrets.token_bytes(32)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def recvonly_offer(credentials: Credentials) -> str:
    """A bundled receive-only offer for Opus audio and VP8 video, without candidates."""
    fingerprint = _fingerprint()
    session = secrets.randbelow(2**62)

    def media(mid: str, kind: str, payload: int, codec: str, feedback: tuple[str, ...]) -> str:
        lines = [
            f"m={kind} 9 UDP/TLS/RTP/SAVPF {payload}",
            "c=IN IP4 0.0.0.0",
            "a=rtcp:9 IN IP4 0.0.0.0",
            f"a=mid:{mid}",
            "a=recvonly",
            "a=rtcp-mux",
            f"a=rtpmap:{payload} {codec}",
            *(f"a=rtcp-fb:{payload} {item}" for item in feedback),
            f"a=ice-ufrag:{credentials.ufrag}",
            f"a=ice-pwd:{credentials.pwd}",
            f"a=fingerprint:sha-256 {fingerprint}",
            "a=setup:actpass",
        ]
        return "\r\n".join(lines)

    head = "\r\n".join(
        [
            "v=0",
            f"o=- {session} 1 IN IP4 0.0.0.0",
            "s=-",
            "t=0 0",
            "a=group:BUNDLE 0 1",
            "a=msid-semantic:WMS *",
        ]
    )
    audio = media("0", "audio", 111, "opus/48000/2", ())
    video = media("1", "video", 96, "VP8/90000", ("nack", "nack pli", "goog-remb"))
    return f"{head}\r\n{audio}\r\n{video}\r\n"


@dataclass(frozen=True)
class AnswerIce:
    """The vendor's ICE credentials and the UDP address to check."""

    ufrag: str
    pwd: str
    host: str
    port: int


class AnswerUnusable(ValueError):
    """The answer lacks what an ICE check needs; ``kind`` names the failure for the figures."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def answer_ice(answer: str) -> AnswerIce:
    """The first RTP-component IPv4 UDP host (or srflx/relay) candidate and the credentials."""
    ufrag = re.search(r"^a=ice-ufrag:(\S+)", answer, re.M)
    pwd = re.search(r"^a=ice-pwd:(\S+)", answer, re.M)
    if ufrag is None or pwd is None:
        raise AnswerUnusable("the answer has no ICE credentials", "answer_no_ice")
    for match in _CANDIDATE.finditer(answer):
        if match.group(1) == "1":
            return AnswerIce(ufrag.group(1), pwd.group(1), match.group(2), int(match.group(3)))
    raise AnswerUnusable("the answer has no IPv4 UDP candidate", "answer_no_candidate")


def binding_request(ours: Credentials, theirs: AnswerIce) -> tuple[bytes, bytes]:
    """A Binding request from the controlling side: ``(transaction id, packet)``."""
    message = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    message.attributes["USERNAME"] = f"{theirs.ufrag}:{ours.ufrag}"
    message.attributes["PRIORITY"] = 1853824767
    message.attributes["ICE-CONTROLLING"] = secrets.randbits(64)
    message.add_message_integrity(theirs.pwd.encode("utf-8"))
    message.add_fingerprint()
    return message.transaction_id, bytes(message)


def is_binding_success(packet: bytes, transaction_id: bytes, theirs: AnswerIce) -> bool:
    """True for the vendor's Binding success to our request, with its integrity intact."""
    try:
        message = stun.parse_message(packet)
    except ValueError:
        return False
    return (
        message.check_message_integrity(theirs.pwd.encode("utf-8"))
        and message.transaction_id == transaction_id
        and message.message_method == stun.Method.BINDING
        and message.message_class == stun.Class.RESPONSE
    )
