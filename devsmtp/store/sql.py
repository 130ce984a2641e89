"""The SQLite side of the store: schema, connections, filters, rows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..envelope import Envelope, domain_of, fold
from ..mail.summary import Summary
from .records import Query, StoredMessage, search_text, sender_text

__all__ = [
    "COLUMNS",
    "SCHEMA",
    "connect",
    "delete_ids",
    "insert_message",
    "mark_seen",
    "prune_ids",
    "row_to_message",
    "where",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    size INTEGER NOT NULL,
    envelope TEXT NOT NULL,
    summary TEXT NOT NULL,
    sender_fold TEXT NOT NULL,
    subject_fold TEXT NOT NULL,
    search_fold TEXT NOT NULL,
    malformed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS raw (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS recipients (
    seq INTEGER NOT NULL,
    addr TEXT NOT NULL,
    domain TEXT NOT NULL,
    PRIMARY KEY (seq, addr)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS recipients_addr ON recipients (addr, seq);
CREATE INDEX IF NOT EXISTS recipients_domain ON recipients (domain, seq);
CREATE TABLE IF NOT EXISTS seen (seq INTEGER PRIMARY KEY);
"""

#: The columns :func:`row_to_message` reads, ``seen`` last (opened in the web inbox).
COLUMNS = ("seq, size, envelope, summary,"
           " EXISTS (SELECT 1 FROM seen WHERE seen.seq = messages.seq)")


def connect(path: Path, *, synchronous: str) -> sqlite3.Connection:
    """A write connection: WAL, ``synchronous`` as the fsync policy asks, autocommit."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA journal_size_limit=67108864")
    return conn


_TEXT_FILTERS = (("sender", "sender_fold"), ("subject", "subject_fold"), ("q", "search_fold"))


def where(query: Query, *, upto: int | None = None) -> tuple[str, list[object]]:
    """``query`` as a ``WHERE`` clause (or ``""``) and its parameters.

    ``upto``: only messages with ids up to this one (the durable ones).
    """
    clauses: list[str] = []
    params: list[object] = []
    if upto is not None:
        clauses.append("seq <= ?")
        params.append(upto)
    to = query.folded("to")
    if to is not None:
        column, value = ("domain", to[1:]) if to.startswith("@") else ("addr", to)
        clauses.append(f"seq IN (SELECT seq FROM recipients WHERE {column} = ?)")
        params.append(value)
    for name, column in _TEXT_FILTERS:
        text = query.folded(name)
        if text is not None:
            clauses.append(f"instr({column}, ?) > 0")
            params.append(text)
    if query.after is not None:
        clauses.append("seq > ?")
        params.append(query.after)
    if query.before is not None:
        clauses.append("seq < ?")
        params.append(query.before)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def row_to_message(row: Sequence[Any]) -> StoredMessage:
    """A :data:`COLUMNS` row as a :class:`StoredMessage`."""
    seq, size, envelope, summary, seen = row
    return StoredMessage(
        id=seq,
        envelope=Envelope.from_json(envelope),
        summary=Summary.from_dict(json.loads(summary)),
        size=size,
        read=bool(seen),
    )


def mark_seen(conn: sqlite3.Connection, id: int) -> tuple[int, ...]:
    """Mark message ``id`` read (opened in the web inbox); deletes nothing."""
    conn.execute("INSERT OR IGNORE INTO seen (seq) SELECT seq FROM messages WHERE seq = ?", (id,))
    return ()


def delete_ids(conn: sqlite3.Connection, ids: list[int]) -> tuple[int, ...]:
    """Delete messages ``ids`` in the open transaction; the ids that existed."""
    deleted: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(f"SELECT seq FROM messages WHERE seq IN ({marks})", chunk)
        deleted.extend(r[0] for r in rows.fetchall())
        for table in ("messages", "raw", "recipients", "seen"):
            conn.execute(f"DELETE FROM {table} WHERE seq IN ({marks})", chunk)
    return tuple(deleted)


def insert_message(
    conn: sqlite3.Connection, raw: bytes, envelope: Envelope, summary: Summary
) -> StoredMessage:
    """Insert one message (index, raw bytes, recipients) in the open transaction."""
    message = StoredMessage(id=0, envelope=envelope, summary=summary, size=len(raw))
    cursor = conn.execute(
        "INSERT INTO messages (received_at, size, envelope, summary, sender_fold,"
        " subject_fold, search_fold, malformed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            envelope.received_at,
            message.size,
            envelope.to_json(),
            json.dumps(summary.to_dict(), ensure_ascii=False),
            sender_text(message),
            fold(summary.subject),
            search_text(message),
            int(summary.malformed),
        ),
    )
    seq = cursor.lastrowid
    assert seq is not None
    message.id = seq
    conn.execute("INSERT INTO raw (seq, data) VALUES (?, ?)", (seq, raw))
    conn.executemany(
        "INSERT OR IGNORE INTO recipients (seq, addr, domain) VALUES (?, ?, ?)",
        [(seq, fold(r), domain_of(r)) for r in envelope.rcpt_to],
    )
    return message


def prune_ids(
    conn: sqlite3.Connection, *, excess: int, pinned: set[int], cutoff: float | None
) -> list[int]:
    """The ``excess`` oldest unpinned messages, plus unpinned ones received before
    ``cutoff`` (if given), in id order."""
    victims: list[int] = []
    if excess > 0:
        rows = conn.execute(
            "SELECT seq FROM messages ORDER BY seq LIMIT ?", (excess + len(pinned),)
        ).fetchall()
        victims = [r[0] for r in rows if r[0] not in pinned][:excess]
    if cutoff is not None:
        # Ids grow with arrival time, so the expired ones are a prefix in id order
        # (no index on received_at to maintain on every insert).
        for seq, received_at in conn.execute("SELECT seq, received_at FROM messages ORDER BY seq"):
            if received_at >= cutoff:
                break
            if seq not in pinned:
                victims.append(seq)
    return sorted(set(victims))
