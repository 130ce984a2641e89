"""``memory://``: an in-process outbox for tests, as strict as an SMTP relay.

Messages land in :attr:`MemoryTransport.outbox`. ``memory://`` shares the
module-level :data:`outbox` (handy when only a URL can be configured);
``memory://NAME`` uses the named list from :func:`mailbox`. The transport builds
the exact DATA bytes and refuses what a relay refuses (e.g. a non-ASCII address
in a message not marked ``smtputf8``), so tests catch what production would.
``?smtputf8=false`` emulates a relay without SMTPUTF8.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage

from invitations.transports import wire
from invitations.transports.base import BaseTransport, OutgoingMessage, SendResult, SendStatus
from invitations.transports.url import TransportURL

#: The outbox behind ``memory://``.
outbox: list[OutgoingMessage] = []
_mailboxes: dict[str, list[OutgoingMessage]] = {}
_lock = threading.Lock()


def mailbox(name: str) -> list[OutgoingMessage]:
    """The outbox behind ``memory://NAME`` (created on first use)."""
    with _lock:
        return _mailboxes.setdefault(name, [])


def parse(message: OutgoingMessage) -> EmailMessage:
    """The message as an :class:`email.message.EmailMessage`, for assertions."""
    parsed = message_from_bytes(message.data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


class MemoryTransport(BaseTransport):
    """Append accepted messages to ``outbox`` (a new list unless one is given)."""

    def __init__(
        self, outbox: list[OutgoingMessage] | None = None, *, smtputf8: bool = True
    ) -> None:
        self.outbox: list[OutgoingMessage] = [] if outbox is None else outbox
        self.smtputf8 = smtputf8
        #: The DATA payload of each accepted message, exactly as SMTP would send it.
        self.wire: list[bytes] = []

    @classmethod
    def from_url(cls, url: TransportURL) -> MemoryTransport:
        name = url.host or url.path.strip("/")
        transport = cls(mailbox(name) if name else outbox, smtputf8=url.flag("smtputf8", True))
        url.finish()
        return transport

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        results: list[SendResult] = []
        for message in messages:
            refusal = wire.refusal(message, smtputf8_supported=self.smtputf8)
            if refusal is not None:
                results.append(refusal)
                continue
            data = wire.wire_data(message.data)
            with _lock:
                self.outbox.append(message)
                self.wire.append(data)
            results.append(
                SendResult(SendStatus.ACCEPTED, 250, f"250 2.0.0 Ok: queued as {len(data)} octets")
            )
        return results
