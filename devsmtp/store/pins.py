"""Pins: message ids kept from pruning for a while (a waiter just returned them)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

__all__ = ["Pins"]


class Pins:
    """Ids with a deadline on the monotonic clock; thread-safe."""

    def __init__(self) -> None:
        self._until: dict[int, float] = {}
        self._lock = threading.Lock()

    def pin(self, ids: Iterable[int], seconds: float) -> None:
        """Keep ``ids`` for ``seconds`` from now (an earlier deadline never shortens one)."""
        until = time.monotonic() + seconds
        with self._lock:
            for id in ids:
                self._until[id] = max(until, self._until.get(id, 0.0))

    def live(self) -> set[int]:
        """The ids still pinned; expired pins are forgotten."""
        now = time.monotonic()
        with self._lock:
            for id in [i for i, until in self._until.items() if until < now]:
                del self._until[id]
            return set(self._until)
