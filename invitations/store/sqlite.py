"""Where invitations and their outgoing mail live: a protocol and a SQLite default.

Every state change is one conditional ``UPDATE`` (``... WHERE status = 'pending'
AND nonce_hash = ?``) whose row count says whether it happened, so that single
use holds across threads and processes sharing one database file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from invitations.errors import ConfigurationError
from invitations.models import (
    DeliveryState,
    Invitation,
    InvitationStatus,
    MessageKind,
    OutboxRow,
    OutgoingMessage,
)
from invitations.store import outbox as outbox_sql
from invitations.store.protocol import (
    NewInvitation,
    ResultUpdate,
    StoredInvitation,
    SubmittedDetails,
)
from invitations.store.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    encode_time,
    invitation_from_row,
)

__all__ = ["SQLiteInvitationStore"]


# -- SQLite -----------------------------------------------------------------

_EFFECTIVE_STATUS = (
    "CASE WHEN i.status = 'pending' AND i.expires_at < :now THEN 'expired' ELSE i.status END"
)
_SELECT = f"""
    SELECT i.*, {_EFFECTIVE_STATUS} AS effective_status,
           o.state AS d_state, o.attempts AS d_attempts, o.last_error AS d_error
    FROM invitations AS i LEFT JOIN outbox AS o ON o.message_id = i.message_id
"""


class SQLiteInvitationStore:
    """The embedded default store: a SQLite file (WAL) or ``":memory:"``."""

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *,
                 busy_timeout: float = 10.0) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._memory = self.path == ":memory:"
        # One connection per thread for files (real SQLite locking between
        # them); a memory database exists only in its one connection.
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._registry_lock = threading.Lock()
        self._memory_lock = threading.RLock()
        self._pid = os.getpid()
        self._writer_lock = threading.RLock()
        self._writer_pid = self._pid
        if not self._memory:
            parent = Path(self.path).expanduser().resolve().parent
            if not parent.is_dir():
                raise ConfigurationError(
                    f"the database directory {parent} does not exist; create it or set "
                    "INVITATIONS_DB to a path in an existing directory"
                )
            if Path(self.path).expanduser().is_dir():
                raise ConfigurationError(
                    f"the database path {self.path} is a directory; set INVITATIONS_DB to a "
                    f"file path, e.g. {self.path}/invitations.db"
                )
        try:
            self._migrate()
            self._check_tables()
        except sqlite3.DatabaseError as error:
            self.close()
            raise ConfigurationError(
                f"cannot use {self.path} as the invitations database ({error}); point "
                "INVITATIONS_DB at the right file, or move this one aside to start afresh"
            ) from None

    def _check_tables(self) -> None:
        with self._read() as conn:
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = {"invitations", "outbox"} - tables
        if missing:
            raise sqlite3.DatabaseError(
                f"it is damaged: table(s) {', '.join(sorted(missing))} missing"
            )

    # -- connections and transactions --

    def _connection(self) -> sqlite3.Connection:
        if not self._memory and self._pid != os.getpid():
            # A forked child must not share its parent's SQLite handles.
            self._pid = os.getpid()
            self._local = threading.local()
            self._all = []
        conn: sqlite3.Connection | None = None
        if self._memory:
            conn = self._all[0] if self._all else None
        else:
            conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout,
                                   isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self._memory:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                self._local.conn = conn
            with self._registry_lock:
                self._all.append(conn)
        return conn

    def _guard(self) -> AbstractContextManager[Any]:
        return self._memory_lock if self._memory else nullcontext()

    def _writers(self) -> threading.RLock:
        # Threads of this process queue for writing here, not in SQLite's busy
        # handler, which sleeps milliseconds between retries (other processes
        # still meet the file lock and busy_timeout).
        if self._writer_pid != os.getpid():  # forked: the holder is not in this process
            self._writer_pid, self._writer_lock = os.getpid(), threading.RLock()
        return self._writer_lock

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: takes the write lock up front (no upgrade deadlock)."""
        with self._guard(), self._writers():
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._guard():
            yield self._connection()

    def _migrate(self) -> None:
        with self._write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            version = 0 if row is None else int(row[0])
            if version > SCHEMA_VERSION:
                raise ConfigurationError(
                    f"the database {self.path} has schema version {version}, newer than this "
                    f"release understands ({SCHEMA_VERSION}); upgrade the invitations package"
                )
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    conn.execute(statement)
            if row is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)",
                             (SCHEMA_VERSION,))
            elif version != SCHEMA_VERSION:
                conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT version FROM schema_version").fetchone()[0])

    def close(self) -> None:
        with self._registry_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def __enter__(self) -> SQLiteInvitationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- invitations --

    def add(self, invitation: Invitation, *, nonce_hash: str, message: OutgoingMessage,
            now: datetime) -> None:
        with self._write() as conn:
            self._insert(conn, NewInvitation(invitation, nonce_hash, message, now))

    def add_many(self, entries: Sequence[NewInvitation]) -> list[int]:
        skipped: list[int] = []
        with self._write() as conn:
            for index, entry in enumerate(entries):
                inv = entry.invitation
                # Checked inside the transaction, so no other writer slips in between.
                if conn.execute(
                    "SELECT 1 FROM invitations WHERE company_id = ? AND email_key = ? "
                    "AND status = 'pending' LIMIT 1",
                    (inv.company.business_id, inv.email.casefold()),
                ).fetchone():
                    skipped.append(index)
                else:
                    self._insert(conn, entry)
        return skipped

    @staticmethod
    def _insert(conn: sqlite3.Connection, entry: NewInvitation) -> None:
        inv, message = entry.invitation, entry.message
        values = {
            "id": inv.id, "email": inv.email, "email_key": inv.email.casefold(),
            "first_name": inv.first_name, "last_name": inv.last_name,
            "company_id": inv.company.business_id, "company_name": inv.company.name,
            "contract_number": inv.company.contract_number,
            "inviter_id": inv.inviter.id, "inviter_name": inv.inviter.name,
            "inviter_role": str(inv.inviter.role), "inviter_company_id": inv.inviter.company_id,
            "role": str(inv.role), "services": json.dumps(list(inv.services)),
            "languages": json.dumps(list(inv.languages)), "nonce_hash": entry.nonce_hash,
            "created_at": encode_time(inv.created_at), "issued_at": encode_time(inv.issued_at),
            "expires_at": encode_time(inv.expires_at), "status": str(InvitationStatus.PENDING),
            "resend_count": 0, "message_id": message.message_id,
        }
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        conn.execute(f"INSERT INTO invitations ({columns}) VALUES ({marks})", values)
        outbox_sql.queue(conn, inv.id, MessageKind.INVITATION, message, entry.now)

    def get(self, invitation_id: str, *, now: datetime) -> StoredInvitation | None:
        with self._read() as conn:
            row = conn.execute(f"{_SELECT} WHERE i.id = :id",
                               {"id": invitation_id, "now": encode_time(now)}).fetchone()
        return None if row is None else invitation_from_row(row)

    def find_open(self, company_id: str, email: str, *, now: datetime
                  ) -> StoredInvitation | None:
        with self._read() as conn:
            row = conn.execute(
                f"{_SELECT} WHERE i.company_id = :company AND i.email_key = :key "
                "AND i.status = 'pending' ORDER BY i.created_at DESC LIMIT 1",
                {"company": company_id, "key": email.casefold(), "now": encode_time(now)},
            ).fetchone()
        return None if row is None else invitation_from_row(row)

    def list_invitations(self, *, company_id: str | None = None,
                         status: InvitationStatus | None = None,
                         now: datetime) -> list[Invitation]:
        where, params = [], {"now": encode_time(now)}
        if company_id is not None:
            where.append("i.company_id = :company")
            params["company"] = company_id
        if status is not None:
            where.append(f"({_EFFECTIVE_STATUS}) = :status")
            params["status"] = str(status)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._read() as conn:
            rows = conn.execute(f"{_SELECT} {clause} ORDER BY i.created_at, i.rowid",
                                params).fetchall()
        return [invitation_from_row(row).invitation for row in rows]

    def reissue(self, invitation_id: str, *, nonce_hash: str, issued_at: datetime,
                expires_at: datetime, message: OutgoingMessage) -> bool:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE invitations SET nonce_hash = ?, issued_at = ?, expires_at = ?, "
                "resend_count = resend_count + 1, message_id = ? "
                "WHERE id = ? AND status = 'pending'",
                (nonce_hash, encode_time(issued_at), encode_time(expires_at), message.message_id,
                 invitation_id),
            )
            if cur.rowcount != 1:
                return False
            outbox_sql.drop_unsent(conn, invitation_id)
            outbox_sql.queue(conn, invitation_id, MessageKind.INVITATION, message, issued_at)
        return True

    def redeem(self, invitation_id: str, *, nonce_hash: str, now: datetime,
               details: SubmittedDetails, confirm_nonce_hash: str | None = None,
               message: OutgoingMessage | None = None) -> bool:
        awaiting = confirm_nonce_hash is not None
        status = InvitationStatus.AWAITING_CONFIRMATION if awaiting else InvitationStatus.ACCEPTED
        stamp = encode_time(now)
        done_at = None if awaiting else stamp
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE invitations SET status = ?, accepted_at = ?, confirm_nonce_hash = ?, "
                "registered_first_name = ?, registered_last_name = ?, registered_email = ?, "
                "registered_username = ?, email_confirmed_at = ? "
                "WHERE id = ? AND status = 'pending' AND nonce_hash = ? AND expires_at >= ?",
                (str(status), done_at, confirm_nonce_hash, details.first_name,
                 details.last_name, details.email, details.username, done_at, invitation_id,
                 nonce_hash, stamp),
            )
            if cur.rowcount != 1:
                return False
            if message is not None:
                outbox_sql.queue(conn, invitation_id, MessageKind.CONFIRMATION, message, now)
        return True

    def confirm(self, invitation_id: str, *, confirm_nonce_hash: str, now: datetime) -> bool:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE invitations SET status = 'accepted', accepted_at = ?, "
                "email_confirmed_at = ? WHERE id = ? AND status = 'awaiting_confirmation' "
                "AND confirm_nonce_hash = ?",
                (encode_time(now), encode_time(now), invitation_id, confirm_nonce_hash),
            )
            return cur.rowcount == 1

    def revoke(self, invitation_id: str, *, by: str, now: datetime) -> bool:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE invitations SET status = 'revoked', revoked_at = ?, revoked_by = ? "
                "WHERE id = ? AND status IN ('pending', 'awaiting_confirmation')",
                (encode_time(now), by, invitation_id),
            )
            if cur.rowcount != 1:
                return False
            outbox_sql.drop_unsent(conn, invitation_id)
        return True

    # -- outbox (statements in invitations.store.outbox) --

    def claim_due(self, *, owner: str, now: datetime, lease: timedelta, limit: int = 100,
                  message_ids: Sequence[str] | None = None) -> list[OutboxRow]:
        if message_ids is not None and not message_ids:
            return []
        with self._write() as conn:
            return outbox_sql.claim_due(conn, owner=owner, now=now, lease=lease, limit=limit,
                                        message_ids=message_ids)

    def record_result(self, row_id: int, *, owner: str | None, now: datetime,
                      state: DeliveryState, error: str | None = None,
                      next_attempt_at: datetime | None = None) -> bool:
        update = ResultUpdate(row_id, owner, now, state, error, next_attempt_at)
        return self.record_results([update]) == 1

    def record_results(self, updates: Sequence[ResultUpdate]) -> int:
        with self._write() as conn:
            return outbox_sql.record_results(conn, updates)

    def requeue_failed(self, *, now: datetime, message_ids: Sequence[str] | None = None) -> int:
        if message_ids is not None and not message_ids:
            return 0
        with self._write() as conn:
            return outbox_sql.requeue_failed(conn, now=now, message_ids=message_ids)

    def release(self, row_ids: Sequence[int], *, owner: str) -> int:
        if not row_ids:
            return 0
        with self._write() as conn:
            return outbox_sql.release(conn, row_ids, owner=owner)

    def waiting(self) -> tuple[int, datetime | None]:
        """How many messages are queued, and when the earliest is next due."""
        with self._read() as conn:
            count, due = conn.execute(
                "SELECT COUNT(*), MIN(next_attempt_at) FROM outbox WHERE state = 'queued'"
            ).fetchone()
        return int(count), None if due is None else datetime.fromisoformat(due)

    def outbox(self, *, invitation_id: str | None = None, state: DeliveryState | None = None
               ) -> list[OutboxRow]:
        with self._read() as conn:
            return outbox_sql.select(conn, invitation_id=invitation_id, state=state)
