"""The outbox statements of the SQLite store, each run on a connection the caller
holds (inside its transaction), so an invitation change and its mail commit together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from invitations.models import DeliveryState, MessageKind, OutboxRow, OutgoingMessage
from invitations.store.protocol import ResultUpdate
from invitations.store.schema import encode_time, outbox_from_row


def queue(conn: sqlite3.Connection, invitation_id: str, kind: MessageKind,
          message: OutgoingMessage, now: datetime) -> None:
    """Add one queued mail, due ``now``."""
    conn.execute(
        "INSERT INTO outbox (invitation_id, kind, message_id, sender, recipients, data, "
        "smtputf8, state, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
        (invitation_id, str(kind), message.message_id, message.sender,
         json.dumps(list(message.recipients)), message.data, int(message.smtputf8),
         encode_time(now), encode_time(now)),
    )


def drop_unsent(conn: sqlite3.Connection, invitation_id: str) -> None:
    """Delete the invitation's queued mail."""
    # An unsent mail with a dead link has no value; a leased one in flight
    # finishes, but its result then matches no row.
    conn.execute("DELETE FROM outbox WHERE invitation_id = ? AND state = 'queued'",
                 (invitation_id,))


def _only(message_ids: Sequence[str] | None, params: list[object]) -> str:
    """The ``AND message_id IN (...)`` clause (its values appended to ``params``)."""
    if message_ids is None:
        return ""
    params.extend(message_ids)
    return f" AND message_id IN ({', '.join('?' for _ in message_ids)})"


def claim_due(conn: sqlite3.Connection, *, owner: str, now: datetime, lease: timedelta,
              limit: int, message_ids: Sequence[str] | None) -> list[OutboxRow]:
    """Lease queued rows that are due and not leased by a live worker."""
    params: list[object] = [encode_time(now), encode_time(now)]
    only = _only(message_ids, params)
    params.append(limit)
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
        [owner, encode_time(now + lease), *ids],
    )
    rows = conn.execute(f"SELECT * FROM outbox WHERE id IN ({marks}) ORDER BY id",
                        ids).fetchall()
    return [outbox_from_row(r) for r in rows]


def record_results(conn: sqlite3.Connection, updates: Sequence[ResultUpdate]) -> int:
    """Count an attempt and set the state of each row; how many rows took effect."""
    done = 0
    for u in updates:
        sent_at = encode_time(u.now) if u.state is DeliveryState.SENT else None
        owner_clause = "" if u.owner is None else " AND lease_owner = :owner"
        cur = conn.execute(
            "UPDATE outbox SET state = :state, attempts = attempts + 1, "
            "last_error = :error, next_attempt_at = COALESCE(:next, next_attempt_at), "
            "sent_at = COALESCE(:sent, sent_at), lease_owner = NULL, lease_until = NULL "
            f"WHERE id = :id{owner_clause}",
            {"state": str(u.state), "error": u.error,
             "next": None if u.next_attempt_at is None else encode_time(u.next_attempt_at),
             "sent": sent_at, "id": u.row_id, "owner": u.owner},
        )
        done += cur.rowcount
    return done


def requeue_failed(conn: sqlite3.Connection, *, now: datetime,
                   message_ids: Sequence[str] | None) -> int:
    """Failed rows back to queued, due ``now``, attempts reset."""
    params: list[object] = [encode_time(now)]
    only = _only(message_ids, params)
    cur = conn.execute(
        "UPDATE outbox SET state = 'queued', next_attempt_at = ?, attempts = 0, "
        f"lease_owner = NULL, lease_until = NULL WHERE state = 'failed'{only}",
        params,
    )
    return cur.rowcount


def release(conn: sqlite3.Connection, row_ids: Sequence[int], *, owner: str) -> int:
    """Drop ``owner``'s lease on queued rows; attempts unchanged."""
    marks = ", ".join("?" for _ in row_ids)
    cur = conn.execute(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL "
        f"WHERE lease_owner = ? AND state = 'queued' AND id IN ({marks})",
        [owner, *row_ids],
    )
    return cur.rowcount


def select(conn: sqlite3.Connection, *, invitation_id: str | None,
           state: DeliveryState | None) -> list[OutboxRow]:
    """Outbox rows, optionally of one invitation and/or in one state, oldest first."""
    where, params = [], []
    if invitation_id is not None:
        where.append("invitation_id = ?")
        params.append(invitation_id)
    if state is not None:
        where.append("state = ?")
        params.append(str(state))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(f"SELECT * FROM outbox {clause} ORDER BY id", params).fetchall()
    return [outbox_from_row(r) for r in rows]
