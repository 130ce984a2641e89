"""The invitation and outbox logic of the SQL stores, written once.

Every state change is one conditional ``UPDATE`` (``... WHERE status = 'pending'
AND nonce_hash = :nonce``) whose row count says whether it happened, so single
use holds across threads, processes and hosts on either backend: SQLite takes
the file's write lock, PostgreSQL the row lock (a second ``UPDATE`` waits for the
first to commit, then sees the new status and matches nothing).

A backend supplies its connections (:meth:`SQLStore._write`, :meth:`SQLStore._read`),
its :class:`~invitations.store.dialect.Dialect`, and two hooks: what makes a bulk
insert exclusive, and how waiting workers hear about new mail.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, Self

from invitations.models import (
    DeliveryState,
    Invitation,
    InvitationStatus,
    MessageKind,
    OutboxRow,
    OutgoingMessage,
)
from invitations.store import bounces as bounces_sql
from invitations.store import outbox as outbox_sql
from invitations.store.dialect import Dialect
from invitations.store.orders import OrderStatements
from invitations.store.protocol import (
    BounceEntry,
    NewInvitation,
    ResultUpdate,
    StoredInvitation,
    SubmittedDetails,
)
from invitations.store.schema import invitation_from_row

__all__ = ["SQLStore"]

_EFFECTIVE_STATUS = (
    "CASE WHEN i.status = 'pending' AND i.expires_at < :now THEN 'expired' ELSE i.status END"
)
_SELECT = f"""
    SELECT i.*, {_EFFECTIVE_STATUS} AS effective_status,
           o.state AS d_state, o.attempts AS d_attempts, o.last_error AS d_error,
           o.bounce_status AS d_bounce_status, o.bounce_reason AS d_bounce_reason,
           o.bounced_at AS d_bounced_at
    FROM invitations AS i LEFT JOIN outbox AS o ON o.message_id = i.message_id
"""
_COLUMNS = ("id", "email", "email_key", "first_name", "last_name", "company_id",
            "company_name", "contract_number", "inviter_id", "inviter_name", "inviter_role",
            "inviter_company_id", "inviter_email", "role", "services", "languages",
            "nonce_hash", "created_at", "issued_at", "expires_at", "status", "resend_count",
            "message_id")
_INSERT = (f"INSERT INTO invitations ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join(':' + c for c in _COLUMNS)})")
_PENDING_FOR = ("SELECT 1 FROM invitations WHERE company_id = :company AND email_key = :key "
                "AND status = 'pending' LIMIT 1")
_REDEEM = (
    "UPDATE invitations SET status = :status, accepted_at = :done, confirm_nonce_hash = :confirm, "
    "registered_first_name = :first, registered_last_name = :last, registered_email = :email, "
    "registered_username = :username, email_confirmed_at = :done, "
    "account_id = COALESCE(:account, account_id), registering_until = NULL, "
    "registering_owner = NULL "
    "WHERE id = :id AND status = 'pending' AND nonce_hash = :nonce AND expires_at >= :now"
)

#: The registration lease: taken only on a pending, unexpired invitation with this
#: nonce that no live lease holds (an expired one is taken over).
_CLAIM_REGISTRATION = (
    "UPDATE invitations SET registering_until = :until, registering_owner = :owner "
    "WHERE id = :id AND status = 'pending' AND nonce_hash = :nonce AND expires_at >= :now "
    "AND (registering_until IS NULL OR registering_until < :now)"
)


class SQLStore(OrderStatements):
    """What both SQL backends share; see the module text (credential orders:
    :mod:`invitations.store.orders`)."""

    dialect: Dialect
    #: The schema version found when the store was opened (before any migration).
    schema_found: int = 0

    # -- what a backend supplies --

    @property
    def where(self) -> str:
        """Where the data lives, for messages (never a password)."""
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Any]:
        """A connection inside one transaction that excludes conflicting writers."""
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Any]:
        """A connection for one consistent read."""
        raise NotImplementedError

    def _statement(self) -> AbstractContextManager[Any]:
        """A connection for a write that is ONE statement on this backend (atomic by
        itself, so it needs no explicit transaction); default: :meth:`_write`."""
        return self._write()

    def _serialize_bulk(self, conn: Any) -> None:
        """Make the check-then-insert of :meth:`add_many` exclusive (default: nothing)."""

    def _mail_queued(self, conn: Any) -> None:
        """Mail was queued in this transaction; wake idle workers at commit (default: none)."""

    def _scrubbed(self) -> None:
        """Mail bytes were scrubbed and committed: push old copies out of any log the
        backend keeps next to the data (default: nothing)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- invitations --

    def schema_version(self) -> int:
        with self._read() as conn:
            row = conn.execute("SELECT version AS version FROM schema_version").fetchone()
        return int(row["version"])

    def add(self, invitation: Invitation, *, nonce_hash: str, message: OutgoingMessage,
            now: datetime) -> None:
        with self._write() as conn:
            self._insert(conn, NewInvitation(invitation, nonce_hash, message, now))
            self._mail_queued(conn)

    def add_many(self, entries: Sequence[NewInvitation]) -> list[int]:
        skipped: list[int] = []
        pending_for = self.dialect.sql(_PENDING_FOR)
        with self._write() as conn:
            self._serialize_bulk(conn)
            for index, entry in enumerate(entries):
                inv = entry.invitation
                # Checked inside the transaction, so no other writer slips in between.
                if conn.execute(pending_for, {"company": inv.company.business_id,
                                              "key": inv.email.casefold()}).fetchone():
                    skipped.append(index)
                else:
                    self._insert(conn, entry)
            if len(skipped) < len(entries):
                self._mail_queued(conn)
        return skipped

    def _insert(self, conn: Any, entry: NewInvitation) -> None:
        inv, message, encode = entry.invitation, entry.message, self.dialect.encode_time
        conn.execute(self.dialect.sql(_INSERT), {
            "id": inv.id, "email": inv.email, "email_key": inv.email.casefold(),
            "first_name": inv.first_name, "last_name": inv.last_name,
            "company_id": inv.company.business_id, "company_name": inv.company.name,
            "contract_number": inv.company.contract_number,
            "inviter_id": inv.inviter.id, "inviter_name": inv.inviter.name,
            "inviter_role": str(inv.inviter.role), "inviter_company_id": inv.inviter.company_id,
            "inviter_email": inv.inviter.email,
            "role": str(inv.role), "services": json.dumps(list(inv.services)),
            "languages": json.dumps(list(inv.languages)), "nonce_hash": entry.nonce_hash,
            "created_at": encode(inv.created_at), "issued_at": encode(inv.issued_at),
            "expires_at": encode(inv.expires_at), "status": str(InvitationStatus.PENDING),
            "resend_count": 0, "message_id": message.message_id,
        })
        outbox_sql.queue(conn, self.dialect, inv.id, MessageKind.INVITATION, message, entry.now)

    def _select_one(self, where: str, params: dict[str, object]) -> StoredInvitation | None:
        with self._read() as conn:
            row = conn.execute(self.dialect.sql(f"{_SELECT} {where}"), params).fetchone()
        return None if row is None else invitation_from_row(row, self.dialect)

    def get(self, invitation_id: str, *, now: datetime) -> StoredInvitation | None:
        return self._select_one("WHERE i.id = :id",
                                {"id": invitation_id, "now": self.dialect.encode_time(now)})

    def find_open(self, company_id: str, email: str, *, now: datetime
                  ) -> StoredInvitation | None:
        return self._select_one(
            "WHERE i.company_id = :company AND i.email_key = :key "
            f"AND i.status = 'pending' ORDER BY i.created_at DESC, {self.dialect.insertion_order}"
            " DESC LIMIT 1",
            {"company": company_id, "key": email.casefold(), "now": self.dialect.encode_time(now)},
        )

    def list_invitations(self, *, company_id: str | None = None,
                         status: InvitationStatus | None = None,
                         now: datetime, delivery_state: DeliveryState | None = None
                         ) -> list[Invitation]:
        where, params = [], {"now": self.dialect.encode_time(now)}
        if delivery_state is not None:
            where.append("o.state = :d_state")
            params["d_state"] = str(delivery_state)
        if company_id is not None:
            where.append("i.company_id = :company")
            params["company"] = company_id
        if status is not None:
            where.append(f"({_EFFECTIVE_STATUS}) = :status")
            params["status"] = str(status)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        order = f"ORDER BY i.created_at, {self.dialect.insertion_order}"
        with self._read() as conn:
            rows = conn.execute(self.dialect.sql(f"{_SELECT} {clause} {order}"),
                                params).fetchall()
        return [invitation_from_row(row, self.dialect).invitation for row in rows]

    def reissue(self, invitation_id: str, *, nonce_hash: str, issued_at: datetime,
                expires_at: datetime, message: OutgoingMessage) -> bool:
        encode = self.dialect.encode_time
        with self._write() as conn:
            cur = conn.execute(self.dialect.sql(
                "UPDATE invitations SET nonce_hash = :nonce, issued_at = :issued, "
                "expires_at = :expires, resend_count = resend_count + 1, message_id = :mid "
                "WHERE id = :id AND status = 'pending'"),
                {"nonce": nonce_hash, "issued": encode(issued_at), "expires": encode(expires_at),
                 "mid": message.message_id, "id": invitation_id},
            )
            if cur.rowcount != 1:
                return False
            outbox_sql.drop_unsent(conn, self.dialect, invitation_id)
            outbox_sql.scrub_dead(conn, self.dialect, now=issued_at, invitation_id=invitation_id)
            outbox_sql.queue(conn, self.dialect, invitation_id, MessageKind.INVITATION, message,
                             issued_at)
            self._mail_queued(conn)
        self._scrubbed()  # the replaced mail's bytes
        return True

    def redeem(self, invitation_id: str, *, nonce_hash: str, now: datetime,
               details: SubmittedDetails, confirm_nonce_hash: str | None = None,
               message: OutgoingMessage | None = None, account_id: str | None = None) -> bool:
        awaiting = confirm_nonce_hash is not None
        status = InvitationStatus.AWAITING_CONFIRMATION if awaiting else InvitationStatus.ACCEPTED
        stamp = self.dialect.encode_time(now)
        with self._write() as conn:
            cur = conn.execute(self.dialect.sql(_REDEEM), {
                "status": str(status), "done": None if awaiting else stamp,
                "confirm": confirm_nonce_hash, "first": details.first_name,
                "last": details.last_name, "email": details.email,
                "username": details.username, "id": invitation_id, "nonce": nonce_hash,
                "now": stamp, "account": account_id,
            })
            if cur.rowcount != 1:
                return False
            if message is not None:
                outbox_sql.queue(conn, self.dialect, invitation_id, MessageKind.CONFIRMATION,
                                 message, now)
                self._mail_queued(conn)
        return True

    def claim_registration(self, invitation_id: str, *, nonce_hash: str, owner: str,
                           now: datetime, until: datetime) -> bool:
        encode = self.dialect.encode_time
        with self._statement() as conn:
            cur = conn.execute(self.dialect.sql(_CLAIM_REGISTRATION), {
                "until": encode(until), "owner": owner, "id": invitation_id,
                "nonce": nonce_hash, "now": encode(now),
            })
            return bool(cur.rowcount == 1)

    def release_registration(self, invitation_id: str, *, owner: str) -> bool:
        with self._statement() as conn:
            cur = conn.execute(self.dialect.sql(
                "UPDATE invitations SET registering_until = NULL, registering_owner = NULL "
                "WHERE id = :id AND registering_owner = :owner"),
                {"id": invitation_id, "owner": owner},
            )
            return bool(cur.rowcount == 1)

    def confirm(self, invitation_id: str, *, confirm_nonce_hash: str, now: datetime) -> bool:
        with self._statement() as conn:
            cur = conn.execute(self.dialect.sql(
                "UPDATE invitations SET status = 'accepted', accepted_at = :now, "
                "email_confirmed_at = :now WHERE id = :id AND status = 'awaiting_confirmation' "
                "AND confirm_nonce_hash = :confirm"),
                {"now": self.dialect.encode_time(now), "id": invitation_id,
                 "confirm": confirm_nonce_hash},
            )
            return bool(cur.rowcount == 1)

    def revoke(self, invitation_id: str, *, by: str, now: datetime) -> bool:
        with self._write() as conn:
            cur = conn.execute(self.dialect.sql(
                "UPDATE invitations SET status = 'revoked', revoked_at = :now, revoked_by = :by "
                "WHERE id = :id AND status IN ('pending', 'awaiting_confirmation')"),
                {"now": self.dialect.encode_time(now), "by": by, "id": invitation_id},
            )
            if cur.rowcount != 1:
                return False
            outbox_sql.drop_unsent(conn, self.dialect, invitation_id)
            outbox_sql.scrub_dead(conn, self.dialect, now=now, invitation_id=invitation_id)
        self._scrubbed()
        return True

    # -- outbox (statements in invitations.store.outbox) --

    def queue_message(self, invitation_id: str, kind: MessageKind, message: OutgoingMessage,
                      *, now: datetime) -> bool:
        with self._write() as conn:
            added = outbox_sql.queue_once(conn, self.dialect, invitation_id, kind, message, now)
            if added:
                self._mail_queued(conn)
        return added

    def claim_due(self, *, owner: str, now: datetime, lease: timedelta, limit: int = 100,
                  message_ids: Sequence[str] | None = None) -> list[OutboxRow]:
        if message_ids is not None and not message_ids:
            return []
        # PostgreSQL claims in one UPDATE ... RETURNING; SQLite needs its transaction.
        with self._statement() if self.dialect.pyformat else self._write() as conn:
            return outbox_sql.claim_due(conn, self.dialect, owner=owner, now=now, lease=lease,
                                        limit=limit, message_ids=message_ids)

    def record_result(self, row_id: int, *, owner: str | None, now: datetime,
                      state: DeliveryState, error: str | None = None,
                      next_attempt_at: datetime | None = None) -> bool:
        update = ResultUpdate(row_id, owner, now, state, error, next_attempt_at)
        return self.record_results([update]) == 1

    def record_results(self, updates: Sequence[ResultUpdate]) -> int:
        with self._statement() if len(updates) == 1 else self._write() as conn:
            done = outbox_sql.record_results(conn, self.dialect, updates)
        if any(u.state is DeliveryState.SENT for u in updates):
            self._scrubbed()
        return done

    def requeue_failed(self, *, now: datetime, message_ids: Sequence[str] | None = None) -> int:
        if message_ids is not None and not message_ids:
            return 0
        with self._write() as conn:
            count = outbox_sql.requeue_failed(conn, self.dialect, now=now,
                                              message_ids=message_ids)
            if count:
                self._mail_queued(conn)
        self._scrubbed()  # failed mail of dead links was scrubbed first
        return count

    def release(self, row_ids: Sequence[int], *, owner: str) -> int:
        if not row_ids:
            return 0
        with self._write() as conn:
            count = outbox_sql.release(conn, self.dialect, row_ids, owner=owner)
            if count:
                self._mail_queued(conn)
            return count

    def waiting(self) -> tuple[int, datetime | None]:
        """How many messages are queued, and when the earliest is next due."""
        with self._read() as conn:
            return outbox_sql.waiting(conn, self.dialect)

    def outbox_depth(self, *, now: datetime) -> dict[str, int]:
        """How many outbox rows are in each delivery state (and leases expired at ``now``)."""
        with self._read() as conn:
            return outbox_sql.depth(conn, self.dialect, now)

    def outbox(self, *, invitation_id: str | None = None, state: DeliveryState | None = None
               ) -> list[OutboxRow]:
        with self._read() as conn:
            return outbox_sql.select(conn, self.dialect, invitation_id=invitation_id,
                                     state=state)

    # -- bounces (statements in invitations.store.bounces) --

    def find_outbox(self, *, sender: str | None = None, message_id: str | None = None
                    ) -> OutboxRow | None:
        with self._read() as conn:
            return bounces_sql.find_outbox(conn, self.dialect, sender=sender,
                                           message_id=message_id)

    def record_bounce(self, entry: BounceEntry) -> str:
        with self._write() as conn:
            return bounces_sql.record_bounce(conn, self.dialect, entry)
