"""``null://``: accept every message and drop it (benchmarks of all but the wire)."""

from __future__ import annotations

from collections.abc import Sequence

from invitations.transports.base import BaseTransport, OutgoingMessage, SendResult, SendStatus
from invitations.transports.url import TransportURL

_ACCEPTED = SendResult(SendStatus.ACCEPTED, None, "dropped by null://")


class NullTransport(BaseTransport):
    """Accept and forget; counts what it was given in :attr:`count`."""

    def __init__(self) -> None:
        self.count = 0

    @classmethod
    def from_url(cls, url: TransportURL) -> NullTransport:
        url.finish()
        return cls()

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        self.count += len(messages)
        return [_ACCEPTED] * len(messages)
