"""A minimal hook for the order flow's events until the toolkit's ``Events``
registry (:mod:`invitations.events`) is merged: handlers by event name; a
handler that raises is logged and never breaks the operation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

__all__ = ["OrderEvents"]

log = logging.getLogger("invitations.orders")

Handler = Callable[..., None]


class OrderEvents:
    """``register(name, handler)``; ``emit(name, subject, **detail)`` calls each one."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def register(self, name: str, handler: Handler) -> None:
        self._handlers.setdefault(name, []).append(handler)

    def emit(self, name: str, subject: Any, **detail: Any) -> None:
        for handler in self._handlers.get(name, ()):
            try:
                handler(subject, **detail)
            except Exception:
                log.exception("a handler of %s failed; the operation stands", name)
