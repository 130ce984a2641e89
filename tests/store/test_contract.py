"""The store contract, on both backends (``backend`` is SQLite and PostgreSQL):
schema versions, one-transaction writes, outbox leases, conditional changes."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from invitations.errors import ConfigurationError
from invitations.models import DeliveryState, Invitation, InvitationStatus, MessageKind, Role
from invitations.store import SCHEMA_VERSION, SubmittedDetails
from invitations.store.base import SQLStore
from invitations.store.dialect import POSTGRES, SQLITE
from invitations.store.schema import MIGRATIONS
from invitations.transports.base import OutgoingMessage
from tests.core.helpers import ACME, BOSS, START
from tests.store.conftest import Backend


def record(n: int = 1) -> Invitation:
    return Invitation(
        id=f"inv-{n}", email=f"user{n}@acme.fi", company=ACME, inviter=BOSS, role=Role.USER,
        services=("smartship",), languages=("fi", "sv", "en"), created_at=START,
        issued_at=START, expires_at=START + timedelta(days=7),
        status=InvitationStatus.PENDING,
    )


def message(n: int = 1) -> OutgoingMessage:
    return OutgoingMessage(f"<m{n}@posti.fi>", "noreply@posti.fi", (f"user{n}@acme.fi",),
                           b"Subject: x\r\n\r\nbody\r\n")


DETAILS = SubmittedDetails("Matti", "Virtanen", "user1@acme.fi", "user1@acme.fi")


def test_schema_version_and_reopen(backend: Backend) -> None:
    with backend.open() as first:
        assert first.schema_version() == SCHEMA_VERSION
        first.add(record(), nonce_hash="h", message=message(), now=START)
    with backend.open() as again:  # migrations are idempotent on reopen
        stored = again.get("inv-1", now=START)
        assert stored is not None and stored.nonce_hash == "h"
    assert backend.execute("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]


def test_migrates_forward_from_an_empty_versioned_database(backend: Backend) -> None:
    backend.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    backend.execute("INSERT INTO schema_version VALUES (0)")
    with backend.open() as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert s.list_invitations(now=START) == []


def _drop_columns(backend: Backend, table: str, *columns: str, version: int) -> None:
    """Drop ``columns`` of ``table`` and mark the schema as ``version``."""
    for column in columns:
        backend.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    backend.execute(f"UPDATE schema_version SET version = {version}")


def _back_to_version_5(backend: Backend) -> None:
    """Undo migration 6, bounces (its columns, index and table)."""
    backend.execute("DROP TABLE bounces")
    backend.execute("DROP INDEX outbox_sender")
    _drop_columns(backend, "outbox", "bounce_status", "bounce_reason", "bounced_at",
                  version=5)


def _back_to_version_4(backend: Backend) -> None:
    """Undo migrations 6 and 5 (credential orders; the outbox rebuilt with an order owner)."""
    _back_to_version_5(backend)
    for index in ("outbox_due", "outbox_invitation", "outbox_queued", "outbox_order"):
        backend.execute(f"DROP INDEX {index}")
    backend.execute("ALTER TABLE outbox RENAME TO outbox_v4")
    dialect = POSTGRES if backend.name == "postgresql" else SQLITE
    backend.execute(dialect.ddl(MIGRATIONS[0][3]))  # the outbox of version 1
    columns = ("id, invitation_id, kind, message_id, sender, recipients, data, smtputf8, "
               "state, attempts, last_error, next_attempt_at, lease_owner, lease_until, "
               "created_at, sent_at")
    keep = "OVERRIDING SYSTEM VALUE" if backend.name == "postgresql" else ""
    backend.execute(f"INSERT INTO outbox ({columns}) {keep} SELECT {columns} FROM outbox_v4")
    backend.execute("DROP TABLE outbox_v4")
    backend.execute("DROP TABLE credential_orders")
    for statement in (*MIGRATIONS[0][4:], *MIGRATIONS[1]):
        backend.execute(dialect.ddl(statement))
    if backend.name == "postgresql":
        backend.execute("SELECT setval(pg_get_serial_sequence('outbox', 'id'), "
                        "COALESCE((SELECT MAX(id) FROM outbox), 0) + 1, false)")
    backend.execute("UPDATE schema_version SET version = 4")


def test_migrates_forward_from_version_4(backend: Backend) -> None:
    """A version-4 database keeps its outbox rows and ids through the rebuild; new
    rows get new ids, and order mail (no invitation) can be queued."""
    with backend.open() as s:
        s.add(record(1), nonce_hash="h", message=message(1), now=START)
        s.add(record(2), nonce_hash="h", message=message(2), now=START)
    before = backend.execute("SELECT id, message_id FROM outbox ORDER BY id")
    _back_to_version_4(backend)
    with backend.open() as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert [(r.id, r.message_id) for r in s.outbox()] == before
        s.add(record(3), nonce_hash="h", message=message(3), now=START)
        rows = s.outbox()
        assert rows[-1].id > before[-1][0] and rows[-1].invitation_id == "inv-3"
        assert rows[-1].order_number is None
    with pytest.raises(backend.integrity_error):  # an owner is required: exactly one
        backend.execute(
            "INSERT INTO outbox (kind, message_id, sender, recipients, data, "
            "next_attempt_at, created_at) VALUES ('order_received', '<x@posti.fi>', 's', "
            "'[]', 'x', '2026-01-01', '2026-01-01')")


def _back_to_version_3(backend: Backend) -> None:
    """Undo migrations 6, 5 and 4 (the inviter's own address)."""
    _back_to_version_4(backend)
    _drop_columns(backend, "invitations", "inviter_email", version=3)


def _back_to_version_2(backend: Backend) -> None:
    """Undo migrations 6 to 3 (the account hand-off's columns)."""
    _back_to_version_3(backend)
    _drop_columns(backend, "invitations", "registering_until", "registering_owner",
                  "account_id", version=2)


def _back_to_version_1(backend: Backend) -> None:
    _back_to_version_2(backend)
    backend.execute("DROP INDEX outbox_queued")
    backend.execute("UPDATE schema_version SET version = 1")


def test_migrates_forward_from_version_3(backend: Backend) -> None:
    """A version-3 database (before inviters had an address) keeps its rows, reads
    them with no inviter address, and stores one for new invitations."""
    with backend.open() as s:
        s.add(record(), nonce_hash="h", message=message(), now=START)
    _back_to_version_3(backend)
    with backend.open() as s:
        assert s.schema_version() == SCHEMA_VERSION
        old = s.get("inv-1", now=START)
        assert old is not None and old.invitation.inviter.email is None
        with_address = replace(record(2), inviter=replace(record(2).inviter,
                                                           email="maija@example.fi"))
        s.add(with_address, nonce_hash="h2", message=message(2), now=START)
        new = s.get(with_address.id, now=START)
        assert new is not None and new.invitation.inviter.email == "maija@example.fi"


def test_migrates_forward_from_version_2(backend: Backend) -> None:
    """A version-2 database (before the account hand-off) keeps its rows and can
    then lease, accept with an account id, and read it back."""
    with backend.open() as s:
        s.add(record(), nonce_hash="h", message=message(), now=START)
    _back_to_version_2(backend)
    with backend.open() as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert s.claim_registration("inv-1", nonce_hash="h", owner="a", now=START,
                                    until=START + timedelta(minutes=1))
        assert s.redeem("inv-1", nonce_hash="h", now=START, details=DETAILS, account_id="acc-1")
        stored = s.get("inv-1", now=START)
        assert stored is not None and stored.invitation.account_id == "acc-1"


def test_migrates_forward_from_version_1(backend: Backend) -> None:
    """A version-1 database (before the index of queued rows) keeps its rows."""
    with backend.open() as s:
        s.add(record(), nonce_hash="h", message=message(), now=START)
    _back_to_version_1(backend)
    with backend.open() as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert [r.message_id for r in s.claim_due(owner="w", now=START,
                                                   lease=timedelta(minutes=1))] == ["<m1@posti.fi>"]


def test_an_old_schema_is_refused_when_migrating_is_not_allowed(backend: Backend) -> None:
    backend.open().close()
    _back_to_version_1(backend)
    with pytest.raises(ConfigurationError, match="invitations db upgrade"):
        backend.open(migrate=False)
    with backend.open(migrate=True) as s:
        assert s.schema_version() == SCHEMA_VERSION


def test_refuses_a_newer_schema(backend: Backend) -> None:
    backend.open().close()
    backend.execute(f"UPDATE schema_version SET version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ConfigurationError, match="newer"):
        backend.open()


def test_invitation_and_outbox_row_in_one_transaction(backend: Backend, store: SQLStore) -> None:
    store.add(record(1), nonce_hash="h", message=message(1), now=START)
    # Same Message-ID: the outbox insert fails, so the invitation must not exist either.
    with pytest.raises(backend.integrity_error):
        store.add(record(2), nonce_hash="h", message=message(1), now=START)
    assert store.get("inv-2", now=START) is None
    assert [r.invitation_id for r in store.outbox()] == ["inv-1"]


def test_claim_with_lease(store: SQLStore) -> None:
    for n in (1, 2, 3):
        store.add(record(n), nonce_hash="h", message=message(n), now=START)
    lease = timedelta(minutes=5)
    a = store.claim_due(owner="a", now=START, lease=lease, limit=2)
    assert [r.id for r in a] == [1, 2] and all(r.lease_owner == "a" for r in a)
    b = store.claim_due(owner="b", now=START, lease=lease)
    assert [r.id for r in b] == [3]
    assert store.claim_due(owner="c", now=START + timedelta(minutes=4), lease=lease) == []
    # A crashed worker's lease runs out and another worker takes over.
    c = store.claim_due(owner="c", now=START + timedelta(minutes=6), lease=lease)
    assert [r.id for r in c] == [1, 2, 3]
    # Only the lease holder may record a result.
    assert not store.record_result(1, owner="a", now=START, state=DeliveryState.SENT)
    assert store.record_result(1, owner="c", now=START, state=DeliveryState.SENT)
    assert store.record_result(2, owner="c", now=START, state=DeliveryState.QUEUED,
                               error="451 later", next_attempt_at=START + timedelta(hours=1))
    rows = {r.id: r for r in store.outbox()}
    assert rows[1].state is DeliveryState.SENT and rows[1].sent_at == START
    assert rows[1].lease_owner is None and rows[1].attempts == 1
    assert rows[2].state is DeliveryState.QUEUED and rows[2].last_error == "451 later"
    assert store.claim_due(owner="d", now=START + timedelta(minutes=30), lease=lease,
                           message_ids=["<m2@posti.fi>"]) == []
    later = store.claim_due(owner="d", now=START + timedelta(hours=1), lease=lease,
                            message_ids=["<m2@posti.fi>"])
    assert [r.id for r in later] == [2]
    assert later[0].to_message() == message(2)


def test_redeem_is_conditional(store: SQLStore) -> None:
    store.add(record(), nonce_hash="h", message=message(), now=START)
    details = SubmittedDetails("A", "B", "user1@acme.fi", "user1@acme.fi")
    assert not store.redeem("inv-1", nonce_hash="wrong", now=START, details=details)
    late = START + timedelta(days=7, seconds=1)
    assert not store.redeem("inv-1", nonce_hash="h", now=late, details=details)
    assert store.redeem("inv-1", nonce_hash="h", now=START, details=details)
    assert not store.redeem("inv-1", nonce_hash="h", now=START, details=details)
    stored = store.get("inv-1", now=late)
    assert stored is not None
    assert stored.invitation.status is InvitationStatus.ACCEPTED  # accepted never "expires"


def test_reissue_drops_unsent_mail(store: SQLStore) -> None:
    store.add(record(), nonce_hash="h", message=message(1), now=START)
    assert store.reissue("inv-1", nonce_hash="h2", issued_at=START, expires_at=START,
                         message=replace(message(2), recipients=("user1@acme.fi",)))
    assert [r.message_id for r in store.outbox()] == ["<m2@posti.fi>"]
    stored = store.get("inv-1", now=START)
    assert stored is not None and stored.nonce_hash == "h2"
    assert stored.invitation.resend_count == 1


def test_requeue_failed(store: SQLStore) -> None:
    for n in (1, 2):
        store.add(record(n), nonce_hash="h", message=message(n), now=START)
    for row in store.claim_due(owner="w", now=START, lease=timedelta(minutes=1)):
        store.record_result(row.id, owner="w", now=START, state=DeliveryState.FAILED,
                            error="550 no")
    later = START + timedelta(hours=2)
    assert store.requeue_failed(now=later, message_ids=["<m2@posti.fi>"]) == 1
    assert store.requeue_failed(now=later, message_ids=[]) == 0
    states = {r.message_id: (r.state, r.attempts, r.next_attempt_at) for r in store.outbox()}
    assert states["<m2@posti.fi>"] == (DeliveryState.QUEUED, 0, later)
    assert states["<m1@posti.fi>"][0] is DeliveryState.FAILED
    assert store.requeue_failed(now=later) == 1


def test_add_many_leaves_out_open_addresses(store: SQLStore) -> None:
    from invitations.store import NewInvitation

    store.add(record(1), nonce_hash="h", message=message(1), now=START)
    entries = [NewInvitation(replace(record(n), id=f"bulk-{n}"), "h", message(10 + n), START)
               for n in (1, 2, 3)]
    assert store.add_many(entries) == [0]  # user1 already has a pending invitation
    assert sorted(i.id for i in store.list_invitations(now=START)) == ["bulk-2", "bulk-3",
                                                                        "inv-1"]
    assert store.waiting() == (3, START)


def test_list_filters_and_keeps_insertion_order(store: SQLStore) -> None:
    for n in (3, 1, 2):
        store.add(record(n), nonce_hash="h", message=message(n), now=START)
    assert [i.id for i in store.list_invitations(now=START)] == ["inv-3", "inv-1", "inv-2"]
    assert store.revoke("inv-1", by="boss@acme.fi", now=START)
    assert not store.revoke("inv-1", by="boss@acme.fi", now=START)
    late = START + timedelta(days=8)
    assert [i.id for i in store.list_invitations(status=InvitationStatus.EXPIRED, now=late)] == [
        "inv-3", "inv-2"]
    assert [i.id for i in store.list_invitations(status=InvitationStatus.REVOKED, now=late,
                                                 company_id=ACME.business_id)] == ["inv-1"]
    assert store.outbox(invitation_id="inv-1") == []  # revoking drops the unsent mail


def test_confirmation_flow_and_release(store: SQLStore) -> None:
    store.add(record(), nonce_hash="h", message=message(1), now=START)
    details = SubmittedDetails("A", "B", "user1@acme.fi", "user1")
    assert store.redeem("inv-1", nonce_hash="h", now=START, details=details,
                        confirm_nonce_hash="c", message=message(2))
    assert not store.confirm("inv-1", confirm_nonce_hash="wrong", now=START)
    assert store.confirm("inv-1", confirm_nonce_hash="c", now=START)
    stored = store.get("inv-1", now=START)
    assert stored is not None and stored.invitation.email_confirmed_at == START
    claimed = store.claim_due(owner="w", now=START, lease=timedelta(minutes=5))
    assert [r.message_id for r in claimed] == ["<m1@posti.fi>", "<m2@posti.fi>"]
    assert store.release([r.id for r in claimed], owner="other") == 0
    assert store.release([r.id for r in claimed], owner="w") == 2
    assert len(store.claim_due(owner="x", now=START, lease=timedelta(minutes=5))) == 2


# -- the registration lease of the account hand-off (invitations.accounts) --


def test_registration_lease_is_exclusive_until_it_runs_out(backend: Backend) -> None:
    lease = timedelta(minutes=1)
    with backend.open() as s:
        s.add(record(), nonce_hash="h", message=message(), now=START)
        assert not s.claim_registration("inv-1", nonce_hash="wrong", owner="a", now=START,
                                        until=START + lease)
        assert s.claim_registration("inv-1", nonce_hash="h", owner="a", now=START,
                                    until=START + lease)
        assert not s.claim_registration("inv-1", nonce_hash="h", owner="b", now=START,
                                        until=START + lease)
        assert not s.release_registration("inv-1", owner="b")  # not b's lease
        # A crashed holder: the lease runs out and the next submit takes it over.
        later = START + lease + timedelta(seconds=1)
        assert s.claim_registration("inv-1", nonce_hash="h", owner="b", now=later,
                                    until=later + lease)
        assert not s.release_registration("inv-1", owner="a")
        assert s.release_registration("inv-1", owner="b")
        assert s.claim_registration("inv-1", nonce_hash="h", owner="c", now=later,
                                    until=later + lease)
        assert s.redeem("inv-1", nonce_hash="h", now=later, details=DETAILS, account_id="acc")
        # Accepted: nothing more to lease; the lease columns are cleared.
        assert not s.claim_registration("inv-1", nonce_hash="h", owner="d",
                                        now=later + 2 * lease, until=later + 3 * lease)
    assert backend.execute("SELECT registering_owner, registering_until, account_id "
                           "FROM invitations") == [(None, None, "acc")]


def test_registration_lease_only_on_an_open_invitation(backend: Backend) -> None:
    with backend.open() as s:
        s.add(record(), nonce_hash="h", message=message(), now=START)
        after = START + timedelta(days=8)
        assert not s.claim_registration("inv-1", nonce_hash="h", owner="a", now=after,
                                        until=after + timedelta(minutes=1))
        assert s.revoke("inv-1", by="boss", now=START)
        assert not s.claim_registration("inv-1", nonce_hash="h", owner="a", now=START,
                                        until=START + timedelta(minutes=1))


def test_one_registration_lease_among_20_concurrent_claims(backend: Backend) -> None:
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    with backend.open() as s:
        s.add(record(), nonce_hash="h", message=message(), now=START)
        start = Barrier(20)

        def claim(n: int) -> bool:
            start.wait()
            return s.claim_registration("inv-1", nonce_hash="h", owner=f"w{n}", now=START,
                                        until=START + timedelta(minutes=1))

        with ThreadPoolExecutor(max_workers=20) as pool:
            won = list(pool.map(claim, range(20)))
    assert won.count(True) == 1


def test_queue_message_is_once_per_message_id(store: SQLStore) -> None:
    """A notice is queued once per Message-ID, whatever state the first copy is in."""
    store.add(record(), nonce_hash="h", message=message(), now=START)
    notice = OutgoingMessage("<notice-1@posti.fi>", "noreply@posti.fi", ("boss@acme.fi",),
                             b"Subject: n\r\n\r\nbody\r\n")
    assert store.queue_message("inv-1", MessageKind.UNDELIVERABLE, notice, now=START)
    assert not store.queue_message("inv-1", MessageKind.UNDELIVERABLE, notice, now=START)
    [row] = store.claim_due(owner="w", now=START, lease=timedelta(minutes=1),
                            message_ids=["<notice-1@posti.fi>"])
    assert row.kind is MessageKind.UNDELIVERABLE and row.recipients == ("boss@acme.fi",)
    assert store.record_result(row.id, owner="w", now=START, state=DeliveryState.SENT)
    assert not store.queue_message("inv-1", MessageKind.UNDELIVERABLE, notice, now=START)
    kinds = [(r.kind, r.state) for r in store.outbox(invitation_id="inv-1")]
    assert kinds == [(MessageKind.INVITATION, DeliveryState.QUEUED),
                     (MessageKind.UNDELIVERABLE, DeliveryState.SENT)]
    # The notice is not the invitation's mail: its delivery state is the invitation's.
    stored = store.get("inv-1", now=START)
    assert stored is not None and stored.invitation.delivery_state is DeliveryState.QUEUED


def test_a_lease_takeover_is_logged(store: SQLStore, caplog: pytest.LogCaptureFixture) -> None:
    """A worker that takes over a row whose lease lapsed says so (the message may have
    gone out once already); a first claim and a row given back say nothing."""
    store.add(record(), nonce_hash="h", message=message(), now=START)
    store.add(record(2), nonce_hash="h2", message=message(2), now=START)
    lease = timedelta(minutes=1)
    with caplog.at_level(logging.WARNING, logger="invitations.store"):
        first = store.claim_due(owner="host:1:dead", now=START, lease=lease)
        assert [r.id for r in first] and store.release([first[1].id], owner="host:1:dead")
        later = START + timedelta(minutes=2)
        taken = store.claim_due(owner="host:2:alive", now=later, lease=lease)
    assert [r.lease_owner for r in taken] == ["host:2:alive", "host:2:alive"]
    [takeover] = [r for r in caplog.records if r.name == "invitations.store"]
    assert "taken over" in takeover.getMessage()
    assert (takeover.outbox_id, takeover.previous_owner, takeover.lease_owner) == (
        first[0].id, "host:1:dead", "host:2:alive")
