"""Delivery against a misbehaving SMTP server: devsmtp's fault injection.

The service sends before it returns and devsmtp stores a message before its
250, so ``assert_nothing_sent(within=0)`` already sees everything sent.
"""

from __future__ import annotations

from devsmtp.pytest_plugin import Faults
from devsmtp.testing import Capture
from invitations import Company, DeliveryState, InvitationService, Inviter
from invitations.clock import FrozenClock


def test_two_451_then_sent_after_three_attempts(
    invitation_service: InvitationService, smtp_capture: Capture, smtp_faults: Faults,
    clock: FrozenClock, company: Company, main_user: Inviter,
) -> None:
    email = smtp_capture.address("retry")
    smtp_faults.add(stage="rcpt", code=451, times=2, to=email)
    invitation = invitation_service.send_invite(email, company=company, invited_by=main_user)
    assert invitation.delivery_state is DeliveryState.QUEUED
    assert invitation_service.get(invitation.id).attempts == 1
    smtp_capture.assert_nothing_sent(within=0)

    clock.advance(hours=1)
    assert invitation_service.deliver_queued() == 0
    second = invitation_service.get(invitation.id)
    assert (second.delivery_state, second.attempts) == (DeliveryState.QUEUED, 2)
    assert second.last_error is not None and "451" in second.last_error

    clock.advance(hours=1)
    assert invitation_service.deliver_queued() == 1
    done = invitation_service.get(invitation.id)
    assert (done.delivery_state, done.attempts) == (DeliveryState.SENT, 3)
    mail = smtp_capture.wait_for(to=email)
    assert mail.invitation.id == invitation.id
    smtp_capture.assert_nothing_sent(within=0)  # exactly one copy arrived


def test_550_fails_only_that_invitation(
    invitation_service: InvitationService, smtp_capture: Capture, smtp_faults: Faults,
    company: Company, main_user: Inviter,
) -> None:
    good, bad = smtp_capture.address("good"), smtp_capture.address("bad")
    smtp_faults.add(stage="rcpt", code=550, to=bad)
    ok = invitation_service.send_invite(good, company=company, invited_by=main_user)
    refused = invitation_service.send_invite(bad, company=company, invited_by=main_user)

    failed = invitation_service.get(refused.id)
    assert failed.delivery_state is DeliveryState.FAILED
    assert failed.last_error is not None and "550" in failed.last_error
    assert invitation_service.get(ok.id).delivery_state is DeliveryState.SENT
    assert smtp_capture.wait_for(to=good).invitation.id == ok.id
    smtp_capture.assert_nothing_sent(within=0, to=bad)
