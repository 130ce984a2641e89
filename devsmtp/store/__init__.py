"""The message store: SQLite index and raw bytes, group commit, push to waiters.

:class:`Store` (in :mod:`.store`), the records it hands out
(:mod:`.records`), its SQL (:mod:`.sql`), pins against pruning (:mod:`.pins`)
and push to subscribers and waiters (:mod:`.push`).
"""

from __future__ import annotations

from .push import Event, Subscription, WaitResult
from .records import Query, StoredMessage
from .store import Page, Store

__all__ = ["Event", "Page", "Query", "Store", "StoredMessage", "Subscription", "WaitResult"]
