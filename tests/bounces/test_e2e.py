"""End to end over SMTP on loopback: the service sends through devsmtp, which accepts
with 250 and then bounces (a real RFC 3464 DSN) to the bounce receiver, which marks
the invitation ``bounced``; the inviter's notice arrives in devsmtp in fi, sv and en."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devsmtp import DevSMTP
from devsmtp.testing import Capture, DevSMTPClient
from invitations import Company, InvitationService, Inviter, Role
from invitations.bounces.receiver import BounceReceiver
from invitations.models import DeliveryState, InvitationStatus
from invitations.store import SQLiteInvitationStore
from tests.core.helpers import KEY

ACME = Company("0112038-9", "Acme Oy", "LOG-123")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[InvitationService, Capture]]:
    store = SQLiteInvitationStore(tmp_path / "invitations.db")
    # The receiver must know the service, devsmtp the receiver, the service devsmtp:
    # the service starts with no transport and gets devsmtp's once it listens.
    service = InvitationService(KEY, "https://portal.example.fi", None, store=store,
                                bounce_address="bounces@example.org", close_store=True)
    with service, BounceReceiver(service, "127.0.0.1", 0) as receiver, DevSMTP(
            tmp_path / "devsmtp", bounce_relay=f"127.0.0.1:{receiver.port}") as devsmtp:
        from invitations.transports import transport_from_url

        service.transport = transport_from_url(f"smtp://127.0.0.1:{devsmtp.smtp_port}")
        try:
            with DevSMTPClient(devsmtp.api_url) as client:
                yield service, Capture(client, "127.0.0.1", devsmtp.smtp_port)
        finally:
            service.transport.close()


def _until(condition: object, timeout: float = 20.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_send_bounce_receive_mark_and_tell_the_inviter(
        stack: tuple[InvitationService, Capture]) -> None:
    service, capture = stack
    typo = capture.address("maija.meikalainen")
    inviter_mailbox = capture.address("pirkko")
    boss = Inviter("pirkko", "Pirkko Pääkäyttäjä", Role.MAIN_USER, ACME.business_id,
                   email=inviter_mailbox)
    capture.client.add_faults([{"action": "bounce", "to": typo, "status": "5.1.1",
                                "diagnostic": f"550 5.1.1 <{typo}>: User unknown"}])

    invitation = service.send_invite(typo, company=ACME, invited_by=boss)
    assert invitation.delivery_state is DeliveryState.SENT  # the relay said 250
    sent = capture.wait_for(to=typo)
    assert sent.sender.startswith("bounces+")

    _until(lambda: service.get(invitation.id).delivery_state is DeliveryState.BOUNCED)
    after = service.get(invitation.id)
    assert after.status is InvitationStatus.PENDING
    assert (after.bounce_status, after.bounce_reason) == ("5.1.1", "mailbox_unknown")

    notice = capture.wait_for(to=inviter_mailbox, timeout=20)
    text = notice.text
    for title in ("Kutsu ei mennyt perille", "Inbjudan kunde inte levereras",
                  "Invitation could not be delivered"):
        assert title in notice.subject or title in text, title
    assert typo in text
    assert [i.id for i in service.list(status="bounced")] == [invitation.id]
