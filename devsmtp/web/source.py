"""Adapt devsmtp's message store to what the pages read (one message by id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .view import Loaded


def store_loader(store: Any) -> Callable[[str], Loaded | None]:
    """A blocking ``load(id)`` over ``store``."""

    def load(message_id: str) -> Loaded | None:
        raise NotImplementedError(store, message_id)

    return load
