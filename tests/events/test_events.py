"""Events after commit: which fire when, a failing handler, a rolled-back operation."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from devsmtp.testing import Capture
from invitations import (
    AccountRef,
    Company,
    Event,
    Events,
    Invitation,
    InvitationService,
    InvitationStatus,
    Inviter,
    Registration,
)
from invitations.clock import FrozenClock
from invitations.events import (
    INVITATION_ACCEPTED,
    INVITATION_EMAIL_CONFIRMED,
    INVITATION_RESENT,
    INVITATION_REVOKED,
    INVITATION_SENT,
)
from invitations.store import SQLiteInvitationStore
from tests.events.conftest import ServiceFactory

STRONG = "Vahva2026!x"


def registration(email: str) -> Registration:
    return Registration("Matti", "Virtanen", email, "", STRONG)


def test_the_lifecycle_emits_each_event_once_in_order(
    service: InvitationService, smtp_capture: Capture, company: Company, main_user: Inviter,
    received: list[Event], clock: FrozenClock,
) -> None:
    matti = smtp_capture.address("matti")
    invitation = service.send_invite(matti, company=company, invited_by=main_user)
    clock.advance(minutes=5)
    service.resend(invitation.id, by=main_user)
    token = smtp_capture.wait_for(to=matti, count=2)[-1].token
    changed = smtp_capture.address("matti.virtanen")
    clock.advance(minutes=5)
    service.redeem(token, registration(changed))
    confirm = smtp_capture.wait_for(to=changed).invitation_link.split("token=")[1]
    service.confirm_email(confirm)
    other = service.send_invite(smtp_capture.address("liisa"), company=company,
                                invited_by=main_user)
    service.revoke(other.id, by=main_user)

    assert [(e.name, e.invitation.id if e.invitation else None) for e in received] == [
        (INVITATION_SENT, invitation.id),
        (INVITATION_RESENT, invitation.id),
        (INVITATION_SENT, invitation.id),
        (INVITATION_EMAIL_CONFIRMED, invitation.id),
        (INVITATION_ACCEPTED, invitation.id),
        (INVITATION_SENT, other.id),
        (INVITATION_REVOKED, other.id),
    ]
    resent, accepted, revoked = received[1], received[4], received[6]
    assert resent.detail["message_id"] == received[2].detail["message_id"]
    assert accepted.at - resent.at == timedelta(minutes=5)  # times from the service clock
    assert accepted.invitation is not None
    assert accepted.invitation.status is InvitationStatus.ACCEPTED
    assert revoked.detail == {"by": main_user.id}
    for event in received:
        assert all(isinstance(v, str) for v in event.detail.values())


def test_a_direct_registration_emits_accepted(
    service: InvitationService, smtp_capture: Capture, company: Company, main_user: Inviter,
    received: list[Event],
) -> None:
    matti = smtp_capture.address("matti")
    service.send_invite(matti, company=company, invited_by=main_user)
    service.redeem(smtp_capture.wait_for(to=matti).token, registration(matti))
    assert [e.name for e in received] == [INVITATION_SENT, INVITATION_ACCEPTED]


def test_a_failing_handler_is_logged_and_the_operation_succeeds(
    service: InvitationService, smtp_capture: Capture, company: Company, main_user: Inviter,
    received: list[Event], caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("audit database is down")

    later: list[str] = []
    service.events.subscribe(broken)
    service.events.subscribe(lambda event: later.append(event.name))
    matti = smtp_capture.address("matti")
    with caplog.at_level(logging.ERROR, logger="invitations.events"):
        invitation = service.send_invite(matti, company=company, invited_by=main_user)
        revoked = service.revoke(invitation.id, by=main_user)

    assert revoked.status is InvitationStatus.REVOKED
    smtp_capture.wait_for(to=matti)  # the mail went out all the same
    assert later == [INVITATION_SENT, INVITATION_REVOKED]  # the next handler still ran
    assert [e.name for e in received] == later
    failures = [r for r in caplog.records if r.name == "invitations.events"]
    assert len(failures) == 2
    for record in failures:
        assert record.levelno == logging.ERROR and "broken" in record.getMessage()
        assert record.exc_info is not None and record.exc_info[0] is RuntimeError
        assert record.invitation_id == invitation.id


def test_events_see_the_committed_state(
    service: InvitationService, smtp_capture: Capture, company: Company, main_user: Inviter,
    tmp_path: Path,
) -> None:
    """A handler reading the database through a connection of its own already finds
    the change: the event came after the commit."""
    seen: list[tuple[str, InvitationStatus, str | None]] = []
    reader = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")

    def audit(event: Event) -> None:
        assert event.invitation is not None
        stored = reader.get(event.invitation.id, now=event.at)
        assert stored is not None
        state = stored.invitation.delivery_state
        seen.append((event.name, stored.invitation.status, state and str(state)))

    service.events.subscribe(audit)
    try:
        invitation = service.send_invite(smtp_capture.address("matti"), company=company,
                                          invited_by=main_user)
        service.revoke(invitation.id, by=main_user)
    finally:
        reader.close()
    assert seen == [(INVITATION_SENT, InvitationStatus.PENDING, "sent"),
                    (INVITATION_REVOKED, InvitationStatus.REVOKED, "sent")]


def test_a_rolled_back_operation_emits_nothing(
    service: InvitationService, smtp_capture: Capture, company: Company, main_user: Inviter,
    received: list[Event], tmp_path: Path,
) -> None:
    invitation = service.send_invite(smtp_capture.address("matti"), company=company,
                                     invited_by=main_user)
    received.clear()
    # The database refuses the change inside the transaction: it is rolled back.
    db = sqlite3.connect(tmp_path / "invitations.sqlite3")
    db.execute("CREATE TRIGGER refuse_revoke BEFORE UPDATE OF status ON invitations "
               "WHEN NEW.status = 'revoked' BEGIN SELECT RAISE(ABORT, 'refused'); END")
    db.commit()
    db.close()
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        service.revoke(invitation.id, by=main_user)
    assert service.get(invitation.id).status is InvitationStatus.PENDING
    assert received == []


def test_a_registration_the_host_refuses_emits_nothing(
    service: InvitationService, smtp_capture: Capture, company: Company, main_user: Inviter,
    received: list[Event],
) -> None:
    class Failing:
        def create_account(self, invitation: Invitation, registration: Registration
                           ) -> AccountRef:
            raise OSError("directory unreachable")

        def enable_account(self, invitation: Invitation, account: AccountRef) -> None:
            raise AssertionError("not called")

    matti = smtp_capture.address("matti")
    service.send_invite(matti, company=company, invited_by=main_user)
    received.clear()
    with pytest.raises(OSError):
        service.redeem(smtp_capture.wait_for(to=matti).token, registration(matti),
                       accounts=Failing())
    assert received == []


def test_the_registry_is_generic_and_keeps_details_as_strings() -> None:
    clock = FrozenClock()
    events = Events(clock)
    got: list[Event] = []
    events.subscribe(got.append)
    emitted = events.emit("main_user.replaced", None, company_id="0112038-9",
                          old_user="u-1", new_user="u-2")
    assert got == [emitted]
    assert emitted.invitation is None and emitted.at == clock.now()
    assert dict(emitted.detail) == {"company_id": "0112038-9", "old_user": "u-1",
                                    "new_user": "u-2"}
    with pytest.raises(TypeError):
        emitted.detail["x"] = "y"  # type: ignore[index]
    events.unsubscribe(got.append)
    events.emit("main_user.replaced", None)
    assert len(got) == 1
    with pytest.raises(TypeError, match="callable"):
        events.subscribe("not a handler")  # type: ignore[arg-type]


def test_on_event_and_subscribe_both_receive(
    make_service: ServiceFactory, smtp_capture: Capture, company: Company,
    main_user: Inviter, received: list[Event],
) -> None:
    service = make_service()
    extra: list[Event] = []
    service.events.subscribe(extra.append)
    service.send_invite(smtp_capture.address("matti"), company=company, invited_by=main_user)
    assert [e.name for e in received] == [e.name for e in extra] == [INVITATION_SENT]


def test_a_handler_may_call_the_service_again(
    service: InvitationService, smtp_capture: Capture, company: Company, main_user: Inviter,
    received: list[Event],
) -> None:
    """Handlers run after the transport is released: one that invites (and so sends)
    from inside ``invitation.sent`` completes instead of waiting for itself."""
    colleague = smtp_capture.address("kollega")

    def invite_a_colleague(event: Event) -> None:
        first = event.invitation is not None and event.invitation.email != colleague
        if event.name == INVITATION_SENT and first:
            service.send_invite(colleague, company=company, invited_by=main_user)

    service.events.subscribe(invite_a_colleague)
    done = threading.Event()

    def run() -> None:
        service.send_invite(smtp_capture.address("matti"), company=company,
                            invited_by=main_user)
        done.set()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    assert done.wait(30), "send_invite did not return: a handler waited for the transport"
    smtp_capture.wait_for(to=colleague)
    assert [e.name for e in received] == [INVITATION_SENT, INVITATION_SENT]
