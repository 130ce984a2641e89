"""send_invite -> real SMTP -> devsmtp -> link -> verify -> redeem, with a frozen clock.

The service sends before it returns and devsmtp stores a message before its
250, so ``assert_nothing_sent(within=0)`` already sees everything sent.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

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

from ._people import SUBJECT, Invite, registration


def test_invite_verify_redeem_once(
    invitation_service: InvitationService, smtp_capture: Capture, invite: Invite,
    registration_client: httpx.Client,
) -> None:
    invitation, mail = invite("alice")
    assert mail.to == [invitation.email]
    assert mail.invitation_link == invitation.link
    assert mail.invitation.id == invitation.id
    assert mail.invitation.expires_at == invitation.expires_at
    page = mail.assert_link_works(registration_client)  # GET twice: a prefetch uses nothing
    assert 'data-testid="page-register"' in page.text

    # verify is read-only: a mail scanner's prefetch changes nothing
    for _ in range(2):
        assert invitation_service.verify(mail.token).status is InvitationStatus.PENDING
    accepted = invitation_service.redeem(mail.token, registration(invitation.email))
    assert accepted.status is InvitationStatus.ACCEPTED
    assert invitation_service.get(invitation.id).status is InvitationStatus.ACCEPTED
    with pytest.raises(InvitationUsed):
        invitation_service.redeem(mail.token, registration(invitation.email))
    smtp_capture.assert_nothing_sent(within=0)


def test_subject_decodes_exactly_and_headers_are_safe(invite: Invite) -> None:
    _, mail = invite("s")
    assert mail.subject == SUBJECT
    assert mail.raw.split(b"\r\n\r\n")[0].isascii()
    mail.assert_headers_safe()
    assert mail.sender == "noreply@posti.fi"


def test_mail_is_trilingual_and_complete(invite: Invite) -> None:
    _, mail = invite("t")
    mail.assert_languages("fi", "sv", "en")
    mail.assert_no_untranslated()
    assert "Käyttäjärekisteröinti tehdään osoitteessa" in mail.section("fi").text
    assert "7 vuorokautta" in mail.section("fi").text


def test_seven_day_boundary(
    invitation_service: InvitationService, invite: Invite, clock: FrozenClock,
) -> None:
    invitation, mail = invite("b")
    clock.advance(days=7, seconds=-1)
    assert invitation_service.verify(mail.token).status is InvitationStatus.PENDING
    clock.advance(seconds=2)
    with pytest.raises(InvitationExpired):
        invitation_service.verify(mail.token)
    with pytest.raises(InvitationExpired):
        invitation_service.redeem(mail.token, registration(invitation.email))


def test_resend_kills_the_old_link(
    invitation_service: InvitationService, smtp_capture: Capture, invite: Invite,
    clock: FrozenClock, main_user: Inviter,
) -> None:
    invitation, old = invite("r")
    clock.advance(days=6)
    with smtp_capture.expect(to=invitation.email) as got:
        resent = invitation_service.resend(invitation.id, by=main_user)
    [new] = got
    assert new.token != old.token
    assert resent.expires_at == clock.now() + timedelta(days=7)
    assert new.invitation.expires_at == resent.expires_at
    with pytest.raises(InvitationInvalid):
        invitation_service.verify(old.token)
    assert invitation_service.verify(new.token).id == invitation.id


def test_revoke(
    invitation_service: InvitationService, smtp_capture: Capture, invite: Invite,
    main_user: Inviter,
) -> None:
    invitation, mail = invite("v")
    invitation_service.revoke(invitation.id, by=main_user)
    assert invitation_service.get(invitation.id).status is InvitationStatus.REVOKED
    with pytest.raises(InvitationRevoked):
        invitation_service.verify(mail.token)
    with pytest.raises(InvitationRevoked):
        invitation_service.redeem(mail.token, registration(invitation.email))
    smtp_capture.assert_nothing_sent(within=0)


def test_changed_email_is_confirmed_by_mail(
    invitation_service: InvitationService, smtp_capture: Capture, invite: Invite,
) -> None:
    invitation, mail = invite("invited")
    changed = smtp_capture.address("changed")
    with smtp_capture.expect(to=changed) as got:
        pending = invitation_service.redeem(mail.token, registration(changed))
    assert pending.status is InvitationStatus.AWAITING_CONFIRMATION
    [confirmation] = got
    assert "/confirm-email?token=" in confirmation.invitation_link
    confirmation.assert_headers_safe()
    done = invitation_service.confirm_email(confirmation.token)
    assert done.status is InvitationStatus.ACCEPTED
    assert (done.email, done.registered_email) == (invitation.email, changed)
    assert invitation_service.get(invitation.id).status is InvitationStatus.ACCEPTED


def test_single_language_invitation(
    invitation_service: InvitationService, smtp_capture: Capture, company: Company,
    main_user: Inviter,
) -> None:
    email = smtp_capture.address("sv")
    invitation_service.send_invite(email, company=company, invited_by=main_user,
                                   languages=("sv",))
    mail = smtp_capture.wait_for(to=email)
    assert mail.subject == "Inbjudan att bli användare"
    mail.assert_languages("sv")
    mail.assert_no_untranslated()


def test_inviting_the_same_address_again_resends(
    invitation_service: InvitationService, smtp_capture: Capture, invite: Invite,
    company: Company, main_user: Inviter,
) -> None:
    first, old = invite("again")
    second = invitation_service.send_invite(first.email, company=company, invited_by=main_user)
    new = smtp_capture.wait_for(to=first.email)
    assert second.id == first.id
    assert new.invitation.id == first.id and new.token != old.token
    with pytest.raises(InvitationInvalid):
        invitation_service.verify(old.token)
    assert len(invitation_service.list(company=company)) == 1
