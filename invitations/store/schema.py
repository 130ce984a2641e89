"""The schema of both SQL backends: versioned forward migrations and row mappers."""

from __future__ import annotations

import json
import logging
from typing import Any

from invitations.errors import ConfigurationError
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
from invitations.store.dialect import Dialect
from invitations.store.protocol import StoredInvitation

log = logging.getLogger("invitations.store")

SCHEMA_VERSION = 6

#: The outbox columns up to version 4 (copied when version 5 rebuilds the table).
_OUTBOX_V4 = ("id, invitation_id, kind, message_id, sender, recipients, data, smtputf8, state, "
              "attempts, last_error, next_attempt_at, lease_owner, lease_until, created_at, "
              "sent_at")

#: Forward migrations, written once for both backends (column types from the
#: dialect: ``{time}``, ``{blob}``, ``{row_id}``, ``{seq}``); entry ``n`` takes the
#: schema from version ``n`` to ``n + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE invitations (
            {seq}
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
            created_at {time} NOT NULL,
            issued_at {time} NOT NULL,
            expires_at {time} NOT NULL,
            status TEXT NOT NULL,
            resend_count INTEGER NOT NULL DEFAULT 0,
            accepted_at {time},
            revoked_at {time},
            revoked_by TEXT,
            registered_first_name TEXT,
            registered_last_name TEXT,
            registered_email TEXT,
            registered_username TEXT,
            email_confirmed_at {time},
            message_id TEXT
        )""",
        "CREATE INDEX invitations_open ON invitations (company_id, email_key, status)",
        "CREATE INDEX invitations_status ON invitations (status, expires_at)",
        """CREATE TABLE outbox (
            id {row_id},
            invitation_id TEXT NOT NULL REFERENCES invitations (id),
            kind TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            sender TEXT NOT NULL,
            recipients TEXT NOT NULL,
            data {blob} NOT NULL,
            smtputf8 INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'queued',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at {time} NOT NULL,
            lease_owner TEXT,
            lease_until {time},
            created_at {time} NOT NULL,
            sent_at {time}
        )""",
        "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
        "CREATE INDEX outbox_invitation ON outbox (invitation_id)",
    ),
    (
        # The claim walks queued rows in id order; sent rows (kept for the record,
        # the large majority) are not in this index, so their number costs nothing.
        "CREATE INDEX outbox_queued ON outbox (id) WHERE state = 'queued'",
    ),
    (
        # The account hand-off (invitations.accounts): a short lease while the host
        # creates the account, and the host's account id once accepted.
        "ALTER TABLE invitations ADD COLUMN registering_until {time}",
        "ALTER TABLE invitations ADD COLUMN registering_owner TEXT",
        "ALTER TABLE invitations ADD COLUMN account_id TEXT",
    ),
    (
        # Where the inviter hears that the invitation could not be delivered.
        "ALTER TABLE invitations ADD COLUMN inviter_email TEXT",
    ),
    (
        # Credential orders (the "tunnustilauslomake"): the number gives the reference
        # TT-<year>-<number>; one open (received) order per company.
        """CREATE TABLE credential_orders (
            number {row_id},
            company_id TEXT NOT NULL,
            company_name TEXT NOT NULL,
            contract_number TEXT,
            order_contract INTEGER NOT NULL DEFAULT 0,
            services TEXT NOT NULL,
            reason TEXT NOT NULL,
            orderer_name TEXT NOT NULL,
            orderer_email TEXT NOT NULL,
            orderer_phone TEXT,
            main_user_first_name TEXT NOT NULL,
            main_user_last_name TEXT NOT NULL,
            main_user_email TEXT NOT NULL,
            previous_main_user_name TEXT,
            previous_main_user_email TEXT,
            languages TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at {time} NOT NULL,
            decided_at {time},
            decided_by TEXT,
            rejection_code TEXT,
            rejection_text TEXT,
            invitation_id TEXT REFERENCES invitations (id)
        )""",
        "CREATE UNIQUE INDEX credential_orders_open ON credential_orders (company_id) "
        "WHERE status = 'received'",
        "CREATE INDEX credential_orders_status ON credential_orders (status, number)",
        # Order mail goes through the same outbox, owned by its order: the owner is an
        # invitation or an order, exactly one. SQLite cannot drop NOT NULL in place, so
        # the table is rebuilt (the same text on both backends; ids are kept).
        """CREATE TABLE outbox_v5 (
            id {row_id},
            invitation_id TEXT REFERENCES invitations (id),
            order_number INTEGER REFERENCES credential_orders (number),
            kind TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            sender TEXT NOT NULL,
            recipients TEXT NOT NULL,
            data {blob} NOT NULL,
            smtputf8 INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'queued',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at {time} NOT NULL,
            lease_owner TEXT,
            lease_until {time},
            created_at {time} NOT NULL,
            sent_at {time},
            CHECK ((invitation_id IS NULL) <> (order_number IS NULL))
        )""",
        f"""INSERT INTO outbox_v5 ({_OUTBOX_V4}) {{keep_ids}} SELECT {_OUTBOX_V4} FROM outbox""",
        "DROP TABLE outbox",
        "ALTER TABLE outbox_v5 RENAME TO outbox",
        "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
        "CREATE INDEX outbox_invitation ON outbox (invitation_id)",
        "CREATE INDEX outbox_queued ON outbox (id) WHERE state = 'queued'",
        "CREATE INDEX outbox_order ON outbox (order_number)",
        "{restart_outbox_ids}",
    ),
    (
        # Bounces (invitations.bounces): a sent mail that bounced keeps its status, the
        # reason in plain words and the time; the return path (VERP) finds its row by
        # the envelope sender; every bounce received is logged once (its fingerprint).
        "ALTER TABLE outbox ADD COLUMN bounce_status TEXT",
        "ALTER TABLE outbox ADD COLUMN bounce_reason TEXT",
        "ALTER TABLE outbox ADD COLUMN bounced_at {time}",
        "CREATE INDEX outbox_sender ON outbox (sender)",
        """CREATE TABLE bounces (
            id {row_id},
            fingerprint TEXT NOT NULL UNIQUE,
            received_at {time} NOT NULL,
            outbox_id INTEGER,
            invitation_id TEXT,
            action TEXT NOT NULL,
            status TEXT,
            reason TEXT,
            diagnostic TEXT,
            outcome TEXT NOT NULL
        )""",
    ),
)


class SchemaTooNew(Exception):
    """The database was written by a newer release (``found`` > ``SCHEMA_VERSION``)."""

    def __init__(self, found: int) -> None:
        super().__init__(found)
        self.found = found


class SchemaOutdated(Exception):
    """The database is older than the code and migrations were not allowed here."""

    def __init__(self, found: int) -> None:
        super().__init__(found)
        self.found = found


def refusal(error: SchemaTooNew | SchemaOutdated, where: str) -> ConfigurationError:
    """Why the database at ``where`` is not used as it is, and what to do."""
    if isinstance(error, SchemaTooNew):
        return ConfigurationError(
            f"the database {where} has schema version {error.found}, newer than this "
            f"release understands ({SCHEMA_VERSION}); upgrade the invitations package"
        )
    return ConfigurationError(
        f"the database {where} has schema version {error.found}, older than this "
        f"release needs ({SCHEMA_VERSION}); run `invitations db upgrade`"
    )


def upgrade(conn: Any, dialect: Dialect, *, allowed: bool = True) -> tuple[int, int]:
    """Bring the schema to :data:`SCHEMA_VERSION` inside the caller's transaction;
    returns ``(found, now)``. The caller serializes concurrent upgraders."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    version = 0 if row is None else int(_first(row))
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(version)
    if version == SCHEMA_VERSION:
        return version, version
    if not allowed:
        raise SchemaOutdated(version)
    for number, statements in enumerate(MIGRATIONS[version:], start=version):
        log.info("migrating the schema from version %d to %d", number, number + 1,
                 extra={"schema_version": number + 1})
        for statement in statements:
            conn.execute(dialect.ddl(statement))
    if row is None:
        conn.execute(dialect.sql("INSERT INTO schema_version (version) VALUES (:v)"),
                     {"v": SCHEMA_VERSION})
    else:
        conn.execute(dialect.sql("UPDATE schema_version SET version = :v"),
                     {"v": SCHEMA_VERSION})
    return version, SCHEMA_VERSION


def _first(row: Any) -> Any:
    """The first column of a row (a tuple, a ``sqlite3.Row`` or a dict row)."""
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def invitation_from_row(row: Any, dialect: Dialect) -> StoredInvitation:
    _req_dt, _dt = dialect.decode_time, dialect.decode_optional_time
    inv = Invitation(
        id=row["id"],
        email=row["email"],
        company=Company(row["company_id"], row["company_name"], row["contract_number"]),
        inviter=Inviter(row["inviter_id"], row["inviter_name"], Role(row["inviter_role"]),
                        row["inviter_company_id"], row["inviter_email"]),
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
        account_id=row["account_id"],
        message_id=row["message_id"],
        delivery_state=None if row["d_state"] is None else DeliveryState(row["d_state"]),
        attempts=row["d_attempts"] or 0,
        last_error=row["d_error"],
        bounce_status=row["d_bounce_status"],
        bounce_reason=row["d_bounce_reason"],
        bounced_at=_dt(row["d_bounced_at"]),
    )
    return StoredInvitation(inv, row["nonce_hash"], row["confirm_nonce_hash"])


def outbox_from_row(row: Any, dialect: Dialect) -> OutboxRow:
    _req_dt, _dt = dialect.decode_time, dialect.decode_optional_time
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
        order_number=row["order_number"],
    )
