"""Which store a database setting means: a PostgreSQL URL or connection string, or a
SQLite file. Nothing here imports psycopg; the PostgreSQL module is loaded only
when a PostgreSQL setting is opened.

=========================================== =========================================
``postgresql://user@host:5432/db``          PostgreSQL (``postgres://`` too)
``host=db1 port=5432 dbname=invitations``   PostgreSQL, libpq keyword form
``sqlite:///var/lib/invitations.db``        SQLite (the path after ``sqlite://``)
``invitations.db``, ``/abs/path``, ``:memory:`` SQLite
=========================================== =========================================
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from invitations.store.base import SQLStore

__all__ = ["DEFAULT_POOL_SIZE", "DEFAULT_POOL_TIMEOUT", "is_postgres", "open_store",
           "sqlite_path"]

#: Connections per process (web workers' threads and delivery threads share them).
DEFAULT_POOL_SIZE = 8
#: Seconds to wait for a pooled connection before :class:`~invitations.errors.StoreUnavailable`.
DEFAULT_POOL_TIMEOUT = 10.0

_KEYWORDS = re.compile(
    r"^\s*(host|hostaddr|port|dbname|user|password|passfile|service|sslmode|options|"
    r"application_name|connect_timeout|target_session_attrs)\s*=", re.IGNORECASE)


def is_postgres(value: str) -> bool:
    """``True`` for a PostgreSQL URL or libpq keyword string."""
    value = value.strip()
    return value.startswith(("postgresql://", "postgres://")) or bool(_KEYWORDS.match(value))


def sqlite_path(value: str) -> str:
    """The file of a SQLite setting: ``sqlite:///x.db`` -> ``x.db``,
    ``sqlite:////abs/x.db`` -> ``/abs/x.db``; a plain path stays as it is."""
    value = value.strip()
    if value.startswith("sqlite:///"):
        return value[len("sqlite:///"):]
    if value.startswith("sqlite://"):
        return value[len("sqlite://"):]
    return value


def open_store(value: str, *, migrate: bool = True, pool_size: int | None = None,
               pool_timeout: float | None = None) -> SQLStore:
    """The store ``value`` names, schema migrated at start when ``migrate``."""
    if is_postgres(value):
        from invitations.store.postgres import PostgresInvitationStore

        return PostgresInvitationStore(
            value.strip(), migrate=migrate, max_size=pool_size or DEFAULT_POOL_SIZE,
            timeout=DEFAULT_POOL_TIMEOUT if pool_timeout is None else pool_timeout)
    from invitations.store.sqlite import SQLiteInvitationStore

    return SQLiteInvitationStore(sqlite_path(value), migrate=migrate)
