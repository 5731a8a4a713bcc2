"""``host:port`` text as Toxiproxy writes it, and the OS's bind errors in Go's words.

Toxiproxy resolves a listen address when it starts a proxy and reports what it bound:
``localhost:8080`` comes back as ``127.0.0.1:8080`` (Go's resolver prefers IPv4), and its errors
name the resolved address (``listen tcp 127.0.0.1:8080: bind: address already in use``).
"""

from __future__ import annotations

import errno
import ipaddress
import socket

from .answers import ApiError


def split_hostport(text: str, network: str = "tcp") -> tuple[str, int]:
    """``127.0.0.1:80``, ``[::1]:80``, ``localhost:0`` or ``:80`` (all interfaces)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        raise ApiError(f"listen {network}: address {text}: missing port in address", 500)
    if not port.isdigit() or int(port) > 65535:
        raise ApiError(f"listen {network}: address {port}: invalid port", 500)
    return host.strip("[]"), int(port)


def join_hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def resolve_host(host: str, network: str = "tcp") -> str:
    """An IP literal for ``host`` (IPv4 first, as Go's resolver); "" stays "" (every interface)."""
    if not host:
        return ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    kind = socket.SOCK_STREAM if network == "tcp" else socket.SOCK_DGRAM
    try:
        infos = socket.getaddrinfo(host, None, type=kind)
    except socket.gaierror as exc:
        raise ApiError(f"listen {network}: lookup {host}: no such host", 500) from exc
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return str(infos[0][4][0])


def resolve_listen(listen: str, network: str = "tcp") -> str:
    """``listen`` as Go's ResolveTCPAddr writes it: ``localhost:80`` → ``127.0.0.1:80``."""
    host, port = split_hostport(listen, network)
    return join_hostport(resolve_host(host, network), port)


def bind_error(network: str, listen: str, exc: OSError) -> ApiError:
    """The 500 Toxiproxy answers when it cannot listen, e.g. a port in use."""
    reasons = {
        errno.EADDRINUSE: "bind: address already in use",
        errno.EADDRNOTAVAIL: "bind: cannot assign requested address",
        errno.EACCES: "bind: permission denied",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return ApiError(f"listen {network} {listen}: {reason}", 500)
