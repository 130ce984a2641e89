"""Durability off the event loop: the WAL flusher and the checkpointer.

The store commits on the event loop with ``synchronous=NORMAL``: a commit
writes its WAL frames into the page cache and returns without an ``fsync``.
:class:`WalFlusher` then makes them durable off the loop with an
``fdatasync`` of the WAL file that begins after the commit returned, and hands
the callbacks of the commits it covers back to the loop. That is the guarantee
of ``synchronous=FULL`` (the WAL is synced after each commit, before anyone is
told) with the sync overlapped with the next commits instead of holding them
up, and one sync shared by every commit that queued up meanwhile.

:class:`Checkpointer` copies the WAL back into the database file from its own
connection (``PRAGMA wal_checkpoint(PASSIVE)``, which never blocks the writer),
so the loop's connection runs with automatic checkpoints off. SQLite syncs the
WAL before and the database after every checkpoint, and the WAL header when it
starts reusing the file, so frames are never overwritten before they are safe
in the database file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "CHECKPOINT_BYTES", "FLUSH_THREADS", "Checkpointer", "Done", "WalFlusher", "sync_directory",
]

log = logging.getLogger("devsmtp.store")
#: Called on the loop once a commit is durable: None, or the error that prevented it.
Done = Callable[[BaseException | None], None]
#: Bytes committed since the last checkpoint that start the next one (SQLite's
#: default automatic checkpoint is 1,000 pages, about this much).
CHECKPOINT_BYTES = 4 * 1024 * 1024
#: Sync threads: with two, a commit never waits for a sync that began before it
#: (measured: 1.2-1.3x the rate of one thread at 8 sessions; three were no better).
FLUSH_THREADS = 2
#: Longest the checkpointer waits for the loop to hold its commits (seconds).
HOLD_WAIT = 0.5


def sync_directory(path: Path) -> None:
    """``fsync`` directory ``path`` so that the files created in it stay after a crash."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class WalFlusher:
    """Threads that sync the WAL (``fdatasync``) for the commits queued before each sync.

    :meth:`submit` is called on the loop right after a commit; ``done`` runs on
    the loop once an ``fdatasync`` that began after that commit returned has
    finished (so its frames are on disk), or with the error it raised.
    A commit that arrives while one sync is running starts the next on another
    thread at once instead of waiting for the first to end; whichever finishes
    covers every commit that came before it began. Callbacks run in submission
    order.
    """

    def __init__(
        self, wal: Path, loop: asyncio.AbstractEventLoop, threads: int = FLUSH_THREADS
    ) -> None:
        self._loop = loop
        self._fd = os.open(wal, os.O_RDONLY)
        self._changed = threading.Condition()
        self._waiting: deque[tuple[int, Done]] = deque()
        self._submitted = 0  # sequence number of the last submitted commit
        self._claimed = 0  # the last commit a started sync covers
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._run, name=f"devsmtp-flusher-{n}", daemon=True)
            for n in range(max(1, threads))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, done: Done) -> None:
        """Have ``done`` called on the loop once everything committed so far is durable."""
        with self._changed:
            self._submitted += 1
            self._waiting.append((self._submitted, done))
            self._changed.notify()

    def close(self) -> None:
        """Sync what is queued, stop the threads, close the WAL descriptor."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()
        os.close(self._fd)

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._claimed == self._submitted and not self._stopping:
                    self._changed.wait()
                if self._claimed == self._submitted:
                    return  # stopping, and every commit is covered
                upto = self._claimed = self._submitted
            error: OSError | None = None
            try:
                os.fdatasync(self._fd)
            except OSError as failure:
                log.error("could not sync the message store: %s", failure)
                error = failure
            with self._changed:
                batch: list[Done] = []
                while self._waiting and self._waiting[0][0] <= upto:
                    batch.append(self._waiting.popleft()[1])
            if batch:
                self._hand_back(batch, error)

    def _hand_back(self, batch: list[Done], error: OSError | None) -> None:
        if self._loop.is_closed():
            return
        # The loop may close under us during shutdown; the data is on disk anyway.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(_call_all, batch, error)


def _call_all(batch: list[Done], error: BaseException | None) -> None:
    for done in batch:
        done(error)


class Checkpointer:
    """A thread that checkpoints the WAL whenever enough bytes were committed.

    :meth:`committed` is cheap and called on the loop after each commit; the
    checkpoint runs here, from a connection of its own, in two steps: the bulk
    beside the loop's commits, then the few frames committed meanwhile with the
    loop's commits held (``pause(True)`` ... ``pause(False)``, called on the
    loop; the loop keeps serving, only its next commit waits). A checkpoint that
    caught up completely lets that next commit start the WAL from its beginning
    again, so the file stays about ``threshold`` bytes long instead of growing
    while messages keep coming.
    """

    def __init__(
        self,
        path: Path,
        loop: asyncio.AbstractEventLoop,
        pause: Callable[[bool], None],
        *,
        threshold: int | None = None,
    ) -> None:
        self._path = path
        self._loop = loop
        self._pause = pause
        self._threshold = CHECKPOINT_BYTES if threshold is None else threshold
        self._pending = 0
        self._due = threading.Event()
        self._held = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="devsmtp-checkpoint", daemon=True)
        self._thread.start()

    def committed(self, size: int) -> None:
        """Count ``size`` bytes committed; start a checkpoint once over the threshold."""
        self._pending += size
        if self._pending >= self._threshold:
            self._pending = 0
            self._due.set()

    def close(self) -> None:
        """Stop the thread (on the loop, after its last commit)."""
        self._stopping = True
        self._held.set()
        self._due.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False,
                               timeout=30)
        try:
            conn.execute("PRAGMA synchronous=NORMAL")  # NORMAL syncs around checkpoints
            while not self._stopping:
                self._due.wait()
                self._due.clear()
                _checkpoint(conn)
                if self._stopping or not self._call(self._hold):
                    continue
                try:
                    if self._held.wait(HOLD_WAIT) and not self._stopping:
                        _checkpoint(conn)
                finally:
                    self._call(self._pause, False)
        finally:
            conn.close()

    def _hold(self) -> None:
        self._pause(True)
        self._held.set()

    def _call(self, fn: Callable[..., None], *args: object) -> bool:
        """Run ``fn(*args)`` on the loop; False when the loop is gone."""
        self._held.clear()
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop closed: shutting down
            return False
        return True


def _checkpoint(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as error:  # tried again at the next threshold
        log.warning("WAL checkpoint failed: %s", error)
