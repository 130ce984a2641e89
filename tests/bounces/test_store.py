"""The store's part of bounces, on SQLite and PostgreSQL: find the row, log once,
mark only a pending invitation's current sent mail ``bounced``."""

from __future__ import annotations

from datetime import timedelta

from invitations.models import DeliveryState, Invitation, InvitationStatus, Role
from invitations.store import SubmittedDetails
from invitations.store.base import SQLStore
from invitations.store.protocol import BounceEntry
from invitations.transports.base import OutgoingMessage
from tests.core.helpers import ACME, BOSS, START

LATER = START + timedelta(minutes=5)
VERP = "bounces+aaaaaaaaaaaaabbbbbbbbbb@example.org"


def _sent(store: SQLStore, n: int = 1, sender: str = VERP) -> int:
    invitation = Invitation(
        id=f"inv-{n}", email=f"user{n}@acme.fi", company=ACME, inviter=BOSS, role=Role.USER,
        services=("smartship",), languages=("fi", "sv", "en"), created_at=START,
        issued_at=START, expires_at=START + timedelta(days=7), status=InvitationStatus.PENDING)
    message = OutgoingMessage(f"<m{n}@posti.fi>", sender, (invitation.email,),
                              b"Message-ID: <m1@posti.fi>\r\nSubject: x\r\n\r\nbody\r\n")
    store.add(invitation, nonce_hash="h", message=message, now=START)
    [row] = store.claim_due(owner="w", now=START, lease=timedelta(minutes=1))
    assert store.record_result(row.id, owner="w", now=START, state=DeliveryState.SENT)
    return row.id


def _entry(row_id: int, fingerprint: str = "f1", *, final: bool = True,
           action: str = "failed") -> BounceEntry:
    return BounceEntry(fingerprint=fingerprint, now=LATER, action=action, final=final,
                       outbox_id=row_id, invitation_id="inv-1", status="5.1.1",
                       reason="mailbox_unknown", diagnostic="550 5.1.1 User unknown")


def test_find_outbox_by_return_path_and_by_message_id(store: SQLStore) -> None:
    row_id = _sent(store)
    by_sender = store.find_outbox(sender=VERP)
    by_id = store.find_outbox(message_id="<m1@posti.fi>")
    assert by_sender is not None and by_id is not None
    assert by_sender.id == by_id.id == row_id
    assert store.find_outbox(sender="bounces+other@example.org") is None
    assert store.find_outbox(message_id="<nope@posti.fi>") is None
    assert store.find_outbox() is None


def test_a_final_bounce_marks_the_mail_bounced_once(store: SQLStore) -> None:
    row_id = _sent(store)
    assert store.record_bounce(_entry(row_id)) == "bounced"
    stored = store.get("inv-1", now=LATER)
    assert stored is not None
    inv = stored.invitation
    assert inv.status is InvitationStatus.PENDING
    assert inv.delivery_state is DeliveryState.BOUNCED
    assert (inv.bounce_status, inv.bounce_reason, inv.bounced_at) == (
        "5.1.1", "mailbox_unknown", LATER)
    assert inv.last_error == "550 5.1.1 User unknown"
    # The same bounce again: logged already; another bounce for it: nothing changes.
    assert store.record_bounce(_entry(row_id)) == "duplicate"
    assert store.record_bounce(_entry(row_id, "f2")) == "unchanged"
    bounced = store.list_invitations(now=LATER, delivery_state=DeliveryState.BOUNCED)
    assert [i.id for i in bounced] == ["inv-1"]
    assert store.list_invitations(now=LATER, delivery_state=DeliveryState.SENT) == []


def test_a_delay_notice_is_logged_and_changes_nothing(store: SQLStore, backend: object) -> None:
    row_id = _sent(store)
    assert store.record_bounce(_entry(row_id, final=False, action="delayed")) == "unchanged"
    stored = store.get("inv-1", now=LATER)
    assert stored is not None and stored.invitation.delivery_state is DeliveryState.SENT
    assert stored.invitation.bounce_status is None


def test_a_bounce_for_an_accepted_invitation_changes_nothing(store: SQLStore) -> None:
    row_id = _sent(store)
    assert store.redeem("inv-1", nonce_hash="h", now=START,
                        details=SubmittedDetails("A", "B", "user1@acme.fi", "user1@acme.fi"))
    assert store.record_bounce(_entry(row_id)) == "unchanged"
    stored = store.get("inv-1", now=LATER)
    assert stored is not None
    assert stored.invitation.status is InvitationStatus.ACCEPTED
    assert stored.invitation.delivery_state is DeliveryState.SENT


def test_a_bounce_of_replaced_mail_changes_nothing(store: SQLStore) -> None:
    row_id = _sent(store)
    fresh = OutgoingMessage("<m1-again@posti.fi>", VERP.replace("aaaa", "cccc"),
                            ("user1@acme.fi",), b"Subject: x\r\n\r\nbody\r\n")
    assert store.reissue("inv-1", nonce_hash="h2", issued_at=START, expires_at=LATER,
                         message=fresh)
    assert store.record_bounce(_entry(row_id)) == "unchanged"
    stored = store.get("inv-1", now=START)
    assert stored is not None and stored.invitation.delivery_state is DeliveryState.QUEUED


def test_a_version_5_database_migrates_and_its_sent_mail_can_bounce(backend: object) -> None:
    from tests.store.conftest import Backend
    from tests.store.test_contract import _back_to_version_5

    assert isinstance(backend, Backend)
    with backend.open() as s:
        row_id = _sent(s)
    _back_to_version_5(backend)
    with backend.open() as s:  # migrates forward: columns, index and table back
        assert s.record_bounce(_entry(row_id)) == "bounced"
        stored = s.get("inv-1", now=LATER)
        assert stored is not None and stored.invitation.bounce_reason == "mailbox_unknown"
