"""Push to the event loop: subscriptions (for SSE) and waiters (for /api/wait)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from .records import Query, StoredMessage

__all__ = ["Event", "Subscription", "WaitResult", "Waiter"]


@dataclass(frozen=True, slots=True)
class Event:
    """A change pushed to subscribers: a ``new`` message or ``deleted`` ids."""

    kind: Literal["new", "deleted", "overflow", "closed"]
    message: StoredMessage | None = None
    ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class WaitResult:
    """Matches found by :meth:`Store.wait`; ``complete`` is False on timeout."""

    messages: list[StoredMessage]
    complete: bool


@dataclass(slots=True, eq=False)
class Waiter:
    query: Query
    count: int
    future: asyncio.Future[None]
    found: dict[int, StoredMessage] = field(default_factory=dict)

    def offer(self, message: StoredMessage, pin: Callable[[Iterable[int]], None]) -> None:
        if self.query.matches(message):
            self.found[message.id] = message
            pin([message.id])
            if len(self.found) >= self.count and not self.future.done():
                self.future.set_result(None)


class Subscription:
    """An async iterator of :class:`Event`; ends when the store closes."""

    def __init__(self, on_close: Callable[[Subscription], None], maxsize: int = 1000) -> None:
        self._on_close = on_close
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self._overflowed = False

    def push(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflowed = True

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        if self._overflowed:
            # A slow reader missed events: tell it to reload instead of lying.
            self._overflowed = False
            while not self._queue.empty():
                self._queue.get_nowait()
            return Event("overflow")
        event = await self._queue.get()
        if event.kind == "closed":
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        self._on_close(self)
