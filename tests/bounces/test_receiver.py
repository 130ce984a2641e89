"""The bounce receiver over real SMTP on loopback: only the bounce address, a size
limit, every kind of bad input answered and logged, and it stays up."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from invitations import Company, InvitationService, Inviter, Role
from invitations.bounces.receiver import BounceReceiver
from invitations.errors import ConfigurationError
from invitations.models import DeliveryState
from invitations.transports.memory import MemoryTransport
from tests.bounces.fixtures import dsn
from tests.core.helpers import KEY

ACME = Company("0112038-9", "Acme Oy", "LOG-123")
BOSS = Inviter("boss@acme.fi", "Pirkko", Role.MAIN_USER, "0112038-9", email="pirkko@acme.fi")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[InvitationService]:
    with InvitationService(KEY, "https://portal.example.fi", MemoryTransport(),
                           store=None, bounce_address="bounces@example.org") as running:
        yield running


@pytest.fixture
def receiver(service: InvitationService) -> Iterator[BounceReceiver]:
    with BounceReceiver(service, "127.0.0.1", 0) as running:  # default limit: 10 MiB
        yield running


def _send(receiver: BounceReceiver, raw: bytes, to: str,
          sender: str = "") -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=30) as client:
        return client.sendmail(sender, [to], raw)


def test_a_bounce_over_smtp_marks_the_invitation(service: InvitationService,
                                                 receiver: BounceReceiver) -> None:
    invitation = service.send_invite("typo@example.net", company=ACME, invited_by=BOSS)
    [row] = service.store.outbox(invitation_id=invitation.id)
    raw = dsn("postfix", return_path=row.sender, recipient=invitation.email,
              message_id=invitation.message_id or "")
    assert _send(receiver, raw, row.sender) == {}
    assert service.get(invitation.id).delivery_state is DeliveryState.BOUNCED


def test_other_recipients_are_refused(receiver: BounceReceiver) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(receiver, dsn("postfix"), "postmaster@example.org")
    assert refused.value.recipients["postmaster@example.org"][0] == 550


def test_an_oversized_bounce_is_refused_and_the_receiver_stays_up(
        service: InvitationService, receiver: BounceReceiver) -> None:
    huge = dsn("postfix") + (b"A" * 76 + b"\r\n") * (20 * 1024 * 1024 // 78)  # 20 MB
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=60) as client:
        client.ehlo()
        assert client.mail("")[0] == 250  # no SIZE given: the limit acts on the data
        assert client.rcpt("bounces@example.org")[0] == 250
        code, _ = client.data(huge)
    assert code == 552
    assert _send(receiver, dsn("postfix"), "bounces@example.org") == {}  # still up


@pytest.mark.parametrize("name", ["malformed", "nested", "out-of-office", "challenge"])
def test_bad_or_irrelevant_mail_is_accepted_logged_and_changes_nothing(
        service: InvitationService, receiver: BounceReceiver, name: str,
        caplog: pytest.LogCaptureFixture) -> None:
    invitation = service.send_invite("someone@example.net", company=ACME, invited_by=BOSS)
    with caplog.at_level(logging.INFO, logger="invitations.bounces"):
        assert _send(receiver, dsn(name, message_id=invitation.message_id or ""),
                     "bounces@example.org") == {}
    assert any(r.name == "invitations.bounces" for r in caplog.records)
    assert service.get(invitation.id).delivery_state is DeliveryState.SENT


def test_a_receiver_without_any_address_is_refused_at_start() -> None:
    with InvitationService(KEY, "https://portal.example.fi", MemoryTransport()) as plain, \
            pytest.raises(ConfigurationError):
        BounceReceiver(plain, "127.0.0.1", 0)
