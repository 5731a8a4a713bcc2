"""ICE on loopback: the aioice adjustments and SDP edits that put every datagram through a proxy.

Three measured aiortc/aioice pitfalls are handled here (shared/research/aiortc-feasibility.md):

- aioice never gathers 127.0.0.1 as a host candidate. :func:`loopback_candidates` makes it
  gather *only* 127.0.0.1, for the peer connections set up inside the ``with`` block (a context
  variable, so other aiortc users in the process keep their normal gathering).
- aioice's consent-freshness check waits ``aioice.stun.RETRY_RTO`` (0.5 s) with no retransmission
  and closes the session after six misses: at an RTT above 0.5 s the harness would kill its own
  stream. :func:`tolerate_rtt` raises that timeout.
- The viewer must reach the publisher only through the proxy. :func:`strip_candidates` removes
  the viewer's candidates from the offer the publisher sees (and the end-of-candidates marker, so
  the publisher waits for checks instead of failing), and :func:`rewrite_candidate` replaces the
  publisher's address in the answer the viewer sees with the proxy's listen address. The
  publisher then learns the viewer only as the proxy's peer-reflexive address, so checks, DTLS,
  RTP and RTCP in both directions cross the proxy.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Callable, Iterator

import aioice.ice
import aioice.stun

from ..errors import StreamError

LOOPBACK = "127.0.0.1"
_loopback_only: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "supportdrill_loopback_only", default=False
)
_original_get_host_addresses: Callable[[bool, bool], list[str]] | None = None


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _loopback_only.get():
        return [LOOPBACK]
    assert _original_get_host_addresses is not None
    return _original_get_host_addresses(use_ipv4, use_ipv6)


def _install() -> None:
    global _original_get_host_addresses
    if _original_get_host_addresses is None:
        _original_get_host_addresses = aioice.ice.get_host_addresses
        aioice.ice.get_host_addresses = _get_host_addresses


@contextlib.contextmanager
def loopback_candidates() -> Iterator[None]:
    """Inside this block, ICE gathering (``setLocalDescription``) yields only 127.0.0.1."""
    _install()
    token = _loopback_only.set(True)
    try:
        yield
    finally:
        _loopback_only.reset(token)


def tolerate_rtt(seconds: float) -> None:
    """Let consent checks wait ``seconds`` for an answer (aioice's default is 0.5 s).

    aioice reads the timeout from a module constant when each STUN transaction starts, so this
    is process-wide; it only ever raises the value (a longer wait never breaks a fast path, it
    only slows retransmission of a lost connectivity check).
    """
    if seconds <= 0:
        raise ValueError("the consent timeout must be positive")
    aioice.stun.RETRY_RTO = max(float(aioice.stun.RETRY_RTO), seconds)


_CANDIDATE = re.compile(r"^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)(.*)$")


def strip_candidates(sdp: str) -> str:
    """``sdp`` without ICE candidates or end-of-candidates (the peer learns addresses by checks)."""
    lines = [
        line
        for line in sdp.splitlines()
        if not line.startswith(("a=candidate:", "a=end-of-candidates"))
    ]
    return "\r\n".join(lines) + "\r\n"


def host_candidates(sdp: str) -> list[tuple[str, int]]:
    """The ``(address, port)`` of every UDP host candidate in ``sdp``, in order, no repeats."""
    found: list[tuple[str, int]] = []
    for line in sdp.splitlines():
        match = _CANDIDATE.match(line.strip())
        if match and match.group(3).lower() == "udp" and match.group(7) == "host":
            address = (match.group(5), int(match.group(6)))
            if address not in found:
                found.append(address)
    return found


def udp_candidates(sdp: str) -> list[tuple[str, int]]:
    """The ``(address, port)`` of every IPv4 UDP candidate in ``sdp`` of any type, in order.

    A vendor's answer may offer only server-reflexive or relayed candidates, and IPv6 ones the
    fault layer's IPv4 relay cannot reach; host candidates come first, as ICE would try them.
    """
    ranked: list[tuple[int, tuple[str, int]]] = []
    for line in sdp.splitlines():
        match = _CANDIDATE.match(line.strip())
        if match is None or match.group(3).lower() != "udp" or ":" in match.group(5):
            continue
        address = (match.group(5), int(match.group(6)))
        if all(address != seen for _, seen in ranked):
            ranked.append((0 if match.group(7) == "host" else 1, address))
    return [address for _, address in sorted(ranked, key=lambda item: item[0])]


def rewrite_candidate(sdp: str, old: tuple[str, int], new: tuple[str, int]) -> str:
    """``sdp`` with candidate ``old`` (and the c=/m= defaults naming it) replaced by ``new``.

    Any other candidate is dropped: a second route would let media bypass the proxy.
    """
    old_host, old_port = old
    new_host, new_port = new
    replaced = 0
    out: list[str] = []
    for line in sdp.splitlines():
        match = _CANDIDATE.match(line.strip())
        if match:
            if (match.group(5), int(match.group(6))) != old or match.group(3).lower() != "udp":
                continue
            foundation, component, transport, priority = match.group(1, 2, 3, 4)
            line = (
                f"a=candidate:{foundation} {component} {transport} {priority} "
                f"{new_host} {new_port} typ host"
            )
            replaced += 1
        elif line.startswith("c=IN IP4 ") and line[len("c=IN IP4 ") :].strip() == old_host:
            line = f"c=IN IP4 {new_host}"
        elif line.startswith("m=") and f" {old_port} " in line:
            line = line.replace(f" {old_port} ", f" {new_port} ", 1)
        out.append(line)
    if not replaced:
        raise StreamError(f"no UDP host candidate {old_host}:{old_port} in the SDP to redirect")
    return "\r\n".join(out) + "\r\n"
