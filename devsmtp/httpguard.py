"""uvicorn's h11 protocol with a deadline for each request head (slowloris).

uvicorn closes idle keep-alive connections but waits forever for a request whose
head never completes; this protocol closes such a connection after ``head_timeout``
seconds (counted from the connection, or from the first byte of a later request).
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["head_timeout_protocol"]


class _HeadTimeoutH11(H11Protocol):
    head_timeout: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            self._arm()
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        self._disarm()  # the keep-alive timeout takes over
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is None and not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self.head_timeout, self._expire)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expire(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and (
                self.cycle is None or self.cycle.response_complete):
            self.transport.close()


def head_timeout_protocol(seconds: float) -> type[H11Protocol]:
    """An h11 protocol class closing connections whose request head takes > ``seconds``."""
    return type("DevSMTPH11Protocol", (_HeadTimeoutH11,), {"head_timeout": seconds})
