"""The PostgreSQL store: the shared statements of :class:`~invitations.store.base.SQLStore`
on a psycopg 3 connection pool, for a service that runs on several hosts.

- Connections come from a :class:`psycopg_pool.ConnectionPool` (checked when taken
  after sitting idle, so a restarted server costs no request an error); each write is
  one transaction, sent as a pipeline.
- Claims use ``FOR UPDATE SKIP LOCKED``: workers on any host never wait for, nor
  take, each other's rows.
- Queuing mail sends ``NOTIFY invitations_outbox`` (delivered at commit); a listener
  thread per process wakes idle workers (:meth:`PostgresInvitationStore.wait_for_mail`).
- At start one probe connection names what is wrong (server unreachable, password,
  database, read-only) and migrates the schema under an advisory lock.
- The password (in the URL, ``PGPASSWORD`` or ``~/.pgpass``) is never printed: every
  message and log line goes through :func:`redact`.

psycopg is imported here only, and this module only when a PostgreSQL URL is used.
"""

from __future__ import annotations

import getpass
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from invitations.errors import (
    ConfigurationError,
    DatabaseAuthFailed,
    DatabaseMissing,
    DatabaseReadOnly,
    DatabaseUnreachable,
    StoreUnavailable,
)
from invitations.store.base import SQLStore
from invitations.store.dialect import POSTGRES
from invitations.store.schema import SchemaOutdated, SchemaTooNew, refusal, upgrade

__all__ = ["CHANNEL", "PostgresInvitationStore", "Target", "redact"]

log = logging.getLogger("invitations.store")

#: The channel that ``NOTIFY`` uses when mail is queued.
CHANNEL = "invitations_outbox"
# pg_advisory_xact_lock keys: schema migrations; bulk check-then-insert.
#: Seconds a pooled connection may sit idle before it is checked when taken out.
CHECK_AFTER_IDLE = 1.0
_MIGRATION_LOCK = 0x1A7E_0001
_BULK_LOCK = 0x1A7E_0002
_PASSWORD_IN_URL = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_PASSWORD_KEYWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def redact(text: str, password: str | None = None) -> str:
    """``text`` without any password: in a URL, a ``password=`` keyword, or verbatim."""
    text = _PASSWORD_IN_URL.sub(r"\1***@", text)
    text = _PASSWORD_KEYWORD.sub(r"\1***", text)
    if password:
        text = text.replace(password, "***")
    return text


@dataclass(frozen=True)
class Target:
    """Where a connection string points, as libpq would resolve it (no password)."""

    host: str
    port: str
    dbname: str
    user: str
    password: str | None

    @classmethod
    def parse(cls, conninfo: str) -> Target:
        try:
            params = conninfo_to_dict(conninfo)
        except psycopg.ProgrammingError as error:
            raise ConfigurationError(
                "INVITATIONS_DB is not a PostgreSQL connection string libpq understands "
                f"({redact(str(error))}); use postgresql://user@host:5432/dbname or "
                "'host=... dbname=...'"
            ) from None
        env = os.environ
        user = str(params.get("user") or env.get("PGUSER") or getpass.getuser())
        host = str(params.get("host") or params.get("hostaddr") or env.get("PGHOST")
                   or "/var/run/postgresql")
        password = params.get("password") or env.get("PGPASSWORD")
        return cls(
            host=host,
            port=str(params.get("port") or env.get("PGPORT") or "5432"),
            dbname=str(params.get("dbname") or env.get("PGDATABASE") or user),
            user=user,
            password=None if password is None else str(password),
        )

    @property
    def where(self) -> str:
        """``host:port/dbname``, for messages."""
        return f"{self.host}:{self.port}/{self.dbname}"


class PostgresInvitationStore(SQLStore):
    """The store on PostgreSQL (``INVITATIONS_DB=postgresql://...``).

    ``min_size``/``max_size``: the pool's connections (per process; one request or
    worker thread holds one for the length of one statement or transaction).
    ``timeout``: seconds to wait for a connection before :class:`StoreUnavailable`.
    ``migrate``: bring an older schema forward at start (else refuse to start).
    """

    dialect = POSTGRES

    def __init__(self, conninfo: str, *, min_size: int = 1, max_size: int = 8,
                 timeout: float = 10.0, connect_timeout: int = 5,
                 migrate: bool = True) -> None:
        self.conninfo = conninfo
        self.target = Target.parse(conninfo)
        self.timeout = timeout
        self._extra: dict[str, Any] = {}
        if "connect_timeout" not in conninfo_to_dict(conninfo):
            self._extra["connect_timeout"] = connect_timeout
        self._wake = threading.Condition()
        self._generation = 0
        self._closed = threading.Event()
        self._listener: threading.Thread | None = None
        self._listening = threading.Event()
        self._idle_since: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = (
            weakref.WeakKeyDictionary())
        self.upgrade(allowed=migrate)
        self._pool = ConnectionPool(
            conninfo, min_size=min_size, max_size=max_size, timeout=timeout,
            kwargs={"autocommit": True, "row_factory": dict_row, **self._extra},
            configure=_configure, check=self._check, reset=self._returned,
            reconnect_timeout=0,  # keep trying in the background; never give up the pool
            name="invitations", open=False,
        )
        self._pool.open(wait=False)

    @property
    def where(self) -> str:
        return self.target.where

    # -- connections --

    def _connect(self, **options: Any) -> psycopg.Connection[dict[str, Any]]:
        """One connection outside the pool, its failure put in words."""
        try:
            conn = psycopg.connect(self.conninfo, row_factory=dict_row,
                                   **{**self._extra, **options})
        except psycopg.OperationalError as error:
            raise self._explain(error) from None
        try:
            _configure(conn)
        except psycopg.Error:
            conn.close()
            raise
        return conn

    def _explain(self, error: psycopg.Error) -> Exception:
        """The connection failure as one of the errors in :mod:`invitations.errors`."""
        text = redact(str(error), self.target.password)
        state = getattr(error, "sqlstate", None)
        if state in ("28P01", "28000") or "password authentication failed" in text \
                or "no password supplied" in text:
            return DatabaseAuthFailed(self.where, self.target.user)
        if state == "3D000" or re.search(r'database ".*" does not exist', text):
            return DatabaseMissing(f"{self.target.host}:{self.target.port}", self.target.dbname)
        # libpq: 'connection failed: connection to server at "h", port 1 failed: Connection
        # refused' + a hint line; the words after the last "failed:" are the reason.
        first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
        reason = first.rsplit("failed:", 1)[-1].strip() or first
        return DatabaseUnreachable(self.target.host, self.target.port, reason)

    def _returned(self, conn: psycopg.Connection[Any]) -> None:
        self._idle_since[conn] = time.monotonic()

    def _check(self, conn: psycopg.Connection[Any]) -> None:
        """Before a connection is handed out: one round trip if it sat idle for a while
        (a restarted server or a dropped link shows here, not in a request); none if it
        was in use a moment ago, so busy processes pay nothing."""
        if time.monotonic() - self._idle_since.get(conn, 0.0) > CHECK_AFTER_IDLE:
            ConnectionPool.check_connection(conn)

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        """Broken connections and read-only servers as the toolkit's errors."""
        try:
            yield
        except psycopg.errors.ReadOnlySqlTransaction:
            raise DatabaseReadOnly(self.where) from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:
            # The transaction did not commit: the server rolled it back.
            detail = redact(str(error), self.target.password).strip()
            log.warning("database %s unavailable: %s", self.where, detail)
            raise StoreUnavailable(self.where, detail) from None

    @contextmanager
    def _write(self) -> Iterator[_Pipelined]:
        # A pipeline: BEGIN, the statements and COMMIT travel together; a statement whose
        # result is read (a row count) waits for its answer only.
        with self._guarded(), self._pool.connection() as conn, conn.pipeline() as pipe, \
                conn.transaction():
            yield _Pipelined(conn, pipe)

    @contextmanager
    def _statement(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        with self._guarded(), self._pool.connection() as conn:  # autocommit
            yield conn

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        with self._guarded(), self._pool.connection() as conn:
            yield conn

    def _serialize_bulk(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_BULK_LOCK,))

    def _mail_queued(self, conn: Any) -> None:
        conn.execute(f"NOTIFY {CHANNEL}")

    # -- schema --

    def upgrade(self, *, allowed: bool = True) -> tuple[int, int]:
        """Migrate forward to :data:`SCHEMA_VERSION` (one host at a time); ``(found, now)``."""
        with self._connect(autocommit=True) as conn:
            read_only = conn.execute("SHOW transaction_read_only").fetchone()
            if read_only is not None and read_only["transaction_read_only"] == "on":
                raise DatabaseReadOnly(self.where)
            try:
                with self._guarded(), conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                    found, now = upgrade(conn, self.dialect, allowed=allowed)
                    self.schema_found = found
                    return found, now
            except (SchemaTooNew, SchemaOutdated) as error:
                raise refusal(error, self.where) from None

    # -- waking idle workers --

    def mark(self) -> int:
        """A position in the stream of wake-ups; take it before looking at the queue."""
        self._start_listener()
        with self._wake:
            return self._generation

    def wait_for_mail(self, mark: int, timeout: float,
                      stop: threading.Event | None = None) -> bool:
        """Wait until mail was queued after ``mark``, ``timeout`` passed or ``stop`` was set.
        ``True``: woken by new mail (or a reconnect, when some may have been missed)."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._generation == mark:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (stop is not None and stop.is_set()):
                    return False
                self._wake.wait(min(remaining, 0.2))  # short slices: ``stop`` is seen soon
        return True

    def _bump(self) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    def _start_listener(self) -> None:
        if self._listener is None:
            with self._wake:
                if self._listener is None:
                    self._listener = threading.Thread(target=self._listen, daemon=True,
                                                      name="invitations-listen")
                    self._listener.start()
            # Subscribed before the first look at the queue, or a wake-up could be lost.
            self._listening.wait(self.timeout)

    def _listen(self) -> None:
        backoff = 0.1
        while not self._closed.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, **self._extra) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if backoff > 0.1:
                        log.warning("listening on %s again", self.where)
                    backoff = 0.1
                    self._listening.set()
                    self._bump()  # mail may have been queued while we were not listening
                    while not self._closed.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._bump()
            except psycopg.Error as error:
                log.warning("listening on %s failed (%s); retrying in %.1f s", self.where,
                            redact(str(error), self.target.password).strip(), backoff)
                self._listening.set()  # waiters fall back to their timeout meanwhile
                self._closed.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def close(self) -> None:
        self._closed.set()
        self._pool.close()
        if self._listener is not None:
            self._listener.join(5)


class _Pipelined:
    """A connection in pipeline mode for the shared statements: a row count that is
    read waits for the statements sent so far (psycopg sets it only then)."""

    def __init__(self, conn: psycopg.Connection[Any], pipe: psycopg.Pipeline) -> None:
        self._conn, self._pipe = conn, pipe

    def execute(self, query: Any, params: Any = None) -> _Answer:
        return _Answer(self._conn.execute(query, params), self._pipe)


class _Answer:
    def __init__(self, cursor: psycopg.Cursor[Any], pipe: psycopg.Pipeline) -> None:
        self._cursor, self._pipe = cursor, pipe

    @property
    def rowcount(self) -> int:
        if self._cursor.rowcount < 0:
            self._pipe.sync()
        return self._cursor.rowcount

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Every connection reads and writes times in UTC."""
    autocommit = conn.autocommit
    conn.autocommit = True
    conn.execute("SET TIME ZONE 'UTC'")
    conn.autocommit = autocommit
