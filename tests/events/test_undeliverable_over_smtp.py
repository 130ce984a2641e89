"""A 5xx at SMTP time tells the inviter, over real SMTP (devsmtp and its fault rules):
the notice "Kutsu ei mennyt perille / Inbjudan kunde inte levereras / Invitation
could not be delivered" in fi, sv and en, once per failure; a 451 only retries."""

from __future__ import annotations

import logging

import pytest

from devsmtp.pytest_plugin import Faults
from devsmtp.testing import Capture
from invitations import (
    Company,
    DeliveryState,
    Event,
    InvitationService,
    Inviter,
    UndeliverableReason,
)
from invitations.clock import FrozenClock
from invitations.events import INVITATION_DELIVERY_FAILED, INVITATION_SENT
from invitations.models import MessageKind, Role
from tests.events.conftest import ServiceFactory

SUBJECT = ("Kutsu ei mennyt perille / Inbjudan kunde inte levereras / "
           "Invitation could not be delivered")
#: What each language says for a mailbox that does not exist, and what to do.
UNKNOWN_MAILBOX = {
    "fi": ("Vastaanottajan sähköpostipalvelimen mukaan tässä osoitteessa ei ole "
           "postilaatikkoa.", "Tarkista osoite."),
    "sv": ("Mottagarens e-postserver meddelar att det inte finns någon brevlåda med den "
           "här adressen.", "Kontrollera adressen."),
    "en": ("The recipient's mail server reports that there is no mailbox at this address.",
           "Check the address."),
}


def failed_events(events: list[Event]) -> list[Event]:
    return [e for e in events if e.name == INVITATION_DELIVERY_FAILED]


def test_550_tells_the_inviter_in_fi_sv_en(
    service: InvitationService, smtp_capture: Capture, smtp_faults: Faults,
    company: Company, main_user: Inviter, received: list[Event],
) -> None:
    bad = smtp_capture.address("mati.typo")
    smtp_faults.add(stage="rcpt", code=550, to=bad)
    invitation = service.send_invite(bad, company=company, invited_by=main_user)

    assert service.get(invitation.id).delivery_state is DeliveryState.FAILED
    assert main_user.email is not None
    notice = smtp_capture.wait_for(to=main_user.email)
    assert notice.subject == SUBJECT
    notice.assert_languages("fi", "sv", "en")
    for lang, (reason, advice) in UNKNOWN_MAILBOX.items():
        text = notice.section(lang).text
        assert bad in text and "Testi & Kumpp. Oy" in text
        assert reason in text and advice in text
        assert "550" in text  # the server's own reply, for whoever helps further
    assert "Hei Maija Mäkelä," in notice.section("fi").text
    assert bad in notice.text and "5.1.1" in notice.text  # the plain-text part too
    smtp_capture.assert_nothing_sent(within=0, to=bad)

    [failed] = failed_events(received)
    assert failed.invitation is not None and failed.invitation.id == invitation.id
    assert failed.detail["reply_code"] == "550"
    assert failed.detail["status"] == "5.1.1"
    assert failed.detail["reason"] == "mailbox_unknown"
    assert failed.detail["permanent"] == "true"
    assert INVITATION_SENT not in [e.name for e in received]
    kinds = [(r.kind, r.state) for r in service.store.outbox(invitation_id=invitation.id)]
    assert kinds == [(MessageKind.INVITATION, DeliveryState.FAILED),
                     (MessageKind.UNDELIVERABLE, DeliveryState.SENT)]


def test_451_is_retried_and_nobody_is_told(
    service: InvitationService, smtp_capture: Capture, smtp_faults: Faults,
    clock: FrozenClock, company: Company, main_user: Inviter, received: list[Event],
) -> None:
    email = smtp_capture.address("slow")
    smtp_faults.add(stage="rcpt", code=451, times=1, to=email)
    invitation = service.send_invite(email, company=company, invited_by=main_user)
    assert service.get(invitation.id).delivery_state is DeliveryState.QUEUED
    assert [e.name for e in received] == []  # a temporary failure is no event

    clock.advance(hours=1)
    assert service.deliver_queued() == 1
    smtp_capture.wait_for(to=email)
    assert main_user.email is not None
    smtp_capture.assert_nothing_sent(within=0, to=main_user.email)
    [sent] = received
    assert sent.name == INVITATION_SENT and sent.detail["attempt"] == "2"
    assert sent.invitation is not None and sent.invitation.delivery_state is DeliveryState.SENT


def test_the_same_failure_is_told_once_a_new_one_again(
    service: InvitationService, smtp_capture: Capture, smtp_faults: Faults,
    company: Company, main_user: Inviter,
) -> None:
    bad = smtp_capture.address("nobody")
    smtp_faults.add(stage="rcpt", code=550, to=bad)
    invitation = service.send_invite(bad, company=company, invited_by=main_user)
    assert main_user.email is not None
    first = smtp_capture.wait_for(to=main_user.email)

    # The bounce of the same mail reports the same failure: nothing more is sent.
    service.notify_undeliverable(invitation.id, UndeliverableReason.MAILBOX_UNKNOWN,
                                 "550 5.1.1 User unknown")
    smtp_capture.assert_nothing_sent(within=0, to=main_user.email)

    # A resend is a new mail; its failure is a new failure.
    service.resend(invitation.id, by=main_user)
    second = smtp_capture.wait_for(to=main_user.email)
    assert first.message["Message-ID"] != second.message["Message-ID"]
    smtp_capture.assert_nothing_sent(within=0, to=main_user.email)
    notices = [r for r in service.store.outbox(invitation_id=invitation.id)
               if r.kind is MessageKind.UNDELIVERABLE]
    assert len(notices) == 2


def test_a_main_user_invitation_from_an_operator_tells_the_operator_mailbox(
    service: InvitationService, smtp_capture: Capture, smtp_faults: Faults,
    company: Company, operator_box: str,
) -> None:
    operator = Inviter("cs-7", "Posti asiakaspalvelu", Role.OPERATOR,
                       email=smtp_capture.address("cs-agent"))
    bad = smtp_capture.address("uusi.paakayttaja")
    smtp_faults.add(stage="rcpt", code=550, to=bad,
                    message="5.2.2 Mailbox full, quota exceeded")
    service.send_invite(bad, company=company, invited_by=operator, role="main_user")
    notice = smtp_capture.wait_for(to=operator_box)
    assert "Vastaanottajan postilaatikko on täynnä." in notice.section("fi").text
    assert "Mottagarens brevlåda är full." in notice.section("sv").text
    assert "The recipient's mailbox is full." in notice.section("en").text
    assert "Hello," in notice.section("en").text  # not addressed to a person
    smtp_capture.assert_nothing_sent(within=0, to=smtp_capture.address("cs-agent"))


def test_an_inviter_without_an_address_falls_back_to_the_operator_mailbox(
    service: InvitationService, smtp_capture: Capture, smtp_faults: Faults,
    company: Company, main_user: Inviter, operator_box: str,
) -> None:
    anonymous = Inviter(main_user.id, main_user.name, main_user.role, main_user.company_id)
    bad = smtp_capture.address("x")
    smtp_faults.add(stage="rcpt", code=550, to=bad)
    service.send_invite(bad, company=company, invited_by=anonymous)
    assert bad in smtp_capture.wait_for(to=operator_box).text


def test_nobody_to_tell_is_logged_and_the_send_still_completes(
    make_service: ServiceFactory, smtp_capture: Capture, smtp_faults: Faults,
    company: Company, main_user: Inviter, caplog: pytest.LogCaptureFixture,
) -> None:
    service = make_service(operator_address=None)
    anonymous = Inviter(main_user.id, main_user.name, main_user.role, main_user.company_id)
    bad = smtp_capture.address("y")
    smtp_faults.add(stage="rcpt", code=550, to=bad)
    with caplog.at_level(logging.WARNING, logger="invitations.service"):
        invitation = service.send_invite(bad, company=company, invited_by=anonymous)
    assert service.get(invitation.id).delivery_state is DeliveryState.FAILED
    assert any("nobody can be told" in r.getMessage() for r in caplog.records)
    assert [r.kind for r in service.store.outbox()] == [MessageKind.INVITATION]


def test_the_notice_can_be_turned_off_and_the_event_still_fires(
    make_service: ServiceFactory, smtp_capture: Capture, smtp_faults: Faults,
    company: Company, main_user: Inviter, received: list[Event],
) -> None:
    service = make_service(notify_undeliverable_on_failure=False)
    bad = smtp_capture.address("z")
    smtp_faults.add(stage="rcpt", code=550, to=bad)
    service.send_invite(bad, company=company, invited_by=main_user)
    assert [e.name for e in received] == [INVITATION_DELIVERY_FAILED]
    assert [r.kind for r in service.store.outbox()] == [MessageKind.INVITATION]
    assert main_user.email is not None
    smtp_capture.assert_nothing_sent(within=0, to=main_user.email)


def test_a_notice_that_fails_itself_tells_nobody_about_it(
    service: InvitationService, smtp_capture: Capture, smtp_faults: Faults,
    company: Company, main_user: Inviter, received: list[Event],
) -> None:
    assert main_user.email is not None
    bad = smtp_capture.address("w")
    smtp_faults.add(stage="rcpt", code=550, to=bad)
    smtp_faults.add(stage="rcpt", code=550, to=main_user.email)
    invitation = service.send_invite(bad, company=company, invited_by=main_user)
    states = [(r.kind, r.state) for r in service.store.outbox(invitation_id=invitation.id)]
    assert states == [(MessageKind.INVITATION, DeliveryState.FAILED),
                      (MessageKind.UNDELIVERABLE, DeliveryState.FAILED)]
    assert [e.name for e in received] == [INVITATION_DELIVERY_FAILED]


def test_an_unknown_reason_is_refused_in_the_callers_terms(
    service: InvitationService, smtp_capture: Capture, company: Company, main_user: Inviter,
) -> None:
    from invitations.errors import InvalidChoice

    invitation = service.send_invite(smtp_capture.address("ok"), company=company,
                                     invited_by=main_user)
    with pytest.raises(InvalidChoice, match="mailbox_unknown"):
        service.notify_undeliverable(invitation.id, "lost_in_space", "")
