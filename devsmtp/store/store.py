"""The message store: one SQLite file (WAL) holding the index and the raw bytes.

Writes go through one writer thread that batches whatever sessions have queued
into a single transaction (group commit): with ``fsync`` on, each batch costs
one WAL ``fsync`` however many messages it holds, and every session's future
is resolved on the event loop only after that commit returned, so a message is
on disk before its ``250``. Each message is summarised on arrival: on the
loop when small (cheap, and it overlaps with the writer's fsync), on a parser
thread when large. Reads use per-thread connections (WAL readers never block
the writer). New and deleted messages are pushed to subscribers and waiters on
the event loop; nothing polls.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import fcntl
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..envelope import Envelope
from ..errors import DataDirLocked, MessageNotFound, StoreDamaged, StoreError
from ..mail.summary import Summary, summarize
from .pins import Pins
from .push import Event, Subscription, Waiter, WaitResult
from .records import Query, StoredMessage
from .sql import (
    COLUMNS,
    SCHEMA,
    connect,
    delete_ids,
    insert_message,
    mark_seen,
    prune_ids,
    row_to_message,
    where,
)

__all__ = ["Page", "Store"]

log = logging.getLogger("devsmtp.store")
DB_NAME = "messages.sqlite3"
LOCK_NAME = "devsmtp.lock"
#: SQLite result codes meaning "this file is not (or no longer) a usable database".
_DAMAGED = frozenset(
    {getattr(sqlite3, "SQLITE_NOTADB", 26), getattr(sqlite3, "SQLITE_CORRUPT", 11)}
)
#: Most jobs one transaction takes; bounds the latency a batch adds.
BATCH_LIMIT = 512
#: Messages up to this size are summarised on the event loop, larger ones on a
#: parser thread so that a big message never holds other sessions up.
INLINE_PARSE_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class Page:
    """Newest-first messages and the cursor for the next (older) page, if any."""

    messages: list[StoredMessage]
    next: int | None


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
        self._pins = Pins()
        self._subscribers: set[Subscription] = set()
        self._waiters: set[Waiter] = set()
        #: Notified after every commit and when a waiter comes or goes (see wait_until).
        self._changed = threading.Condition()
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
            conn = connect(self.path, synchronous="FULL" if self.fsync else "NORMAL")
            conn.executescript(SCHEMA)
        except sqlite3.Error as error:
            self._unlock()
            if getattr(error, "sqlite_errorcode", None) in _DAMAGED:
                raise StoreDamaged(self.path, str(error)) from error
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
        job = _Add(raw, envelope, future)
        if len(raw) <= INLINE_PARSE_LIMIT:
            # A small message parses in a fraction of a millisecond: doing it here
            # saves a thread hand-off and overlaps with the writer's fsync.
            job.summary = summarize(raw)
            self._queue.put(job)
        else:
            self._parse_queue.put(job)
        return await future

    async def delete(self, id: int) -> bool:
        """Delete one message; False when it did not exist."""
        ids = await self._op(lambda conn: delete_ids(conn, [id]))
        return bool(ids)

    async def mark_read(self, id: int) -> None:
        """Mark message ``id`` read: only the web inbox calls this, when it is opened."""
        await self._op(lambda conn: mark_seen(conn, id))

    async def delete_matching(self, query: Query) -> int:
        """Delete every message ``query`` matches (``Query()`` deletes all)."""

        def run(conn: sqlite3.Connection) -> tuple[int, ...]:
            clause, params = where(query)
            rows = conn.execute(f"SELECT seq FROM messages{clause}", params).fetchall()
            return delete_ids(conn, [r[0] for r in rows])

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
        # Only messages over INLINE_PARSE_LIMIT come here, off the event loop.
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
                stored.append(insert_message(conn, job.raw, job.envelope, summary))
            pruned = self._prune(conn, len(stored))
            conn.execute("COMMIT")
        except Exception as error:  # the writer must outlive anything one batch does
            if conn.in_transaction:
                conn.rollback()
            if len(adds) > 1:
                # Retry one by one so that only the message at fault is refused.
                for job in adds:
                    self._commit_adds(conn, [job])
                return
            log.exception("could not store a message")
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

    def _commit_op(self, conn: sqlite3.Connection, job: _Op) -> None:
        try:
            conn.execute("BEGIN IMMEDIATE")
            ids = job.fn(conn)
            conn.execute("COMMIT")
        except Exception as error:  # the writer must outlive anything one job does
            if conn.in_transaction:
                conn.rollback()
            self._deliver([(job.future, StoreError(str(error)))], [], ())
            return
        self._count -= len(ids)
        self._deliver([(job.future, ids)], [], ids)

    def _prune(self, conn: sqlite3.Connection, added: int) -> tuple[int, ...]:
        """Drop the oldest messages over the limits, sparing pinned ones."""
        now = time.time()
        pinned = self._pins.live()
        excess = 0 if self.max_messages is None else self._count + added - self.max_messages
        cutoff: float | None = None
        if self.max_age is not None and now - self._last_age_prune >= 1.0:
            self._last_age_prune = now
            cutoff = now - self.max_age
        return delete_ids(conn, prune_ids(conn, excess=excess, pinned=pinned, cutoff=cutoff))

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
        self._notify()

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    @property
    def waiting(self) -> int:
        """How many :meth:`wait` calls are holding right now."""
        return len(self._waiters)

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block this thread (never the loop's) until ``predicate()`` is true.

        ``predicate`` is re-checked after every commit (adds, deletes, pruning)
        and whenever a waiter registers or leaves, so tests and tools can wait
        for "a waiter is registered" or "the old messages are pruned" without
        sleeping. Returns the last result (False on timeout).
        """
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def _publish(self, event: Event) -> None:
        for subscription in list(self._subscribers):
            subscription.push(event)

    # -- pins ----------------------------------------------------------------

    def pin(self, ids: Iterable[int], seconds: float | None = None) -> None:
        """Keep ``ids`` from being pruned for ``seconds`` (default ``pin_seconds``)."""
        self._pins.pin(ids, self.pin_seconds if seconds is None else seconds)

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
        clause, params = where(query or Query())
        rows = self._reader().execute(
            f"SELECT {COLUMNS} FROM messages{clause}"
            " ORDER BY seq DESC LIMIT ?",
            [*params, limit + 1],
        ).fetchall()
        messages = [row_to_message(row) for row in rows[:limit]]
        return Page(messages, messages[-1].id if len(rows) > limit else None)

    def count(self, query: Query | None = None) -> int:
        clause, params = where(query or Query())
        row = self._reader().execute(f"SELECT count(*) FROM messages{clause}", params)
        return int(row.fetchone()[0])

    def get(self, id: int) -> StoredMessage | None:
        row = self._reader().execute(
            f"SELECT {COLUMNS} FROM messages WHERE seq = ?", (id,)
        ).fetchone()
        return row_to_message(row) if row else None

    def load(self, id: int) -> tuple[StoredMessage, bytes]:
        """The record and the exact bytes of message ``id``, or MessageNotFound."""
        message = self.get(id)
        raw = self.raw(id) if message is not None else None
        if message is None or raw is None:
            raise MessageNotFound(id)
        return message, raw

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
        subscription = Subscription(self._subscribers.discard)
        self._subscribers.add(subscription)
        return subscription

    async def wait(self, query: Query, *, count: int = 1, timeout: float = 10.0) -> WaitResult:
        """Hold until ``count`` messages match ``query`` (already stored ones count)."""
        loop = asyncio.get_running_loop()
        waiter = Waiter(query, max(1, count), loop.create_future())
        self._waiters.add(waiter)
        self._notify()
        try:
            # Registered first, so nothing committed during this read is missed.
            page = await loop.run_in_executor(None, self.list, query, max(count, 100))
            for message in page.messages:
                waiter.offer(message, self.pin)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
        finally:
            self._waiters.discard(waiter)
            self._notify()
        found = sorted(waiter.found.values(), key=lambda m: m.id, reverse=True)
        return WaitResult(found, len(found) >= waiter.count)
