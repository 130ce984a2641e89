"""Everything a devsmtp server is configured with, in one place."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DEFAULT_SIZE_LIMIT", "PORTS_FILE", "Settings", "is_loopback"]

#: Where a running server writes its ports (inside the data directory).
PORTS_FILE = "ports.json"

#: The SIZE advertised in EHLO: 25 MiB, the common provider limit.
DEFAULT_SIZE_LIMIT = 25 * 1024 * 1024
#: Host names every devsmtp serves (besides its bound host and ``allowed_hosts``).
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass
class Settings:
    """Server options (``DevSMTP(data_dir, **options)`` fills these).

    ``auth``: ``None`` (no AUTH offered), ``"any"`` (AUTH PLAIN/LOGIN accepts any
    credentials and records the user) or ``"user:password"`` (required and checked).
    ``smtps_port``: ``None`` for no implicit-TLS listener, ``0`` for a free port.
    ``relay_allow``: addresses (``a@x``) or domains (``@x``) release may send to.
    ``web``: free-form options for the web inbox (``devsmtp.web.routes``).
    """

    data_dir: Path
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 0
    http_host: str = "127.0.0.1"
    http_port: int = 0
    smtps_port: int | None = None
    hostname: str = "devsmtp"
    size_limit: int = DEFAULT_SIZE_LIMIT
    max_messages: int | None = 10_000
    max_age: float | None = None
    fsync: bool = True
    auth: str | None = None
    starttls: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    session_timeout: float = 300.0
    relay_host: str | None = None
    relay_port: int = 25
    relay_allow: tuple[str, ...] = ()
    #: Further relays (``host:port``) a release request may name; ``relay_host`` always may.
    relay_hosts: tuple[str, ...] = ()
    #: Where ``bounce`` fault rules send their DSNs (``host:port``, the bounce receiver).
    bounce_relay: str | None = None
    #: ``Host`` names served besides the bound host and loopback (DNS-rebinding guard).
    allowed_hosts: tuple[str, ...] = ()
    #: HTTP: seconds for a request head to arrive, idle keep-alive seconds, most connections.
    http_header_timeout: float = 10.0
    http_keep_alive: float = 5.0
    http_limit_concurrency: int = 256
    ui_password: str | None = None
    #: Checks (``GET /api/messages/{id}/checks``): the base URL the service's links
    #: should start with, hosts besides loopback the link check may request, and a
    #: spamd (``host:port``) to ask instead of running ``spamassassin -L``.
    check_base_url: str | None = None
    check_allow_hosts: tuple[str, ...] = ()
    spamd: str | None = None
    uvloop: bool = True
    web: dict[str, object] = field(default_factory=dict)

    @property
    def tls_wanted(self) -> bool:
        return self.starttls or self.smtps_port is not None

    @property
    def credentials(self) -> tuple[str, str] | None:
        """The required ``(user, password)``, or None when any login is accepted."""
        if not self.auth or self.auth == "any":
            return None
        user, _, password = self.auth.partition(":")
        return user, password


def _ip_loopback(text: str) -> bool | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return bool((mapped or address).is_loopback)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine: an IP address in 127.0.0.0/8 or
    ``::1``, ``localhost``, or a name every resolved address of which is loopback."""
    host = host.strip().strip("[]")
    if not host:
        return False
    literal = _ip_loopback(host)
    if literal is not None:
        return literal
    if host.lower() == "localhost":
        return True
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    return bool(found) and all(_ip_loopback(str(info[4][0])) for info in found)
