"""The one protocol every transport implements.

Modelled on Django's e-mail backends and httpx's transports: a transport is
opened, sends batches of already-built messages, and is closed. It never
builds or changes a message: the bytes handed to it are the bytes delivered,
so a retry sends exactly what the first attempt sent (same Message-ID).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from invitations.models import OutgoingMessage, SendResult, SendStatus

__all__ = ["BaseTransport", "OutgoingMessage", "SendResult", "SendStatus", "Transport"]


@runtime_checkable
class Transport(Protocol):
    """Open, send batches, close. Usable as a context manager."""

    def open(self) -> None: ...

    def close(self) -> None: ...

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """Send every message; return one result per message, in order."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class BaseTransport:
    """Context-manager plumbing shared by the implementations."""

    def open(self) -> None:
        """Acquire resources (a connection); a no-op by default."""

    def close(self) -> None:
        """Release resources; a no-op by default."""

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
