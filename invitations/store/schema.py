"""The SQLite schema: versioned forward migrations, time encoding, row mappers."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

from invitations.models import (
    Company,
    DeliveryState,
    Invitation,
    InvitationStatus,
    Inviter,
    MessageKind,
    OutboxRow,
    Role,
)
from invitations.store.protocol import StoredInvitation

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


def encode_time(value: datetime) -> str:
    # One fixed-width UTC format, so that text comparison in SQL is time order.
    # (isoformat with fixed microseconds is that format, and faster than strftime.)
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _req_dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def invitation_from_row(row: sqlite3.Row) -> StoredInvitation:
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


def outbox_from_row(row: sqlite3.Row) -> OutboxRow:
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
