"""The embedded default store: one SQLite file shared by threads and processes.

The statements are :class:`~invitations.store.base.SQLStore`'s; this module only
opens connections (one per thread, WAL) and runs each write as one IMMEDIATE
transaction, so single use holds across threads and processes on one file.
"""

from __future__ import annotations

import os
import sqlite3
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
