"""The message store: one SQLite file (WAL) holding the index and the raw bytes.

Writes run on the event loop, which owns the one write connection: every
message that arrives during one pass of the loop is inserted in one
transaction (group commit) committed with ``synchronous=NORMAL``, which writes
the WAL without waiting for the disk. With ``fsync`` on, the
:class:`~devsmtp.store.durable.WalFlusher` threads then sync the WAL
(``fdatasync``), one sync for every commit made before it began, and only after
that are the sessions' futures resolved, so a message is on disk before its
``250``; the loop keeps reading and committing the next messages while the disk
works. Deletes run on a worker thread with the write connection lent to it. A
:class:`~devsmtp.store.durable.Checkpointer` thread copies the WAL back into the
database file. Each message is summarised on arrival: on the loop when small,
on a parser thread when large. Reads use per-thread connections (WAL readers
never block the writer). New and deleted messages are pushed to subscribers and
waiters on the event loop once durable; nothing polls.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..envelope import Envelope
from ..errors import DataDirLocked, MessageNotFound, StoreDamaged, StoreError
from ..mail.summary import Summary, summarize
from .durable import Checkpointer, WalFlusher, sync_directory
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
#: Most messages one transaction takes; bounds the time one commit holds the loop.
BATCH_LIMIT = 512
#: Messages up to this size are summarised on the event loop, larger ones on a
#: parser thread so that a big message never holds other sessions up.
INLINE_PARSE_LIMIT = 64 * 1024
#: How often (seconds) messages older than ``max_age`` are looked for.
AGE_PRUNE_EVERY = 1.0

#: What a commit hands back to each waiting caller: a result or an exception.
_Results = list[tuple["asyncio.Future[Any]", object]]


@dataclass(frozen=True, slots=True)
class Page:
    """Newest-first messages and the cursor for the next (older) page, if any."""

    messages: list[StoredMessage]
    next: int | None


@dataclass(slots=True)
class _Add:
    raw: bytes
    envelope: Envelope
    summary: Summary
    future: asyncio.Future[StoredMessage]


class Store:
    """Captured messages in ``data_dir`` (see the module docstring).

    Reads (:meth:`list`, :meth:`get`, :meth:`raw`, :meth:`count`,
    :meth:`inboxes`) work from any thread and see messages up to :attr:`latest`,
    the newest one that is durable (committed, and synced unless ``fsync`` is
    off). Writes and push (:meth:`add`, :meth:`delete`, :meth:`delete_matching`,
    :meth:`wait`, :meth:`subscribe`) are coroutines/calls on the loop given to
    :meth:`open`.
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
        self._conn: sqlite3.Connection | None = None
        self._pending: list[_Add] = []
        self._write_scheduled = False
        self._writes_held = False
        #: The write connection is lent to a worker thread for a delete (see _op).
        self._lent = False
        self._ops = asyncio.Lock()
        self._conn_lock = threading.Lock()
        self._flusher: WalFlusher | None = None
        self._checkpointer: Checkpointer | None = None
        self._parser: ThreadPoolExecutor | None = None
        self._age_timer: asyncio.TimerHandle | None = None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pins = Pins()
        self._subscribers: set[Subscription] = set()
        self._waiters: set[Waiter] = set()
        #: Notified after every commit and when a waiter comes or goes (see wait_until).
        self._changed = threading.Condition()
        self._lock_fd: int | None = None

    # -- lifecycle -----------------------------------------------------------

    def open(self, loop: asyncio.AbstractEventLoop) -> None:
        """Lock the directory, create the schema, start the helper threads.

        Called on ``loop``'s thread, which owns the write connection from now on.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise DataDirLocked(str(self.data_dir)) from None
        self._lock_fd = fd
        try:
            conn = connect(self.path, synchronous="NORMAL")
            conn.executescript(SCHEMA)
            conn.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer's job
            self._count = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
            row = conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name='messages'"
            ).fetchone()
            if self.fsync:
                # The WAL exists while this connection is open: make its name durable.
                sync_directory(self.data_dir)
                self._flusher = WalFlusher(Path(f"{self.path}-wal"), loop)
        except (sqlite3.Error, OSError) as error:
            self._unlock()
            if getattr(error, "sqlite_errorcode", None) in _DAMAGED:
                raise StoreDamaged(self.path, str(error)) from error
            raise StoreError(f"{self.path}: {error}") from error
        self.latest = row[0] if row else 0
        self._conn = conn
        self._loop = loop
        self._checkpointer = Checkpointer(self.path, loop, self._hold_writes)
        self._parser = ThreadPoolExecutor(1, thread_name_prefix="devsmtp-parser")
        if self.max_age is not None:
            self._age_timer = loop.call_later(AGE_PRUNE_EVERY, self._prune_by_age)

    def close(self) -> None:
        """Commit what is queued, make it durable, stop the threads, unlock (on the loop)."""
        if self._age_timer is not None:
            self._age_timer.cancel()
            self._age_timer = None
        if self._parser is not None:
            self._parser.shutdown(wait=True)
            self._parser = None
        with self._conn_lock:  # a delete still running on a worker thread ends first
            self._lent = False
            if self._conn is not None:
                self._write_pending(force=True)
        if self._flusher is not None:
            self._flusher.close()
            self._flusher = None
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
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
        """Store ``raw`` with its envelope; returns once it is committed (and synced)."""
        loop = self._require_loop()
        if len(raw) <= INLINE_PARSE_LIMIT or self._parser is None:
            # A small message parses in a fraction of a millisecond: here it
            # saves two thread hand-offs.
            summary = summarize(raw)
        else:
            summary = await loop.run_in_executor(self._parser, summarize, raw)
        future: asyncio.Future[StoredMessage] = loop.create_future()
        self._pending.append(_Add(raw, envelope, summary, future))
        if len(self._pending) >= BATCH_LIMIT:
            self._write_pending()
        else:
            # Everything that arrives before the loop comes round goes into one commit.
            self._schedule_write()
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
        """Run ``fn`` in a transaction of its own, after the messages queued before it.

        It runs on a worker thread with the write connection lent to it, so that
        deleting thousands of messages (about 0.1 ms each) never stalls the loop:
        SMTP and HTTP go on, and messages arriving meanwhile are committed after.
        """
        loop = self._require_loop()
        future: asyncio.Future[tuple[int, ...]] = loop.create_future()
        async with self._ops:
            self._write_pending(force=True)
            conn = self._require_conn()
            self._lent = True
            try:
                ids = await loop.run_in_executor(None, self._run_op, conn, fn)
            except Exception as error:  # reported to the caller; the store goes on
                raise StoreError(str(error)) from error
            finally:
                self._lent = False
                self._schedule_write()
            self._count -= len(ids)
            self._committed([(future, ids)], [], ids, 0)
        return await future

    def _run_op(
        self, conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], tuple[int, ...]]
    ) -> tuple[int, ...]:
        with self._conn_lock, _transaction(conn):
            return fn(conn)

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._conn is None:
            raise StoreError("the store is not open")
        return self._loop

    def _require_conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("the store is not open")
        return self._conn

    def _hold_writes(self, hold: bool) -> None:
        """Hold back (or release) the next commit of queued messages (the Checkpointer)."""
        self._writes_held = hold
        if not hold:
            self._schedule_write()

    def _schedule_write(self) -> None:
        """Commit the queued messages at the loop's next pass (once, however many)."""
        if self._pending and not self._write_scheduled and self._loop is not None:
            self._write_scheduled = True
            self._loop.call_soon(self._write_pending)

    def _write_pending(self, *, force: bool = False) -> None:
        """Insert every queued message in one transaction (on the loop).

        While the Checkpointer holds writes this waits (``force``: it does not).
        """
        self._write_scheduled = False
        if self._lent or (self._writes_held and not force):
            return
        adds, self._pending = self._pending, []
        if not adds or self._conn is None:
            return
        conn = self._conn
        try:
            with _transaction(conn):
                stored = [insert_message(conn, a.raw, a.envelope, a.summary) for a in adds]
                pruned = self._prune(conn, len(stored))
        except Exception as error:  # one bad message must not take the others along
            if len(adds) > 1:
                # Retry one by one so that only the message at fault is refused.
                for add in adds:
                    self._pending.append(add)
                    self._write_pending(force=True)
                return
            log.exception("could not store a message")
            if not adds[0].future.done():  # the session may have gone meanwhile
                adds[0].future.set_exception(StoreError(str(error)))
            return
        self._count += len(stored) - len(pruned)
        results: _Results = [(a.future, m) for a, m in zip(adds, stored, strict=True)]
        self._committed(results, stored, pruned, sum(len(a.raw) for a in adds))

    def _prune_by_age(self) -> None:
        """Drop messages older than ``max_age`` (a loop timer, every second)."""
        self._age_timer = None
        if self._conn is None or self._loop is None:
            return
        if self._lent:  # a delete is running; look again in a second
            self._age_timer = self._loop.call_later(AGE_PRUNE_EVERY, self._prune_by_age)
            return
        self._write_pending(force=True)
        try:
            with _transaction(self._conn):
                pruned = self._prune(self._conn, 0, by_age=True)
        except sqlite3.Error as error:
            log.warning("could not prune old messages: %s", error)
            pruned = ()
        if pruned:
            self._count -= len(pruned)
            self._committed([], [], pruned, 0)
        self._age_timer = self._loop.call_later(AGE_PRUNE_EVERY, self._prune_by_age)

    def _prune(
        self, conn: sqlite3.Connection, added: int, *, by_age: bool = False
    ) -> tuple[int, ...]:
        """Drop the oldest messages over the limits, sparing pinned ones."""
        excess = 0 if self.max_messages is None else self._count + added - self.max_messages
        cutoff = time.time() - self.max_age if by_age and self.max_age is not None else None
        if excess <= 0 and cutoff is None:
            return ()
        pinned = self._pins.live()
        return delete_ids(conn, prune_ids(conn, excess=excess, pinned=pinned, cutoff=cutoff))

    def _committed(
        self, results: _Results, stored: list[StoredMessage], deleted: tuple[int, ...],
        size: int,
    ) -> None:
        """After a commit: answer and publish once durable (at once without fsync)."""
        if self._checkpointer is not None:
            # Roughly what the commit added to the WAL: the messages and the pages
            # of the tables and indexes it touched.
            self._checkpointer.committed(size + 16 * 1024)
        if self._flusher is None:
            self._on_commit(results, stored, deleted)
            return

        def durable(error: BaseException | None) -> None:
            if error is None:
                self._on_commit(results, stored, deleted)
            else:
                failure = StoreError(f"could not sync: {error}")
                self._on_commit([(future, failure) for future, _ in results], [], ())

        self._flusher.submit(durable)

    def _on_commit(
        self, results: _Results, stored: list[StoredMessage], deleted: tuple[int, ...]
    ) -> None:
        if stored:
            self.latest = max(self.latest, stored[-1].id)  # readers see them from now on
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
            if self._subscribers:
                self._publish(Event.new(message))
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
        clause, params = where(query or Query(), upto=self.latest)
        rows = self._reader().execute(
            f"SELECT {COLUMNS} FROM messages{clause}"
            " ORDER BY seq DESC LIMIT ?",
            [*params, limit + 1],
        ).fetchall()
        messages = [row_to_message(row) for row in rows[:limit]]
        return Page(messages, messages[-1].id if len(rows) > limit else None)

    def count(self, query: Query | None = None) -> int:
        clause, params = where(query or Query(), upto=self.latest)
        row = self._reader().execute(f"SELECT count(*) FROM messages{clause}", params)
        return int(row.fetchone()[0])

    def get(self, id: int) -> StoredMessage | None:
        row = self._reader().execute(
            f"SELECT {COLUMNS} FROM messages WHERE seq = ? AND seq <= ?", (id, self.latest)
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
        row = self._reader().execute(
            "SELECT data FROM raw WHERE seq = ? AND seq <= ?", (id, self.latest)
        ).fetchone()
        return bytes(row[0]) if row else None

    def inboxes(self) -> builtins.list[tuple[str, int]]:
        """``(recipient, message count)`` for every envelope recipient, by address."""
        rows = self._reader().execute(
            "SELECT addr, count(*) FROM recipients WHERE seq <= ? GROUP BY addr ORDER BY addr",
            (self.latest,),
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


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back when the body raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
