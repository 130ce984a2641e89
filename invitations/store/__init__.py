"""Where invitations, their token hashes and the outbox are kept.

:class:`InvitationStore` (in :mod:`~invitations.store.protocol`) is what the
service needs; :class:`SQLiteInvitationStore` (:mod:`~invitations.store.sqlite`)
is the embedded implementation, with its schema and migrations in
:mod:`~invitations.store.schema` and the outbox statements in
:mod:`~invitations.store.outbox`.
"""

from __future__ import annotations

from invitations.store.protocol import (
    InvitationStore,
    NewInvitation,
    ResultUpdate,
    StoredInvitation,
    SubmittedDetails,
)
from invitations.store.schema import SCHEMA_VERSION
from invitations.store.sqlite import SQLiteInvitationStore

__all__ = [
    "SCHEMA_VERSION",
    "InvitationStore",
    "NewInvitation",
    "ResultUpdate",
    "SQLiteInvitationStore",
    "StoredInvitation",
    "SubmittedDetails",
]
