"""send_invite -> real SMTP -> devsmtp -> link -> verify -> redeem, with a frozen clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from devsmtp.testing import Capture
from invitations import (
    Company,
    InvitationExpired,
    InvitationInvalid,
    InvitationRevoked,
    InvitationService,
    InvitationStatus,
    InvitationUsed,
    Inviter,
)
from invitations.clock import FrozenClock
from invitations.web import create_app

from .conftest import SUBJECT, registration


def test_invite_verify_redeem_once(
    invitation_service: InvitationService, smtp_capture: Capture,
    company: Company, main_user: Inviter,
) -> None:
    email = smtp_capture.address("alice")
    invitation = invitation_service.send_invite(
        email, company=company, invited_by=main_user, first_name="Alice", last_name="Äijälä")
    mail = smtp_capture.wait_for(to=email)
    assert mail.to == [email]
    assert mail.invitation_link == invitation.link
    assert mail.invitation.id == invitation.id
    assert mail.invitation.expires_at == invitation.expires_at
    with TestClient(create_app(invitation_service), base_url="http://localhost") as client:
        mail.assert_link_works(client)  # GET twice: a scanner's prefetch uses nothing up

    # verify is read-only: a mail scanner's prefetch changes nothing
    for _ in range(2):
        assert invitation_service.verify(mail.token).status is InvitationStatus.PENDING
    accepted = invitation_service.redeem(mail.token, registration(email))
    assert accepted.status is InvitationStatus.ACCEPTED
    assert invitation_service.get(invitation.id).status is InvitationStatus.ACCEPTED
    with pytest.raises(InvitationUsed):
        invitation_service.redeem(mail.token, registration(email))


def test_subject_decodes_exactly(
    invitation_service: InvitationService, smtp_capture: Capture,
    company: Company, main_user: Inviter,
) -> None:
    invitation_service.send_invite(smtp_capture.address("s"), company=company,
                                   invited_by=main_user)
    mail = smtp_capture.wait_for()
    assert mail.subject == SUBJECT
    assert b"Subject: =?utf-8?" in mail.raw or b"Subject: Kutsu =?utf-8?" in mail.raw
    mail.assert_headers_safe()


def test_mail_is_trilingual_and_complete(
    invitation_service: InvitationService, smtp_capture: Capture,
    company: Company, main_user: Inviter,
) -> None:
    invitation_service.send_invite(smtp_capture.address("t"), company=company,
                                   invited_by=main_user)
    mail = smtp_capture.wait_for()
    mail.assert_languages("fi", "sv", "en")
    mail.assert_no_untranslated()
    assert "Käyttäjärekisteröinti tehdään osoitteessa" in mail.section("fi").text
    assert "7 vuorokautta" in mail.section("fi").text


def test_seven_day_boundary(
    invitation_service: InvitationService, smtp_capture: Capture, clock: FrozenClock,
    company: Company, main_user: Inviter,
) -> None:
    invitation_service.send_invite(smtp_capture.address("b"), company=company,
                                   invited_by=main_user)
    token = smtp_capture.wait_for().token
    clock.advance(days=7, seconds=-1)
    assert invitation_service.verify(token).status is InvitationStatus.PENDING
    clock.advance(seconds=2)
    with pytest.raises(InvitationExpired):
        invitation_service.verify(token)
    with pytest.raises(InvitationExpired):
        invitation_service.redeem(token, registration(smtp_capture.address("b")))


def test_resend_kills_the_old_link(
    invitation_service: InvitationService, smtp_capture: Capture, clock: FrozenClock,
    company: Company, main_user: Inviter,
) -> None:
    email = smtp_capture.address("r")
    invitation = invitation_service.send_invite(email, company=company, invited_by=main_user)
    old = smtp_capture.wait_for(to=email)
    clock.advance(days=6)
    with smtp_capture.expect(to=email) as got:
        resent = invitation_service.resend(invitation.id, by=main_user)
    [new] = got
    assert new.token != old.token
    assert resent.expires_at == clock.now() + timedelta(days=7)
    with pytest.raises(InvitationInvalid):
        invitation_service.verify(old.token)
    assert invitation_service.verify(new.token).id == invitation.id


def test_revoke(
    invitation_service: InvitationService, smtp_capture: Capture,
    company: Company, main_user: Inviter,
) -> None:
    email = smtp_capture.address("v")
    invitation = invitation_service.send_invite(email, company=company, invited_by=main_user)
    token = smtp_capture.wait_for(to=email).token
    invitation_service.revoke(invitation.id, by=main_user)
    assert invitation_service.get(invitation.id).status is InvitationStatus.REVOKED
    with pytest.raises(InvitationRevoked):
        invitation_service.verify(token)
    with pytest.raises(InvitationRevoked):
        invitation_service.redeem(token, registration(email))
    smtp_capture.assert_nothing_sent(within=0.3)


def test_changed_email_is_confirmed_by_mail(
    invitation_service: InvitationService, smtp_capture: Capture,
    company: Company, main_user: Inviter,
) -> None:
    invited, changed = smtp_capture.address("invited"), smtp_capture.address("changed")
    invitation = invitation_service.send_invite(invited, company=company, invited_by=main_user)
    token = smtp_capture.wait_for(to=invited).token
    with smtp_capture.expect(to=changed) as got:
        pending = invitation_service.redeem(token, registration(changed))
    assert pending.status is InvitationStatus.AWAITING_CONFIRMATION
    [confirmation] = got
    assert "/confirm-email?token=" in confirmation.invitation_link
    confirmation.assert_headers_safe()
    done = invitation_service.confirm_email(confirmation.token)
    assert done.status is InvitationStatus.ACCEPTED
    assert (done.email, done.registered_email) == (invited, changed)
    assert invitation_service.get(invitation.id).status is InvitationStatus.ACCEPTED
