"""Events after commit: what happened to an invitation, told to the host's handlers.

The service emits an :class:`Event` once the change it reports is committed (and,
for ``invitation.sent``, once the relay accepted the mail), never for an operation
that was rolled back. Handlers subscribe to an :class:`Events` registry
(``service.events.subscribe(handler)`` or ``InvitationService(..., on_event=handler)``);
each is called in the emitting thread, in the order of subscription. A handler that
raises is logged with its traceback on the ``invitations.events`` logger and never
breaks the operation nor keeps the other handlers from their turn.

The registry is generic: ``Event.invitation`` is ``None`` for an event about
something else (e.g. ``main_user.replaced`` from the order form), whose ids then
travel in ``detail`` (string keys and values only, so an audit log can store them
as they are). An event never carries a token, a password or a key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from invitations.clock import Clock, SystemClock
from invitations.models import Invitation

__all__ = [
    "INVITATION_ACCEPTED",
    "INVITATION_BOUNCED",
    "INVITATION_DELIVERY_FAILED",
    "INVITATION_EMAIL_CONFIRMED",
    "INVITATION_RESENT",
    "INVITATION_REVOKED",
    "INVITATION_SENT",
    "Event",
    "EventHandler",
    "Events",
]

log = logging.getLogger("invitations.events")

#: The relay accepted the invitation mail (first send or a resend).
INVITATION_SENT = "invitation.sent"
#: The invitation mail failed for good: a 5xx reply, or too many temporary failures.
INVITATION_DELIVERY_FAILED = "invitation.delivery_failed"
#: The registration completed (for a changed address: once it was confirmed).
INVITATION_ACCEPTED = "invitation.accepted"
INVITATION_REVOKED = "invitation.revoked"
#: A changed e-mail address was confirmed (``invitation.accepted`` follows).
INVITATION_EMAIL_CONFIRMED = "invitation.email_confirmed"
#: A new link was issued and its mail queued (``invitation.sent`` follows on delivery).
INVITATION_RESENT = "invitation.resent"
#: A bounce (delivery status notification) reported a permanent failure.
INVITATION_BOUNCED = "invitation.bounced"


@dataclass(frozen=True)
class Event:
    """One committed change. ``detail`` holds strings only (ids, codes, reasons)."""

    name: str
    #: The invitation as it stands after the change; ``None`` for an event about
    #: something else (its ids are in ``detail``).
    invitation: Invitation | None
    at: datetime
    detail: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


#: What a subscriber is: called with each event, its return value ignored.
EventHandler = Callable[[Event], None]


class Events:
    """A registry of handlers; thread-safe (subscribe while others emit)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._handlers: tuple[EventHandler, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, handler: EventHandler) -> None:
        """Call ``handler`` for every event emitted from now on."""
        if not callable(handler):
            raise TypeError(f"an event handler must be callable, got {handler!r}")
        with self._lock:
            self._handlers = (*self._handlers, handler)

    def unsubscribe(self, handler: EventHandler) -> None:
        """Stop calling ``handler`` (nothing happens if it was not subscribed)."""
        with self._lock:
            self._handlers = tuple(h for h in self._handlers if h != handler)

    @property
    def handlers(self) -> tuple[EventHandler, ...]:
        """The subscribed handlers, in the order they are called."""
        return self._handlers

    def emit(self, name: str, invitation: Invitation | None, **detail: str) -> Event:
        """Build the event (``at`` from the clock) and hand it to every handler.

        Call it only after the change is committed. Returns the event; a handler's
        exception is logged (with traceback) and swallowed.
        """
        event = Event(name, invitation, self.clock.now(),
                      MappingProxyType({k: str(v) for k, v in detail.items()}))
        fields = {"event": name, **_ids(invitation)}
        log.debug("event %s", name, extra=fields)
        for handler in self._handlers:
            try:
                handler(event)
            except Exception:
                log.exception("event handler %s failed on %s; the operation is not "
                              "affected", _name(handler), name, extra=fields)
        return event


def _ids(invitation: Invitation | None) -> dict[str, str]:
    if invitation is None:
        return {}
    return {"invitation_id": invitation.id, "company_id": invitation.company_id}


def _name(handler: EventHandler) -> str:
    return getattr(handler, "__qualname__", None) or repr(handler)
