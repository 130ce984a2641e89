"""mail_outbox and clock: the fixtures that need no SMTP server."""

from __future__ import annotations

from datetime import timedelta

from devsmtp.testing import CapturedMail
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
