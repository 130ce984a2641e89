"""``service.record_bounce`` on SQLite and PostgreSQL: what each kind of bounce does.

The invitation mail goes through a real transport object (in memory) with a
signed VERP return path; each bounce is a fixture of ``tests/bounces/dsn``
addressed to that return path and returning that Message-ID.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from invitations import Company, Invitation, InvitationService, Inviter, Role
from invitations.events import INVITATION_BOUNCED, Event
from invitations.models import DeliveryState, InvitationStatus, MessageKind, Registration
from invitations.transports.memory import MemoryTransport
from tests.bounces.fixtures import dsn
from tests.core.helpers import KEY, STRONG
from tests.store.conftest import Backend

ACME = Company("0112038-9", "Acme Oy", "LOG-123")
BOSS = Inviter("boss@acme.fi", "Pirkko Pääkäyttäjä", Role.MAIN_USER, "0112038-9",
               email="pirkko@acme.fi")
BOUNCES = "bounces@example.org"


@dataclass
class World:
    service: InvitationService
    transport: MemoryTransport
    events: list[Event]

    def invite(self, local: str = "maija") -> tuple[Invitation, str]:
        """An invitation delivered (accepted by the transport); its return path."""
        invitation = self.service.send_invite(f"{local}@example.net", company=ACME,
                                              invited_by=BOSS)
        assert invitation.delivery_state is DeliveryState.SENT
        [row] = [r for r in self.service.store.outbox(invitation_id=invitation.id)
                 if r.message_id == invitation.message_id]
        return invitation, row.sender

    def bounce(self, name: str, invitation: Invitation, return_path: str) -> bytes:
        assert invitation.message_id is not None
        return dsn(name, return_path=return_path, recipient=invitation.email,
                   message_id=invitation.message_id)

    def notices(self) -> list[bytes]:
        return [m.data for m in self.transport.outbox if m.recipients == ("pirkko@acme.fi",)]


@pytest.fixture
def world(backend: Backend) -> Iterator[World]:
    transport = MemoryTransport()
    events: list[Event] = []
    with backend.open() as store, InvitationService(
            KEY, "https://portal.example.fi", transport, store=store,
            bounce_address=BOUNCES, on_event=events.append) as service:
        yield World(service, transport, events)


def test_the_envelope_sender_is_a_signed_return_path(world: World) -> None:
    invitation, return_path = world.invite()
    assert return_path.startswith("bounces+") and return_path.endswith("@example.org")
    assert world.service.return_path is not None
    assert world.service.return_path.verified(return_path) == return_path
    [mail] = [m for m in world.transport.outbox if m.recipients == (invitation.email,)]
    assert mail.sender == return_path  # what went to MAIL FROM


def test_without_a_bounce_address_the_sender_is_as_before(backend: Backend) -> None:
    transport = MemoryTransport()
    with backend.open() as store, InvitationService(
            KEY, "https://portal.example.fi", transport, store=store) as service:
        service.send_invite("maija@example.net", company=ACME, invited_by=BOSS)
    assert [m.sender for m in transport.outbox] == ["noreply@posti.fi"]


@pytest.mark.parametrize(("name", "status", "reason"), [
    ("postfix", "5.1.1", "mailbox_unknown"),
    ("exchange", "5.1.10", "mailbox_unknown"),
    ("gmail", "5.1.1", "mailbox_unknown"),
    ("exim-text", "5.2.2", "mailbox_full"),
    ("qmail", "5.1.1", "mailbox_unknown"),
])
def test_a_permanent_failure_marks_bounced_fires_the_event_and_tells_the_inviter(
        world: World, name: str, status: str, reason: str) -> None:
    invitation, return_path = world.invite()
    outcome = world.service.record_bounce(world.bounce(name, invitation, return_path))
    assert (outcome.result, outcome.why, outcome.matched_by) == ("matched", "bounced", "tag")
    assert outcome.changed and outcome.invitation_id == invitation.id
    after = world.service.get(invitation.id)
    assert after.status is InvitationStatus.PENDING  # it can still be resent
    assert after.delivery_state is DeliveryState.BOUNCED
    assert (after.bounce_status, after.bounce_reason) == (status, reason)
    assert after.bounced_at is not None
    bounced = [e for e in world.events if e.name == INVITATION_BOUNCED]
    assert len(bounced) == 1
    assert bounced[0].invitation is not None and bounced[0].invitation.id == invitation.id
    assert bounced[0].invitation.delivery_state is DeliveryState.BOUNCED  # after the commit
    assert (bounced[0].detail["status"], bounced[0].detail["reason"]) == (status, reason)
    [notice] = world.notices()
    assert b"maija@example.net" in notice
    listed = world.service.list(status="bounced")
    assert [i.id for i in listed] == [invitation.id]


def test_replayed_bounce_changes_nothing_and_tells_once(world: World) -> None:
    invitation, return_path = world.invite()
    raw = world.bounce("postfix", invitation, return_path)
    assert world.service.record_bounce(raw).why == "bounced"
    again = world.service.record_bounce(raw)
    assert (again.result, again.why, again.changed) == ("matched", "duplicate", False)
    # A second, different bounce for the same mail (another relay's copy): no new notice.
    other = world.service.record_bounce(world.bounce("gmail", invitation, return_path))
    assert (other.why, other.changed) == ("already_bounced", False)
    assert len(world.notices()) == 1
    assert len([e for e in world.events if e.name == INVITATION_BOUNCED]) == 1


def test_a_delay_notice_is_recorded_and_changes_no_state(world: World,
                                                         backend: Backend) -> None:
    invitation, return_path = world.invite()
    outcome = world.service.record_bounce(world.bounce("postfix-delayed", invitation,
                                                       return_path))
    assert (outcome.result, outcome.why, outcome.status) == ("matched", "delayed", "4.4.1")
    assert world.service.get(invitation.id).delivery_state is DeliveryState.SENT
    assert world.notices() == []
    assert backend.execute("SELECT action, status, outcome FROM bounces") == [
        ("delayed", "4.4.1", "unchanged")]


def test_a_bounce_for_an_accepted_invitation_changes_nothing(world: World,
                                                             caplog: pytest.LogCaptureFixture
                                                             ) -> None:
    invitation, return_path = world.invite()
    link = invitation.link
    assert link is not None
    world.service.redeem(link.partition("token=")[2], Registration(
        "Maija", "Meikäläinen", invitation.email, "", STRONG))
    with caplog.at_level(logging.INFO, logger="invitations.bounces"):
        outcome = world.service.record_bounce(world.bounce("postfix", invitation, return_path))
    assert (outcome.result, outcome.why, outcome.changed) == ("matched", "accepted", False)
    after = world.service.get(invitation.id)
    assert after.status is InvitationStatus.ACCEPTED
    assert after.delivery_state is DeliveryState.SENT
    assert world.notices() == []
    assert any("bounce matched: accepted" in r.getMessage() for r in caplog.records)


def test_a_forged_tag_matches_nothing_even_with_a_known_message_id(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    invitation, return_path = world.invite()
    local, _, domain = return_path.partition("@")
    forged = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain
    with caplog.at_level(logging.INFO, logger="invitations.bounces"):
        outcome = world.service.record_bounce(world.bounce("postfix", invitation, forged))
    assert (outcome.result, outcome.why) == ("unknown", "forged_tag")
    assert world.service.get(invitation.id).delivery_state is DeliveryState.SENT
    assert any(r.levelno == logging.WARNING and "forged_tag" in r.getMessage()
               for r in caplog.records)


def test_a_tag_of_another_mail_is_trusted_over_the_message_id(world: World) -> None:
    first, first_path = world.invite("first")
    second, _ = world.invite("second")
    raw = dsn("postfix", return_path=first_path, recipient=second.email,
              message_id=second.message_id or "")
    outcome = world.service.record_bounce(raw)
    assert outcome.invitation_id == first.id


def test_without_a_tag_the_message_id_matches(world: World) -> None:
    invitation, _ = world.invite()
    outcome = world.service.record_bounce(world.bounce("exchange", invitation, BOUNCES))
    assert (outcome.result, outcome.why, outcome.matched_by) == ("matched", "bounced",
                                                                 "message_id")


@pytest.mark.parametrize(("name", "why"), [
    ("out-of-office", "auto_reply"), ("challenge", "challenge"), ("malformed", "malformed")])
def test_not_a_bounce_is_ignored(world: World, name: str, why: str) -> None:
    invitation, return_path = world.invite()
    outcome = world.service.record_bounce(world.bounce(name, invitation, return_path))
    assert (outcome.result, outcome.why, outcome.changed) == ("ignored", why, False)
    assert world.service.get(invitation.id).delivery_state is DeliveryState.SENT


def test_a_bounce_for_an_unknown_message_is_unknown(world: World) -> None:
    outcome = world.service.record_bounce(dsn("gmail", message_id="<never-sent@posti.fi>"))
    assert (outcome.result, outcome.why) == ("unknown", "no_match")


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 1000, b"not: a mail\r\n\r\n" * 100,
                                 b"Content-Type: multipart/report\r\n\r\n--x"])
def test_garbage_never_raises(world: World, raw: bytes) -> None:
    outcome = world.service.record_bounce(raw)
    assert outcome.result == "ignored" and not outcome.changed


def test_a_nested_report_counts_as_its_outer_delay(world: World) -> None:
    invitation, return_path = world.invite()
    outcome = world.service.record_bounce(world.bounce("nested", invitation, return_path))
    assert outcome.why == "delayed"
    assert world.service.get(invitation.id).delivery_state is DeliveryState.SENT


def test_resend_to_a_corrected_address_revokes_and_invites_anew(world: World) -> None:
    invitation, return_path = world.invite("maija.typo")
    world.service.record_bounce(world.bounce("postfix", invitation, return_path))
    fresh = world.service.resend(invitation.id, by=BOSS, email="maija@example.net")
    assert fresh.id != invitation.id
    assert (fresh.email, fresh.status, fresh.delivery_state) == (
        "maija@example.net", InvitationStatus.PENDING, DeliveryState.SENT)
    assert (fresh.company, fresh.role, fresh.languages) == (
        invitation.company, invitation.role, invitation.languages)
    assert world.service.get(invitation.id).status is InvitationStatus.REVOKED
    assert world.service.list(status="bounced") == []
    # The same address is an ordinary resend of the same invitation.
    again = world.service.resend(fresh.id, by=BOSS, email="MAIJA@example.net")
    assert again.id == fresh.id and again.resend_count == 1


def test_confirmation_and_notice_mail_keep_the_plain_sender(world: World) -> None:
    invitation, return_path = world.invite()
    world.service.record_bounce(world.bounce("postfix", invitation, return_path))
    kinds = {row.kind: row.sender for row in world.service.store.outbox()}
    assert kinds[MessageKind.INVITATION] == return_path
    assert kinds[MessageKind.UNDELIVERABLE] == "noreply@posti.fi"


def test_a_bounce_of_the_notice_itself_changes_nothing(world: World) -> None:
    invitation, return_path = world.invite()
    world.service.record_bounce(world.bounce("postfix", invitation, return_path))
    [notice] = world.service.store.outbox(invitation_id=invitation.id,
                                          state=DeliveryState.SENT)
    assert notice.kind is MessageKind.UNDELIVERABLE
    raw = dsn("postfix", return_path=BOUNCES, recipient="pirkko@acme.fi",
              message_id=notice.message_id)
    outcome = world.service.record_bounce(raw)
    assert (outcome.result, outcome.why, outcome.changed) == (
        "matched", "not_invitation_mail", False)
    assert len(world.notices()) == 1


def test_a_bounce_for_mail_not_sent_yet_changes_nothing(world: World) -> None:
    queued = world.service.send_invite("later@example.net", company=ACME, invited_by=BOSS,
                                       deliver=False)
    [row] = world.service.store.outbox(invitation_id=queued.id)
    outcome = world.service.record_bounce(world.bounce("gmail", queued, row.sender))
    assert (outcome.result, outcome.why, outcome.changed) == ("matched", "not_sent", False)
    assert world.service.get(queued.id).delivery_state is DeliveryState.QUEUED
