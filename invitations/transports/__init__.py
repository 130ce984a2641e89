"""Transports chosen by URL: ``smtp://``, ``smtps://``, ``file://``, ``console://``,
``memory://`` and ``null://``. See :func:`transport_from_url`."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ConfigurationError
from ._url import TransportURL, parse_url
from .base import BaseTransport, OutgoingMessage, SendResult, SendStatus, Transport
from .console import ConsoleTransport
from .file import FileTransport
from .memory import MemoryTransport
from .null import NullTransport
from .smtp import SMTPTransport, StartTLS

_FACTORIES: dict[str, Callable[[TransportURL], Transport]] = {
    "smtp": SMTPTransport.from_url,
    "smtps": SMTPTransport.from_url,
    "file": FileTransport.from_url,
    "console": ConsoleTransport.from_url,
    "memory": MemoryTransport.from_url,
    "null": NullTransport.from_url,
}


def transport_from_url(url: str) -> Transport:
    """Build the transport ``url`` names, e.g. ``smtp://relay:587?starttls=required``.

    Raises :class:`~invitations.errors.ConfigurationError` for an unknown
    scheme or option, so a mistyped setting stops the program at start-up.
    """
    parsed = parse_url(url.strip())
    factory = _FACTORIES.get(parsed.scheme)
    if factory is None:
        schemes = ", ".join(f"{name}://" for name in _FACTORIES)
        raise ConfigurationError(f"{parsed.redacted()}: unknown transport; use one of {schemes}")
    return factory(parsed)


__all__ = [
    "BaseTransport",
    "ConsoleTransport",
    "FileTransport",
    "MemoryTransport",
    "NullTransport",
    "OutgoingMessage",
    "SMTPTransport",
    "SendResult",
    "SendStatus",
    "StartTLS",
    "Transport",
    "transport_from_url",
]
