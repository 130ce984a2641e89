"""The bounce statements of the SQL stores: find the outbox row a bounce is
about, log each bounce once, and mark a sent invitation mail ``bounced``.

Written once for both backends, run on a connection the caller holds.
"""

from __future__ import annotations

from typing import Any

from invitations.models import OutboxRow
from invitations.store.dialect import Dialect
from invitations.store.protocol import BounceEntry
from invitations.store.schema import outbox_from_row

__all__ = ["BOUNCED", "DUPLICATE", "UNCHANGED", "find_outbox", "record_bounce"]

#: What :func:`record_bounce` did.
BOUNCED = "bounced"
DUPLICATE = "duplicate"
UNCHANGED = "unchanged"

_LOG = (
    "INSERT INTO bounces (fingerprint, received_at, outbox_id, invitation_id, action, status, "
    "reason, diagnostic, outcome) VALUES (:fingerprint, :now, :outbox_id, :invitation_id, "
    ":action, :status, :reason, :diagnostic, :outcome) ON CONFLICT (fingerprint) DO NOTHING"
)
#: Only the invitation's current mail, sent, of a pending invitation: a bounce of
#: replaced mail, of an accepted or revoked invitation, or a second bounce, changes nothing.
_BOUNCE = (
    "UPDATE outbox SET state = 'bounced', bounce_status = :status, bounce_reason = :reason, "
    "bounced_at = :now, last_error = :diagnostic "
    "WHERE id = :id AND state = 'sent' AND kind = 'invitation' AND message_id IN "
    "(SELECT message_id FROM invitations WHERE id = :invitation_id AND status = 'pending')"
)


def find_outbox(conn: Any, dialect: Dialect, *, sender: str | None,
                message_id: str | None) -> OutboxRow | None:
    """The outbox row with this envelope sender (a VERP return path) or Message-ID."""
    if sender is not None:
        where, params = "sender = :value", {"value": sender}
    elif message_id is not None:
        where, params = "message_id = :value", {"value": message_id}
    else:
        return None
    row = conn.execute(dialect.sql(f"SELECT * FROM outbox WHERE {where} ORDER BY id LIMIT 1"),
                       params).fetchone()
    return None if row is None else outbox_from_row(row, dialect)


def record_bounce(conn: Any, dialect: Dialect, entry: BounceEntry) -> str:
    """Log the bounce (once per fingerprint) and, if it is final, mark its mail bounced."""
    stamp = dialect.encode_time(entry.now)
    params: dict[str, object] = {
        "fingerprint": entry.fingerprint, "now": stamp, "outbox_id": entry.outbox_id,
        "invitation_id": entry.invitation_id, "action": entry.action, "status": entry.status,
        "reason": entry.reason, "diagnostic": entry.diagnostic, "outcome": UNCHANGED,
    }
    if conn.execute(dialect.sql(_LOG), params).rowcount != 1:
        return DUPLICATE
    if not entry.final or entry.outbox_id is None:
        return UNCHANGED
    cur = conn.execute(dialect.sql(_BOUNCE), {
        "status": entry.status, "reason": entry.reason, "now": stamp,
        "diagnostic": entry.diagnostic, "id": entry.outbox_id,
        "invitation_id": entry.invitation_id,
    })
    if cur.rowcount != 1:
        return UNCHANGED
    conn.execute(dialect.sql("UPDATE bounces SET outcome = :outcome WHERE fingerprint = :f"),
                 {"outcome": BOUNCED, "f": entry.fingerprint})
    return BOUNCED
