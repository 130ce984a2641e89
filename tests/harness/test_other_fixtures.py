"""mail_outbox and clock: the fixtures that need no SMTP server."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from devsmtp.errors import ServerUnreachable
from devsmtp.testing import CapturedMail, DevSMTPClient
from invitations.clock import FrozenClock
from invitations.transports import OutgoingMessage
from invitations.transports.memory import MemoryTransport

from ._mails import SUBJECT, invitation_mail


def test_mail_outbox_keeps_exact_bytes(mail_outbox: MemoryTransport) -> None:
    data = invitation_mail().as_bytes()
    message = OutgoingMessage("<abc@posti.fi>", "noreply@posti.fi", ("a@example.test",), data)
    [result] = mail_outbox.send([message])
    assert result.accepted
    mail = CapturedMail.from_outgoing(mail_outbox.outbox[0])
    assert mail.subject == SUBJECT
    assert mail.to == ["a@example.test"]
    assert mail.languages == ["fi", "sv", "en"]


def test_mail_outbox_is_per_test(mail_outbox: MemoryTransport) -> None:
    assert mail_outbox.outbox == []


def test_clock_advances_on_request(clock: FrozenClock) -> None:
    start = clock.now()
    assert clock.now() == start
    assert clock.advance(days=7, seconds=1) - start == timedelta(days=7, seconds=1)


def test_client_names_an_unreachable_server() -> None:
    with socket.socket() as unused:  # bound, not listening: connections are refused
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
        with DevSMTPClient(url) as client, pytest.raises(ServerUnreachable, match=url):
            client.last_seq()
