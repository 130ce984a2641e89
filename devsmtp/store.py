"""The message store: one SQLite file (WAL) holding the index and the raw bytes.

Writes go through one writer thread that batches whatever sessions have queued
into a single transaction (group commit): with ``fsync`` on, each batch costs
one WAL ``fsync`` however many messages it holds, and every session's future
is resolved on the event loop only after that commit returned, so a message is
on disk before its ``250``. Reads use per-thread connections (WAL readers never
block the writer). New and deleted messages are pushed to subscribers and
waiters on the event loop; nothing polls.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import fcntl
import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import DataDirLocked, StoreError
from .parse import Summary, summarize
from .records import Envelope, Query, StoredMessage, domain_of, fold, search_text, sender_text

__all__ = ["Event", "Page", "Store", "Subscription", "WaitResult"]

DB_NAME = "messages.sqlite3"
LOCK_NAME = "devsmtp.lock"
#: Most jobs one transaction takes; bounds the latency a batch adds.
BATCH_LIMIT = 512

_SCHEMA = """
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
CREATE INDEX IF NOT EXISTS messages_received ON messages (received_at);
"""


@dataclass(frozen=True, slots=True)
class Event:
    """A change pushed to subscribers: a ``new`` message or ``deleted`` ids."""

    kind: Literal["new", "deleted", "overflow", "closed"]
    message: StoredMessage | None = None
    ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    """Newest-first messages and the cursor for the next (older) page, if any."""

    messages: list[StoredMessage]
    next: int | None


@dataclass(frozen=True, slots=True)
class WaitResult:
    """Matches found by :meth:`Store.wait`; ``complete`` is False on timeout."""

    messages: list[StoredMessage]
    complete: bool


@dataclass(slots=True)
class _Add:
    raw: bytes
    envelope: Envelope
    future: asyncio.Future[StoredMessage]
    summary: Summary | None = None


@dataclass(slots=True)
class _Op:
    fn: Callable[[sqlite3.Connection], tuple[int, ...]]
    future: asyncio.Future[tuple[int, ...]]


@dataclass(slots=True, eq=False)
class _Waiter:
    query: Query
    count: int
    future: asyncio.Future[None]
    found: dict[int, StoredMessage] = field(default_factory=dict)

    def offer(self, message: StoredMessage, pin: Callable[[Iterable[int]], None]) -> None:
        if self.query.matches(message):
            self.found[message.id] = message
            pin([message.id])
            if len(self.found) >= self.count and not self.future.done():
                self.future.set_result(None)


class Subscription:
    """An async iterator of :class:`Event`; ends when the store closes."""

    def __init__(self, store: Store, maxsize: int = 1000) -> None:
        self._store = store
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self._overflowed = False

    def push(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflowed = True

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        if self._overflowed:
            # A slow reader missed events: tell it to reload instead of lying.
            self._overflowed = False
            while not self._queue.empty():
                self._queue.get_nowait()
            return Event("overflow")
        event = await self._queue.get()
        if event.kind == "closed":
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        self._store._subscribers.discard(self)


def _connect(path: Path, *, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA journal_size_limit=67108864")
    return conn


_TEXT_FILTERS = (("sender", "sender_fold"), ("subject", "subject_fold"), ("q", "search_fold"))


def _where(query: Query) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
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


def _message(row: Sequence[Any]) -> StoredMessage:
    seq, size, envelope, summary = row
    return StoredMessage(
        id=seq,
        envelope=Envelope.from_json(envelope),
        summary=Summary.from_dict(json.loads(summary)),
        size=size,
    )


class Store:
    """Captured messages in ``data_dir`` (see the module docstring).

    Reads (:meth:`list`, :meth:`get`, :meth:`raw`, :meth:`count`,
    :meth:`inboxes`) work from any thread. Writes and push (:meth:`add`,
    :meth:`delete`, :meth:`delete_matching`, :meth:`wait`, :meth:`subscribe`)
    are coroutines/calls on the loop given to :meth:`open`.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        max_messages: int | None = 10_000,
        max_age: float | None = None,
        fsync: bool = True,
        pin_seconds: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        self.max_messages = max_messages
        self.max_age = max_age
        self.fsync = fsync
        self.pin_seconds = pin_seconds
        self.latest = 0
        self._count = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: queue.SimpleQueue[_Add | _Op | None] = queue.SimpleQueue()
        self._parse_queue: queue.SimpleQueue[_Add | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._parser: threading.Thread | None = None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pins: dict[int, float] = {}
        self._subscribers: set[Subscription] = set()
        self._waiters: set[_Waiter] = set()
        self._lock_fd: int | None = None
        self._last_age_prune = 0.0

    # -- lifecycle -----------------------------------------------------------

    def open(self, loop: asyncio.AbstractEventLoop) -> None:
        """Lock the directory, create the schema and start the writer thread."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise DataDirLocked(str(self.data_dir)) from None
        self._lock_fd = fd
        try:
            conn = _connect(self.path, synchronous="FULL" if self.fsync else "NORMAL")
            conn.executescript(_SCHEMA)
        except sqlite3.Error as error:
            self._unlock()
            raise StoreError(f"{self.path}: {error}") from error
        self._count = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name='messages'").fetchone()
        self.latest = row[0] if row else 0
        self._loop = loop
        self._writer = threading.Thread(
            target=self._run, args=(conn,), name="devsmtp-writer", daemon=True
        )
        self._writer.start()
        self._parser = threading.Thread(target=self._parse, name="devsmtp-parser", daemon=True)
        self._parser.start()

    def close(self) -> None:
        """Finish queued writes, stop the writer, close connections, unlock."""
        if self._parser is not None:
            self._parse_queue.put(None)
            self._parser.join()
            self._parser = None
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None
        with self._lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        self._unlock()

    def end_streams(self) -> None:
        """End every subscription (on the loop; before shutting the HTTP server)."""
        for subscription in list(self._subscribers):
            subscription.push(Event("closed"))

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- writes (on the loop) ------------------------------------------------

    async def add(self, raw: bytes, envelope: Envelope) -> StoredMessage:
        """Store ``raw`` with its envelope; returns once the batch is committed."""
        future: asyncio.Future[StoredMessage] = self._require_loop().create_future()
        self._parse_queue.put(_Add(raw, envelope, future))
        return await future

    async def delete(self, id: int) -> bool:
        """Delete one message; False when it did not exist."""
        ids = await self._op(lambda conn: self._delete_ids(conn, [id]))
        return bool(ids)

    async def delete_matching(self, query: Query) -> int:
        """Delete every message ``query`` matches (``Query()`` deletes all)."""

        def run(conn: sqlite3.Connection) -> tuple[int, ...]:
            where, params = _where(query)
            rows = conn.execute(f"SELECT seq FROM messages{where}", params).fetchall()
            return self._delete_ids(conn, [r[0] for r in rows])

        return len(await self._op(run))

    async def _op(self, fn: Callable[[sqlite3.Connection], tuple[int, ...]]) -> tuple[int, ...]:
        future: asyncio.Future[tuple[int, ...]] = self._require_loop().create_future()
        self._queue.put(_Op(fn, future))
        return await future

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._writer is None:
            raise StoreError("the store is not open")
        return self._loop

    # -- the parser and writer threads --------------------------------------

    def _parse(self) -> None:
        # Parsing here overlaps with the writer's fsync of the previous batch.
        while (job := self._parse_queue.get()) is not None:
            job.summary = summarize(job.raw)
            self._queue.put(job)

    def _run(self, conn: sqlite3.Connection) -> None:
        timeout = 1.0 if self.max_age else None
        running = True
        while running:
            try:
                first = self._queue.get(timeout=timeout)
            except queue.Empty:
                self._commit_adds(conn, [])
                continue
            jobs = [first]
            while len(jobs) < BATCH_LIMIT:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            adds: list[_Add] = []
            for job in jobs:
                if isinstance(job, _Add):
                    adds.append(job)
                    continue
                # Keep submission order: adds queued before an op commit first.
                self._commit_adds(conn, adds)
                adds = []
                if job is None:
                    running = False
                else:
                    self._commit_op(conn, job)
            self._commit_adds(conn, adds)
        conn.close()

    def _commit_adds(self, conn: sqlite3.Connection, adds: list[_Add]) -> None:
        age_due = self.max_age is not None and time.time() - self._last_age_prune >= 1.0
        if not adds and not age_due:
            return
        prepared = [(job, job.summary or summarize(job.raw)) for job in adds]
        stored: list[StoredMessage] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job, summary in prepared:
                stored.append(self._insert(conn, job, summary))
            pruned = self._prune(conn, len(stored))
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.rollback()
            failure = StoreError(str(error))
            self._deliver([(job.future, failure) for job in adds], [], ())
            return
        self._count += len(stored) - len(pruned)
        if stored:
            self.latest = stored[-1].id
        results: list[tuple[asyncio.Future[Any], object]] = [
            (job.future, message) for job, message in zip(adds, stored, strict=True)
        ]
        if results or pruned:
            self._deliver(results, stored, pruned)

    def _insert(self, conn: sqlite3.Connection, job: _Add, summary: Summary) -> StoredMessage:
        envelope = job.envelope
        message = StoredMessage(id=0, envelope=envelope, summary=summary, size=len(job.raw))
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
        conn.execute("INSERT INTO raw (seq, data) VALUES (?, ?)", (seq, job.raw))
        conn.executemany(
            "INSERT OR IGNORE INTO recipients (seq, addr, domain) VALUES (?, ?, ?)",
            [(seq, fold(r), domain_of(r)) for r in envelope.rcpt_to],
        )
        return message

    def _commit_op(self, conn: sqlite3.Connection, job: _Op) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            ids = job.fn(conn)
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.rollback()
            self._deliver([(job.future, StoreError(str(error)))], [], ())
            return
        self._count -= len(ids)
        self._deliver([(job.future, ids)], [], ids)

    def _prune(self, conn: sqlite3.Connection, added: int) -> tuple[int, ...]:
        """Drop the oldest messages over the limits, sparing pinned ones."""
        now = time.time()
        pinned = self._pinned()
        victims: list[int] = []
        if self.max_messages is not None and self._count + added > self.max_messages:
            excess = self._count + added - self.max_messages
            rows = conn.execute(
                "SELECT seq FROM messages ORDER BY seq LIMIT ?", (excess + len(pinned),)
            ).fetchall()
            victims = [r[0] for r in rows if r[0] not in pinned][:excess]
        if self.max_age is not None and now - self._last_age_prune >= 1.0:
            self._last_age_prune = now
            rows = conn.execute(
                "SELECT seq FROM messages WHERE received_at < ?", (now - self.max_age,)
            ).fetchall()
            victims.extend(r[0] for r in rows if r[0] not in pinned)
        return self._delete_ids(conn, sorted(set(victims)))

    @staticmethod
    def _delete_ids(conn: sqlite3.Connection, ids: list[int]) -> tuple[int, ...]:
        deleted: list[int] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT seq FROM messages WHERE seq IN ({marks})", chunk)
            deleted.extend(r[0] for r in rows.fetchall())
            for table in ("messages", "raw", "recipients"):
                conn.execute(f"DELETE FROM {table} WHERE seq IN ({marks})", chunk)
        return tuple(deleted)

    def _deliver(
        self,
        results: list[tuple[asyncio.Future[Any], object]],
        stored: list[StoredMessage],
        deleted: tuple[int, ...],
    ) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        # The loop may close under us during shutdown; the data is committed anyway.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._on_commit, results, stored, deleted)

    def _on_commit(
        self,
        results: list[tuple[asyncio.Future[Any], object]],
        stored: list[StoredMessage],
        deleted: tuple[int, ...],
    ) -> None:
        for future, outcome in results:
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        for message in stored:
            for waiter in list(self._waiters):
                waiter.offer(message, self.pin)
            self._publish(Event("new", message))
        if deleted:
            self._publish(Event("deleted", ids=deleted))

    def _publish(self, event: Event) -> None:
        for subscription in list(self._subscribers):
            subscription.push(event)

    # -- pins ----------------------------------------------------------------

    def pin(self, ids: Iterable[int], seconds: float | None = None) -> None:
        """Keep ``ids`` from being pruned for ``seconds`` (default ``pin_seconds``)."""
        until = time.monotonic() + (self.pin_seconds if seconds is None else seconds)
        with self._lock:
            for id in ids:
                self._pins[id] = max(until, self._pins.get(id, 0.0))

    def _pinned(self) -> set[int]:
        now = time.monotonic()
        with self._lock:
            for id in [i for i, until in self._pins.items() if until < now]:
                del self._pins[id]
            return set(self._pins)

    # -- reads (any thread) ---------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only=1")
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    def list(self, query: Query | None = None, limit: int = 50) -> Page:
        """Messages matching ``query``, newest first; ``next`` feeds ``before=``."""
        where, params = _where(query or Query())
        rows = self._reader().execute(
            f"SELECT seq, size, envelope, summary FROM messages{where}"
            " ORDER BY seq DESC LIMIT ?",
            [*params, limit + 1],
        ).fetchall()
        messages = [_message(row) for row in rows[:limit]]
        return Page(messages, messages[-1].id if len(rows) > limit else None)

    def count(self, query: Query | None = None) -> int:
        where, params = _where(query or Query())
        row = self._reader().execute(f"SELECT count(*) FROM messages{where}", params)
        return int(row.fetchone()[0])

    def get(self, id: int) -> StoredMessage | None:
        row = self._reader().execute(
            "SELECT seq, size, envelope, summary FROM messages WHERE seq = ?", (id,)
        ).fetchone()
        return _message(row) if row else None

    def raw(self, id: int) -> bytes | None:
        """The exact bytes received in DATA, or None."""
        row = self._reader().execute("SELECT data FROM raw WHERE seq = ?", (id,)).fetchone()
        return bytes(row[0]) if row else None

    def inboxes(self) -> builtins.list[tuple[str, int]]:
        """``(recipient, message count)`` for every envelope recipient, by address."""
        rows = self._reader().execute(
            "SELECT addr, count(*) FROM recipients GROUP BY addr ORDER BY addr"
        )
        return [(r[0], r[1]) for r in rows.fetchall()]

    # -- push (on the loop) ---------------------------------------------------

    def subscribe(self) -> Subscription:
        """Events for every new and deleted message from now on."""
        subscription = Subscription(self)
        self._subscribers.add(subscription)
        return subscription

    async def wait(self, query: Query, *, count: int = 1, timeout: float = 10.0) -> WaitResult:
        """Hold until ``count`` messages match ``query`` (already stored ones count)."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(query, max(1, count), loop.create_future())
        self._waiters.add(waiter)
        try:
            # Registered first, so nothing committed during this read is missed.
            page = await loop.run_in_executor(None, self.list, query, max(count, 100))
            for message in page.messages:
                waiter.offer(message, self.pin)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
        finally:
            self._waiters.discard(waiter)
        found = sorted(waiter.found.values(), key=lambda m: m.id, reverse=True)
        return WaitResult(found, len(found) >= waiter.count)
