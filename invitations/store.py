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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from .errors import ConfigurationError
from .models import (
    Company,
    DeliveryState,
    Invitation,
    InvitationStatus,
    Inviter,
    MessageKind,
    OutboxRow,
    Role,
)
from .transports.base import OutgoingMessage


@dataclass(frozen=True)
class StoredInvitation:
    """An invitation plus the hashes the service checks tokens against."""

    invitation: Invitation
    nonce_hash: str
    confirm_nonce_hash: str | None


@dataclass(frozen=True)
class SubmittedDetails:
    """The registration form's values that are kept (never the password)."""

    first_name: str
    last_name: str
    email: str
    username: str


class InvitationStore(Protocol):
    """What the service needs from storage. Times passed in come from the service clock."""

    def add(self, invitation: Invitation, *, nonce_hash: str, message: OutgoingMessage,
            now: datetime) -> None:
        """Insert the invitation and its queued mail in one transaction."""

    def get(self, invitation_id: str, *, now: datetime) -> StoredInvitation | None: ...

    def find_open(self, company_id: str, email: str, *, now: datetime
                  ) -> StoredInvitation | None:
        """The pending (possibly time-expired) invitation for this address, if any."""

    def list_invitations(self, *, company_id: str | None = None, status: InvitationStatus | None = None,
             now: datetime) -> list[Invitation]: ...

    def reissue(self, invitation_id: str, *, nonce_hash: str, issued_at: datetime,
                expires_at: datetime, message: OutgoingMessage) -> bool:
        """New nonce and window, resend count + 1, new queued mail; unsent old mail dropped."""

    def redeem(self, invitation_id: str, *, nonce_hash: str, now: datetime,
               details: SubmittedDetails, confirm_nonce_hash: str | None = None,
               message: OutgoingMessage | None = None) -> bool:
        """Pending -> accepted (or awaiting_confirmation with ``confirm_nonce_hash``)."""

    def confirm(self, invitation_id: str, *, confirm_nonce_hash: str, now: datetime) -> bool:
        ...

    def revoke(self, invitation_id: str, *, by: str, now: datetime) -> bool: ...

    def claim_due(self, *, owner: str, now: datetime, lease: timedelta, limit: int = 100,
                  message_ids: Sequence[str] | None = None) -> list[OutboxRow]:
        """Lease queued rows that are due (and not leased by a live worker)."""

    def record_result(self, row_id: int, *, owner: str | None, now: datetime,
                      state: DeliveryState, error: str | None = None,
                      next_attempt_at: datetime | None = None) -> bool:
        """Count an attempt, set the state, release the lease (only if ``owner`` holds it)."""

    def outbox(self, *, invitation_id: str | None = None, state: DeliveryState | None = None
               ) -> list[OutboxRow]: ...

    def close(self) -> None: ...


# -- SQLite -----------------------------------------------------------------

SCHEMA_VERSION = 1

#: Forward migrations; entry ``n`` takes the schema from version ``n`` to ``n + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE invitations (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            email_key TEXT NOT NULL,
            first_name TEXT,
            last_name TEXT,
            company_id TEXT NOT NULL,
            company_name TEXT NOT NULL,
            contract_number TEXT,
            inviter_id TEXT NOT NULL,
            inviter_name TEXT,
            inviter_role TEXT NOT NULL,
            inviter_company_id TEXT,
            role TEXT NOT NULL,
            services TEXT NOT NULL,
            languages TEXT NOT NULL,
            nonce_hash TEXT NOT NULL,
            confirm_nonce_hash TEXT,
            created_at TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            status TEXT NOT NULL,
            resend_count INTEGER NOT NULL DEFAULT 0,
            accepted_at TEXT,
            revoked_at TEXT,
            revoked_by TEXT,
            registered_first_name TEXT,
            registered_last_name TEXT,
            registered_email TEXT,
            registered_username TEXT,
            email_confirmed_at TEXT,
            message_id TEXT
        )""",
        "CREATE INDEX invitations_open ON invitations (company_id, email_key, status)",
        "CREATE INDEX invitations_status ON invitations (status, expires_at)",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            invitation_id TEXT NOT NULL REFERENCES invitations (id),
            kind TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            sender TEXT NOT NULL,
            recipients TEXT NOT NULL,
            data BLOB NOT NULL,
            smtputf8 INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'queued',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at TEXT NOT NULL,
            lease_owner TEXT,
            lease_until TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        )""",
        "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
        "CREATE INDEX outbox_invitation ON outbox (invitation_id)",
    ),
)


def _ts(value: datetime) -> str:
    # One fixed-width UTC format, so that text comparison in SQL is time order.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _req_dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


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
        if not self._memory:
            parent = Path(self.path).expanduser().resolve().parent
            if not parent.is_dir():
                raise ConfigurationError(
                    f"the database directory {parent} does not exist; create it or set "
                    "INVITATIONS_DB to a path in an existing directory"
                )
        self._migrate()

    # -- connections and transactions --

    def _connection(self) -> sqlite3.Connection:
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

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: takes the write lock up front (no upgrade deadlock)."""
        with self._guard():
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

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
        inv = invitation
        values = {
            "id": inv.id, "email": inv.email, "email_key": inv.email.casefold(),
            "first_name": inv.first_name, "last_name": inv.last_name,
            "company_id": inv.company.business_id, "company_name": inv.company.name,
            "contract_number": inv.company.contract_number,
            "inviter_id": inv.inviter.id, "inviter_name": inv.inviter.name,
            "inviter_role": str(inv.inviter.role), "inviter_company_id": inv.inviter.company_id,
            "role": str(inv.role), "services": json.dumps(list(inv.services)),
            "languages": json.dumps(list(inv.languages)), "nonce_hash": nonce_hash,
            "created_at": _ts(inv.created_at), "issued_at": _ts(inv.issued_at),
            "expires_at": _ts(inv.expires_at), "status": str(InvitationStatus.PENDING),
            "resend_count": 0, "message_id": message.message_id,
        }
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        with self._write() as conn:
            conn.execute(f"INSERT INTO invitations ({columns}) VALUES ({marks})", values)
            self._queue(conn, inv.id, MessageKind.INVITATION, message, now)

    def get(self, invitation_id: str, *, now: datetime) -> StoredInvitation | None:
        with self._read() as conn:
            row = conn.execute(f"{_SELECT} WHERE i.id = :id",
                               {"id": invitation_id, "now": _ts(now)}).fetchone()
        return None if row is None else _stored(row)

    def find_open(self, company_id: str, email: str, *, now: datetime
                  ) -> StoredInvitation | None:
        with self._read() as conn:
            row = conn.execute(
                f"{_SELECT} WHERE i.company_id = :company AND i.email_key = :key "
                "AND i.status = 'pending' ORDER BY i.created_at DESC LIMIT 1",
                {"company": company_id, "key": email.casefold(), "now": _ts(now)},
            ).fetchone()
        return None if row is None else _stored(row)

    def list_invitations(self, *, company_id: str | None = None, status: InvitationStatus | None = None,
             now: datetime) -> list[Invitation]:
        where, params = [], {"now": _ts(now)}
        if company_id is not None:
            where.append("i.company_id = :company")
            params["company"] = company_id
        if status is not None:
            where.append(f"({_EFFECTIVE_STATUS}) = :status")
            params["status"] = str(status)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._read() as conn:
            rows = conn.execute(f"{_SELECT} {clause} ORDER BY i.created_at, i.id",
                                params).fetchall()
        return [_stored(row).invitation for row in rows]

    def reissue(self, invitation_id: str, *, nonce_hash: str, issued_at: datetime,
                expires_at: datetime, message: OutgoingMessage) -> bool:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE invitations SET nonce_hash = ?, issued_at = ?, expires_at = ?, "
                "resend_count = resend_count + 1, message_id = ? "
                "WHERE id = ? AND status = 'pending'",
                (nonce_hash, _ts(issued_at), _ts(expires_at), message.message_id,
                 invitation_id),
            )
            if cur.rowcount != 1:
                return False
            self._drop_unsent(conn, invitation_id)
            self._queue(conn, invitation_id, MessageKind.INVITATION, message, issued_at)
        return True

    def redeem(self, invitation_id: str, *, nonce_hash: str, now: datetime,
               details: SubmittedDetails, confirm_nonce_hash: str | None = None,
               message: OutgoingMessage | None = None) -> bool:
        awaiting = confirm_nonce_hash is not None
        status = InvitationStatus.AWAITING_CONFIRMATION if awaiting else InvitationStatus.ACCEPTED
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE invitations SET status = ?, accepted_at = ?, confirm_nonce_hash = ?, "
                "registered_first_name = ?, registered_last_name = ?, registered_email = ?, "
                "registered_username = ?, email_confirmed_at = ? "
                "WHERE id = ? AND status = 'pending' AND nonce_hash = ? AND expires_at >= ?",
                (str(status), None if awaiting else _ts(now), confirm_nonce_hash,
                 details.first_name, details.last_name, details.email, details.username,
                 None if awaiting else _ts(now), invitation_id, nonce_hash, _ts(now)),
            )
            if cur.rowcount != 1:
                return False
            if message is not None:
                self._queue(conn, invitation_id, MessageKind.CONFIRMATION, message, now)
        return True

    def confirm(self, invitation_id: str, *, confirm_nonce_hash: str, now: datetime) -> bool:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE invitations SET status = 'accepted', accepted_at = ?, "
                "email_confirmed_at = ? WHERE id = ? AND status = 'awaiting_confirmation' "
                "AND confirm_nonce_hash = ?",
                (_ts(now), _ts(now), invitation_id, confirm_nonce_hash),
            )
            return cur.rowcount == 1

    def revoke(self, invitation_id: str, *, by: str, now: datetime) -> bool:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE invitations SET status = 'revoked', revoked_at = ?, revoked_by = ? "
                "WHERE id = ? AND status IN ('pending', 'awaiting_confirmation')",
                (_ts(now), by, invitation_id),
            )
            if cur.rowcount != 1:
                return False
            self._drop_unsent(conn, invitation_id)
        return True

    # -- outbox --

    @staticmethod
    def _queue(conn: sqlite3.Connection, invitation_id: str, kind: MessageKind,
               message: OutgoingMessage, now: datetime) -> None:
        conn.execute(
            "INSERT INTO outbox (invitation_id, kind, message_id, sender, recipients, data, "
            "smtputf8, state, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
            (invitation_id, str(kind), message.message_id, message.sender,
             json.dumps(list(message.recipients)), message.data, int(message.smtputf8),
             _ts(now), _ts(now)),
        )

    @staticmethod
    def _drop_unsent(conn: sqlite3.Connection, invitation_id: str) -> None:
        # An unsent mail with a dead link has no value; a leased one in flight
        # finishes, but its result then matches no row.
        conn.execute("DELETE FROM outbox WHERE invitation_id = ? AND state = 'queued'",
                     (invitation_id,))

    def claim_due(self, *, owner: str, now: datetime, lease: timedelta, limit: int = 100,
                  message_ids: Sequence[str] | None = None) -> list[OutboxRow]:
        params: list[object] = [_ts(now), _ts(now)]
        only = ""
        if message_ids is not None:
            if not message_ids:
                return []
            only = f" AND message_id IN ({', '.join('?' for _ in message_ids)})"
            params.extend(message_ids)
        params.append(limit)
        with self._write() as conn:
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= ? "
                f"AND (lease_until IS NULL OR lease_until < ?){only} ORDER BY id LIMIT ?",
                params,
            )]
            if not ids:
                return []
            marks = ", ".join("?" for _ in ids)
            conn.execute(
                f"UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN ({marks})",
                [owner, _ts(now + lease), *ids],
            )
            rows = conn.execute(f"SELECT * FROM outbox WHERE id IN ({marks}) ORDER BY id",
                                ids).fetchall()
        return [_outbox_row(r) for r in rows]

    def record_result(self, row_id: int, *, owner: str | None, now: datetime,
                      state: DeliveryState, error: str | None = None,
                      next_attempt_at: datetime | None = None) -> bool:
        sent_at = _ts(now) if state is DeliveryState.SENT else None
        owner_clause = "" if owner is None else " AND lease_owner = :owner"
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE outbox SET state = :state, attempts = attempts + 1, "
                "last_error = :error, next_attempt_at = COALESCE(:next, next_attempt_at), "
                "sent_at = COALESCE(:sent, sent_at), lease_owner = NULL, lease_until = NULL "
                f"WHERE id = :id{owner_clause}",
                {"state": str(state), "error": error,
                 "next": None if next_attempt_at is None else _ts(next_attempt_at),
                 "sent": sent_at, "id": row_id, "owner": owner},
            )
            return cur.rowcount == 1

    def outbox(self, *, invitation_id: str | None = None, state: DeliveryState | None = None
               ) -> list[OutboxRow]:
        where, params = [], []
        if invitation_id is not None:
            where.append("invitation_id = ?")
            params.append(invitation_id)
        if state is not None:
            where.append("state = ?")
            params.append(str(state))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._read() as conn:
            rows = conn.execute(f"SELECT * FROM outbox {clause} ORDER BY id", params).fetchall()
        return [_outbox_row(r) for r in rows]


def _stored(row: sqlite3.Row) -> StoredInvitation:
    inv = Invitation(
        id=row["id"],
        email=row["email"],
        company=Company(row["company_id"], row["company_name"], row["contract_number"]),
        inviter=Inviter(row["inviter_id"], row["inviter_name"], Role(row["inviter_role"]),
                        row["inviter_company_id"]),
        role=Role(row["role"]),
        services=tuple(json.loads(row["services"])),
        languages=tuple(json.loads(row["languages"])),
        created_at=_req_dt(row["created_at"]),
        issued_at=_req_dt(row["issued_at"]),
        expires_at=_req_dt(row["expires_at"]),
        status=InvitationStatus(row["effective_status"]),
        first_name=row["first_name"],
        last_name=row["last_name"],
        resend_count=row["resend_count"],
        accepted_at=_dt(row["accepted_at"]),
        revoked_at=_dt(row["revoked_at"]),
        revoked_by=row["revoked_by"],
        registered_first_name=row["registered_first_name"],
        registered_last_name=row["registered_last_name"],
        registered_email=row["registered_email"],
        registered_username=row["registered_username"],
        email_confirmed_at=_dt(row["email_confirmed_at"]),
        message_id=row["message_id"],
        delivery_state=None if row["d_state"] is None else DeliveryState(row["d_state"]),
        attempts=row["d_attempts"] or 0,
        last_error=row["d_error"],
    )
    return StoredInvitation(inv, row["nonce_hash"], row["confirm_nonce_hash"])


def _outbox_row(row: sqlite3.Row) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        invitation_id=row["invitation_id"],
        kind=MessageKind(row["kind"]),
        message_id=row["message_id"],
        sender=row["sender"],
        recipients=tuple(json.loads(row["recipients"])),
        data=bytes(row["data"]),
        smtputf8=bool(row["smtputf8"]),
        state=DeliveryState(row["state"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        next_attempt_at=_req_dt(row["next_attempt_at"]),
        lease_owner=row["lease_owner"],
        lease_until=_dt(row["lease_until"]),
        created_at=_req_dt(row["created_at"]),
        sent_at=_dt(row["sent_at"]),
    )
