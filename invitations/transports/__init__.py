"""Transports chosen by URL: ``smtp://``, ``smtps://``, ``file://``, ``console://``,
``memory://`` and ``null://``. See :func:`transport_from_url`.

Every transport implements the one small protocol in :mod:`invitations.transports.base`.
Implementations are imported on first use, so that ``import invitations`` loads no
``smtplib`` or ``ssl`` until a message is sent.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from invitations.errors import ConfigurationError
from invitations.transports.base import (
    BaseTransport,
    OutgoingMessage,
    SendResult,
    SendStatus,
    Transport,
)
from invitations.transports.url import parse_url

if TYPE_CHECKING:
    from invitations.transports.console import ConsoleTransport
    from invitations.transports.file import FileTransport
    from invitations.transports.memory import MemoryTransport
    from invitations.transports.null import NullTransport
    from invitations.transports.smtp import SMTPTransport, StartTLS

#: URL scheme -> (module, class) of the transport it selects.
_SCHEMES: dict[str, tuple[str, str]] = {
    "smtp": ("smtp", "SMTPTransport"),
    "smtps": ("smtp", "SMTPTransport"),
    "file": ("file", "FileTransport"),
    "console": ("console", "ConsoleTransport"),
    "memory": ("memory", "MemoryTransport"),
    "null": ("null", "NullTransport"),
}

#: Public names loaded lazily from the module that defines them.
_LAZY: dict[str, str] = {
    "ConsoleTransport": "console",
    "FileTransport": "file",
    "MemoryTransport": "memory",
    "NullTransport": "null",
    "SMTPTransport": "smtp",
    "StartTLS": "smtp",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def transport_from_url(url: str) -> Transport:
    """Build the transport ``url`` names, e.g. ``smtp://relay:587?starttls=required``.

    Raises :class:`~invitations.errors.ConfigurationError` for an unknown
    scheme or option, so a mistyped setting stops the program at start-up.
    """
    parsed = parse_url(url.strip())
    entry = _SCHEMES.get(parsed.scheme)
    if entry is None:
        schemes = ", ".join(f"{name}://" for name in _SCHEMES)
        raise ConfigurationError(f"{parsed.redacted()}: unknown transport; use one of {schemes}")
    module, cls = entry
    factory = getattr(importlib.import_module(f"{__name__}.{module}"), cls).from_url
    transport: Transport = factory(parsed)
    return transport


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
