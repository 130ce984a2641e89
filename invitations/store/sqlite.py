"""The embedded default store: one SQLite file shared by threads and processes.

The statements are :class:`~invitations.store.base.SQLStore`'s; this module only
opens connections (one per thread, WAL) and runs each write as one IMMEDIATE
transaction, so single use holds across threads and processes on one file.

At rest: a new database file is created mode 0600 (SQLite gives its ``-wal`` and
``-shm`` files the same mode); an existing file keeps the mode its operator gave it,
with a warning when others can read it. Deleted and scrubbed bytes are overwritten
(``secure_delete``), and the WAL is truncated after delivered mail is scrubbed, so
a copy of the files holds no link that was delivered (:mod:`invitations.store.outbox`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from invitations.errors import ConfigurationError
from invitations.store.base import SQLStore
from invitations.store.dialect import SQLITE
from invitations.store.schema import SchemaOutdated, SchemaTooNew, refusal, upgrade

__all__ = ["SQLiteInvitationStore"]

log = logging.getLogger("invitations.store")

#: The mode of a database file the toolkit creates (and so of its -wal and -shm).
FILE_MODE = 0o600


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists; warn when an existing file
    can be read by group or others (the operator's choice: its mode is not changed)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("the database %s is mode %o: others on this host can read it; "
                        "chmod 600 it (and its -wal and -shm files)", path, mode)
        return
    os.close(fd)


class SQLiteInvitationStore(SQLStore):
    """The embedded default store: a SQLite file (WAL) or ``":memory:"``."""

    dialect = SQLITE

    def __init__(self, path: str | os.PathLike[str] = ":memory:", *,
                 busy_timeout: float = 10.0, migrate: bool = True) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._memory = self.path == ":memory:"
        # One connection per thread for files (real SQLite locking between
        # them); a memory database exists only in its one connection.
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._registry_lock = threading.Lock()
        self._memory_lock = threading.RLock()
        self._pid = os.getpid()
        self._writer_lock = threading.RLock()
        self._writer_pid = self._pid
        if not self._memory:
            parent = Path(self.path).expanduser().resolve().parent
            if not parent.is_dir():
                raise ConfigurationError(
                    f"the database directory {parent} does not exist; create it or set "
                    "INVITATIONS_DB to a path in an existing directory"
                )
            if Path(self.path).expanduser().is_dir():
                raise ConfigurationError(
                    f"the database path {self.path} is a directory; set INVITATIONS_DB to a "
                    f"file path, e.g. {self.path}/invitations.db"
                )
            create_private(Path(self.path).expanduser())
        try:
            self.upgrade(allowed=migrate)
            self._check_tables()
        except sqlite3.DatabaseError as error:
            self.close()
            raise ConfigurationError(
                f"cannot use {self.path} as the invitations database ({error}); point "
                "INVITATIONS_DB at the right file, or move this one aside to start afresh"
            ) from None

    def _check_tables(self) -> None:
        with self._read() as conn:
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = {"invitations", "outbox"} - tables
        if missing:
            raise sqlite3.DatabaseError(
                f"it is damaged: table(s) {', '.join(sorted(missing))} missing"
            )

    # -- connections and transactions --

    def _connection(self) -> sqlite3.Connection:
        if not self._memory and self._pid != os.getpid():
            # A forked child must not share its parent's SQLite handles.
            self._pid = os.getpid()
            self._local = threading.local()
            self._all = []
        conn: sqlite3.Connection | None = None
        if self._memory:
            conn = self._all[0] if self._all else None
        else:
            conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout,
                                   isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            # Freed pages are zeroed: a scrubbed mail leaves no old copy in the file.
            conn.execute("PRAGMA secure_delete = ON")
            if not self._memory:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                self._local.conn = conn
            with self._registry_lock:
                self._all.append(conn)
        return conn

    def _guard(self) -> AbstractContextManager[Any]:
        return self._memory_lock if self._memory else nullcontext()

    def _writers(self) -> threading.RLock:
        # Threads of this process queue for writing here, not in SQLite's busy
        # handler, which sleeps milliseconds between retries (other processes
        # still meet the file lock and busy_timeout).
        if self._writer_pid != os.getpid():  # forked: the holder is not in this process
            self._writer_pid, self._writer_lock = os.getpid(), threading.RLock()
        return self._writer_lock

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: takes the write lock up front (no upgrade deadlock)."""
        with self._guard(), self._writers():
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._guard():
            yield self._connection()

    def _scrubbed(self) -> None:
        # The WAL still holds the frames written before the scrub: checkpoint them
        # into the (secure_delete) file and truncate the log. Best effort: a reader
        # still holding an old snapshot keeps the log until the next scrub.
        if not self._memory:
            with self._guard(), self._writers():
                self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @property
    def where(self) -> str:
        return self.path

    def upgrade(self, *, allowed: bool = True) -> tuple[int, int]:
        """Migrate forward to :data:`SCHEMA_VERSION`; ``(found, now)``."""
        try:
            with self._write() as conn:
                found, now = upgrade(conn, self.dialect, allowed=allowed)
                self.schema_found = found
                return found, now
        except (SchemaTooNew, SchemaOutdated) as error:
            raise refusal(error, self.where) from None

    def close(self) -> None:
        with self._registry_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
