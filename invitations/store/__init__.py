"""Where invitations, their token hashes and the outbox are kept.

:class:`InvitationStore` (in :mod:`~invitations.store.protocol`) is what the
service needs. Two SQL backends implement it with the same statements
(:mod:`~invitations.store.base`, :mod:`~invitations.store.outbox`, schema and
migrations in :mod:`~invitations.store.schema`, dialect differences in
:mod:`~invitations.store.dialect`): :class:`SQLiteInvitationStore`
(:mod:`~invitations.store.sqlite`), the embedded default, and
``PostgresInvitationStore`` (:mod:`~invitations.store.postgres`, loaded on first
use so that psycopg is imported only when PostgreSQL is). :func:`open_store`
picks one from a setting (:mod:`~invitations.store.url`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from invitations.store.orders import OrderStore
from invitations.store.protocol import (
    InvitationStore,
    NewInvitation,
    ResultUpdate,
    StoredInvitation,
    SubmittedDetails,
)
from invitations.store.schema import SCHEMA_VERSION
from invitations.store.sqlite import SQLiteInvitationStore
from invitations.store.url import is_postgres, open_store

if TYPE_CHECKING:
    from invitations.store.postgres import PostgresInvitationStore

__all__ = [
    "SCHEMA_VERSION",
    "InvitationStore",
    "NewInvitation",
    "OrderStore",
    "PostgresInvitationStore",
    "ResultUpdate",
    "SQLiteInvitationStore",
    "StoredInvitation",
    "SubmittedDetails",
    "is_postgres",
    "open_store",
]


def __getattr__(name: str) -> object:
    if name == "PostgresInvitationStore":
        from invitations.store import postgres

        return postgres.PostgresInvitationStore
    raise AttributeError(f"module 'invitations.store' has no attribute {name!r}")
