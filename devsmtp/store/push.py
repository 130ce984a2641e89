"""Push to the event loop: subscriptions (for SSE) and waiters (for /api/wait)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from .records import Query, StoredMessage

__all__ = ["Event", "Subscription", "WaitResult", "Waiter"]


#: Most events one :meth:`Subscription.batch` returns.
BATCH_EVENTS = 256


@dataclass(frozen=True, slots=True)
class Event:
    """A change pushed to subscribers: a ``new`` message or ``deleted`` ids.

    ``data`` is the new message as API JSON, made once for every subscriber.
    """

    kind: Literal["new", "deleted", "overflow", "closed"]
    message: StoredMessage | None = None
    ids: tuple[int, ...] = ()
    data: str = ""

    @classmethod
    def new(cls, message: StoredMessage) -> Event:
        """A ``new`` event with the message's JSON rendered once."""
        return cls("new", message, data=json.dumps(message.to_dict(), ensure_ascii=False))


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

    async def batch(self, timeout: float) -> list[Event] | None:
        """Every queued event, waiting up to ``timeout`` seconds for the first.

        ``[]`` when nothing came in time, None once the store closed. Under load
        one wake-up (and one write to a client) takes many events.
        """
        if self._overflowed:
            return [await self.__anext__()]
        events: list[Event] = []
        try:
            if self._queue.empty():
                async with asyncio.timeout(timeout):
                    events.append(await self._queue.get())
            while len(events) < BATCH_EVENTS and not self._queue.empty():
                events.append(self._queue.get_nowait())
        except TimeoutError:
            return []
        for index, event in enumerate(events):
            if event.kind == "closed":
                self._queue.put_nowait(event)  # the next call ends the stream
                return events[:index] or None
        return events

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
