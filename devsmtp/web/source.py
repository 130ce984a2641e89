"""Adapt devsmtp's message store to what the pages read."""

from __future__ import annotations

from ..errors import MessageNotFound
from ..mail import ParsedMail
from ..store import Store
from .view import Loaded


class StoreSource:
    """Reads for the pages; every method blocks, so endpoints run them in a thread."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, message_id: str) -> Loaded | None:
        """Message ``message_id`` parsed, or None (unknown, or deleted meanwhile)."""
        if not message_id.isdigit():
            return None
        try:
            record, raw = self.store.load(int(message_id))
        except MessageNotFound:
            return None
        return Loaded(record, ParsedMail(raw, summary=record.summary))

    def part(self, message_id: str, index: int) -> tuple[str, bytes, str | None] | None:
        """``(content type, decoded bytes, file name)`` of leaf part ``index``, or None."""
        if not message_id.isdigit():
            return None
        raw = self.store.raw(int(message_id))
        return None if raw is None else ParsedMail(raw).part(index)

    def inboxes(self) -> list[tuple[str, int]]:
        return self.store.inboxes()
