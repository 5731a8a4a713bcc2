"""``host:port`` text as Toxiproxy writes it, and the OS's bind errors in Go's words."""

from __future__ import annotations

import errno

from .registry import ApiError


def split_hostport(text: str) -> tuple[str, int]:
    """``127.0.0.1:80``, ``[::1]:80``, ``localhost:0`` or ``:80`` (all interfaces)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ApiError(f"listen tcp {text}: address {text}: missing port in address", 500)
    host = host.strip("[]")
    return host, int(port)


def join_hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bind_error(network: str, listen: str, exc: OSError) -> ApiError:
    """The 500 Toxiproxy answers when it cannot listen, e.g. a port in use."""
    reasons = {
        errno.EADDRINUSE: "bind: address already in use",
        errno.EADDRNOTAVAIL: "bind: cannot assign requested address",
        errno.EACCES: "bind: permission denied",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return ApiError(f"listen {network} {listen}: {reason}", 500)
