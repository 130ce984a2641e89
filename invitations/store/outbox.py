"""The outbox statements of the SQL stores, each run on a connection the caller
holds (inside its transaction), so an invitation change and its mail commit
together. Written once for both backends; the claim is the one statement whose
shape differs (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: the file lock).

No live link stays at rest: once a mail is delivered its bytes are scrubbed to the
headers an operator needs (:func:`scrub`); a mail that failed keeps its bytes only
while its invitation is alive (revoked, reissued or expired: scrubbed too, and a
scrubbed mail is never requeued).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from invitations.models import DeliveryState, MessageKind, OutboxRow, OutgoingMessage
from invitations.store.dialect import Dialect
from invitations.store.protocol import ResultUpdate
from invitations.store.schema import outbox_from_row

log = logging.getLogger("invitations.store")

_QUEUE = (
    "INSERT INTO outbox (invitation_id, order_number, kind, message_id, sender, recipients, "
    "data, smtputf8, state, next_attempt_at, created_at) "
    "VALUES (:invitation_id, :order_number, :kind, :message_id, :sender, :recipients, :data, "
    ":smtputf8, 'queued', :now, :now)"
)
_DUE = ("state = 'queued' AND next_attempt_at <= :now "
        "AND (lease_until IS NULL OR lease_until < :now)")
_RECORD = (
    "UPDATE outbox SET state = :state, attempts = attempts + 1, data = COALESCE(:data, data), "
    "last_error = :error, next_attempt_at = COALESCE(:next, next_attempt_at), "
    "sent_at = COALESCE(:sent, sent_at), lease_owner = NULL, lease_until = NULL "
    "WHERE id = :id"
)


#: The first line of a scrubbed mail: what is left is a record, not a message to send.
SCRUBBED = b"X-Invitations-Scrubbed: body and link removed at rest\r\n"
#: The headers a scrubbed mail keeps (what operators look for; no link in any of them).
KEPT_HEADERS = (b"message-id", b"to", b"subject", b"date")
_FIELD = re.compile(rb"^([!-9;-~]+):", re.MULTILINE)
_NOT_SCRUBBED = "substr(data, 1, :mark_len) <> :mark"


def scrub(data: bytes) -> bytes:
    """The record of a mail without its body: :data:`SCRUBBED`, then the kept headers."""
    if data.startswith(SCRUBBED):
        return data
    head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0]
    kept = [SCRUBBED]
    for field in re.split(rb"\r?\n(?![ \t])", head):
        match = _FIELD.match(field)
        if match and match.group(1).lower() in KEPT_HEADERS:
            kept.append(field.rstrip(b"\r\n") + b"\r\n")
    return b"".join(kept)


def _mark(params: dict[str, object]) -> dict[str, object]:
    params.update(mark=SCRUBBED, mark_len=len(SCRUBBED))
    return params


def scrub_dead(conn: Any, dialect: Dialect, *, now: datetime,
               invitation_id: str | None = None) -> int:
    """Scrub unsent (failed) mail whose link is dead: the invitation revoked, used or
    expired (or, given ``invitation_id``, that invitation's: reissued or revoked)."""
    params = _mark({"now": dialect.encode_time(now)})
    if invitation_id is None:
        dead = ("invitation_id IN (SELECT i.id FROM invitations AS i WHERE "
                "(outbox.kind = 'invitation' AND (i.status <> 'pending' OR i.expires_at < :now)) "
                "OR (outbox.kind = 'confirmation' AND i.status <> 'awaiting_confirmation'))")
    else:
        dead = "invitation_id = :id"
        params["id"] = invitation_id
    rows = conn.execute(dialect.sql(
        f"SELECT id, data FROM outbox WHERE state = 'failed' AND {dead} AND {_NOT_SCRUBBED}"),
        params).fetchall()
    for row in rows:
        conn.execute(dialect.sql("UPDATE outbox SET data = :data WHERE id = :id"),
                     {"data": scrub(bytes(row["data"])), "id": row["id"]})
    return len(rows)


def _queued(dialect: Dialect, invitation_id: str | None, kind: MessageKind,
            message: OutgoingMessage, now: datetime, order_number: int | None = None
            ) -> dict[str, object]:
    """The parameters of :data:`_QUEUE` (the owner: an invitation, or an order)."""
    return {
        "invitation_id": invitation_id, "order_number": order_number, "kind": str(kind),
        "message_id": message.message_id,
        "sender": message.sender, "recipients": json.dumps(list(message.recipients)),
        "data": message.data, "smtputf8": int(message.smtputf8),
        "now": dialect.encode_time(now),
    }


def queue(conn: Any, dialect: Dialect, invitation_id: str | None, kind: MessageKind,
          message: OutgoingMessage, now: datetime, *, order_number: int | None = None) -> None:
    """Add one queued mail, due ``now``, owned by an invitation or (order mail) an order."""
    conn.execute(dialect.sql(_QUEUE),
                 _queued(dialect, invitation_id, kind, message, now, order_number))


def queue_once(conn: Any, dialect: Dialect, invitation_id: str, kind: MessageKind,
               message: OutgoingMessage, now: datetime) -> bool:
    """Add one queued mail unless a row with its Message-ID exists (queued, sent or
    failed); ``True`` if it was added. The Message-ID is the idempotency key."""
    cur = conn.execute(dialect.sql(_QUEUE + " ON CONFLICT (message_id) DO NOTHING"),
                       _queued(dialect, invitation_id, kind, message, now))
    return bool(cur.rowcount == 1)


def drop_unsent(conn: Any, dialect: Dialect, invitation_id: str) -> None:
    """Delete the invitation's queued mail."""
    # An unsent mail with a dead link has no value; a leased one in flight
    # finishes, but its result then matches no row.
    conn.execute(dialect.sql("DELETE FROM outbox WHERE invitation_id = :id AND state = 'queued'"),
                 {"id": invitation_id})


def _only(dialect: Dialect, message_ids: Sequence[str] | None, params: dict[str, object]) -> str:
    """The ``AND message_id IN (...)`` clause (its values added to ``params``)."""
    if message_ids is None:
        return ""
    return " AND " + dialect.one_of("message_id", "mid", message_ids, params)


def claim_due(conn: Any, dialect: Dialect, *, owner: str, now: datetime, lease: timedelta,
              limit: int, message_ids: Sequence[str] | None) -> list[OutboxRow]:
    """Lease queued rows that are due and not leased by a live worker."""
    params: dict[str, object] = {"now": dialect.encode_time(now), "limit": limit,
                                 "owner": owner, "until": dialect.encode_time(now + lease)}
    only = _only(dialect, message_ids, params)
    pick = (f"SELECT id, lease_owner AS previous_owner FROM outbox WHERE {_DUE}{only} "
            "ORDER BY id LIMIT :limit")
    lease_rows = "UPDATE outbox SET lease_owner = :owner, lease_until = :until WHERE "
    if dialect.pyformat:
        # Concurrent claimers skip each other's locked rows instead of waiting:
        # one statement picks, leases and returns the rows (and whose lease lapsed).
        rows = conn.execute(dialect.sql(
            f"WITH picked AS ({pick} FOR UPDATE SKIP LOCKED) "
            "UPDATE outbox SET lease_owner = :owner, lease_until = :until FROM picked "
            "WHERE outbox.id = picked.id RETURNING outbox.*, picked.previous_owner"),
            params).fetchall()
        _log_takeovers(rows, owner)
        return sorted((outbox_from_row(r, dialect) for r in rows), key=lambda r: r.id)
    # SQLite: the caller's IMMEDIATE transaction already excludes other writers.
    picked = conn.execute(pick, params).fetchall()
    if not picked:
        return []
    _log_takeovers(picked, owner)
    chosen: dict[str, object] = {"owner": owner, "until": params["until"]}
    which = dialect.one_of("id", "id", [r["id"] for r in picked], chosen)
    conn.execute(f"{lease_rows}{which}", chosen)
    rows = conn.execute(f"SELECT * FROM outbox WHERE {which} ORDER BY id", chosen).fetchall()
    return [outbox_from_row(r, dialect) for r in rows]


def _log_takeovers(rows: Sequence[Any], owner: str) -> None:
    """A claimed row whose lease another worker held (and let lapse: it died or
    hung) is a takeover; the message may have gone out once already."""
    for row in rows:
        if row["previous_owner"] is not None and row["previous_owner"] != owner:
            log.warning("outbox row %s: lease of %s expired; taken over by %s (the message "
                        "may have been sent once already)", row["id"], row["previous_owner"],
                        owner, extra={"outbox_id": row["id"], "lease_owner": owner,
                                      "previous_owner": row["previous_owner"]})


def record_results(conn: Any, dialect: Dialect, updates: Sequence[ResultUpdate]) -> int:
    """Count an attempt and set the state of each row; how many rows took effect.

    A delivered mail's bytes are scrubbed in the same statement (:func:`scrub`).
    """
    done = 0
    sent_ids = [u.row_id for u in updates if u.state is DeliveryState.SENT]
    scrubbed: dict[int, bytes] = {}
    if sent_ids:
        params: dict[str, object] = {}
        which = dialect.one_of("id", "id", sent_ids, params)
        for row in conn.execute(dialect.sql(f"SELECT id, data FROM outbox WHERE {which}"),
                                params):
            scrubbed[row["id"]] = scrub(bytes(row["data"]))
    for u in updates:
        sent_at = dialect.encode_time(u.now) if u.state is DeliveryState.SENT else None
        owner_clause = "" if u.owner is None else " AND lease_owner = :owner"
        cur = conn.execute(
            dialect.sql(_RECORD + owner_clause),
            {"state": str(u.state), "error": u.error,
             "next": None if u.next_attempt_at is None else dialect.encode_time(
                 u.next_attempt_at),
             "sent": sent_at, "id": u.row_id, "owner": u.owner,
             "data": scrubbed.get(u.row_id) if sent_at is not None else None},
        )
        done += cur.rowcount
    if updates:
        scrub_dead(conn, dialect, now=max(u.now for u in updates))
    return done


def requeue_failed(conn: Any, dialect: Dialect, *, now: datetime,
                   message_ids: Sequence[str] | None) -> int:
    """Failed rows back to queued, due ``now``, attempts reset."""
    scrub_dead(conn, dialect, now=now)
    params: dict[str, object] = _mark({"now": dialect.encode_time(now)})
    only = _only(dialect, message_ids, params)
    cur = conn.execute(dialect.sql(
        "UPDATE outbox SET state = 'queued', next_attempt_at = :now, attempts = 0, "
        "lease_owner = NULL, lease_until = NULL "
        f"WHERE state = 'failed' AND {_NOT_SCRUBBED}{only}"), params)
    return int(cur.rowcount)


def release(conn: Any, dialect: Dialect, row_ids: Sequence[int], *, owner: str) -> int:
    """Drop ``owner``'s lease on queued rows; attempts unchanged."""
    params: dict[str, object] = {"owner": owner}
    which = dialect.one_of("id", "id", row_ids, params)
    cur = conn.execute(dialect.sql(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL "
        f"WHERE lease_owner = :owner AND state = 'queued' AND {which}"), params)
    return int(cur.rowcount)


def waiting(conn: Any, dialect: Dialect) -> tuple[int, datetime | None]:
    """How many messages are queued, and when the earliest is next due."""
    row = conn.execute(
        "SELECT COUNT(*) AS n, MIN(next_attempt_at) AS due FROM outbox WHERE state = 'queued'"
    ).fetchone()
    return int(row["n"]), dialect.decode_optional_time(row["due"])


def depth(conn: Any, dialect: Dialect, now: datetime) -> dict[str, int]:
    """Rows per delivery state, and ``lease_expired``: queued rows whose lease ran out."""
    rows = conn.execute("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state").fetchall()
    counts = {str(r["state"]): int(r["n"]) for r in rows}
    expired = conn.execute(dialect.sql(
        "SELECT COUNT(*) AS n FROM outbox WHERE state = 'queued' AND lease_until < :now"),
        {"now": dialect.encode_time(now)}).fetchone()
    counts["lease_expired"] = int(expired["n"])
    return counts


def select(conn: Any, dialect: Dialect, *, invitation_id: str | None,
           state: DeliveryState | None) -> list[OutboxRow]:
    """Outbox rows, optionally of one invitation and/or in one state, oldest first."""
    where, params = [], {}
    if invitation_id is not None:
        where.append("invitation_id = :invitation_id")
        params["invitation_id"] = invitation_id
    if state is not None:
        where.append("state = :state")
        params["state"] = str(state)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(dialect.sql(f"SELECT * FROM outbox {clause} ORDER BY id"),
                        params).fetchall()
    return [outbox_from_row(r, dialect) for r in rows]
