"""Transports chosen by URL: ``smtp://``, ``smtps://``, ``file://``, ``console://``,
``memory://`` and ``null://``. See :func:`transport_from_url`."""

from .base import BaseTransport, OutgoingMessage, SendResult, SendStatus, Transport

__all__ = ["BaseTransport", "OutgoingMessage", "SendResult", "SendStatus", "Transport"]
