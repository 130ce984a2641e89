"""What the service needs from storage: the :class:`InvitationStore` protocol and
the value types its methods take and return. Every backend implements it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Event
from typing import Protocol, runtime_checkable

from invitations.models import (
    DeliveryState,
    Invitation,
    InvitationStatus,
    MessageKind,
    OutboxRow,
    OutgoingMessage,
)

__all__ = [
    "InvitationStore",
    "MailSignal",
    "NewInvitation",
    "ResultUpdate",
    "StoredInvitation",
    "SubmittedDetails",
]


@dataclass(frozen=True)
class StoredInvitation:
    """An invitation plus the hashes the service checks tokens against."""

    invitation: Invitation
    nonce_hash: str
    confirm_nonce_hash: str | None


@dataclass(frozen=True)
class SubmittedDetails:
    """The registration form's values that are kept (never the password)."""

    first_name: str
    last_name: str
    email: str
    username: str


@dataclass(frozen=True)
class NewInvitation:
    """One invitation and its mail for :meth:`InvitationStore.add_many`."""

    invitation: Invitation
    nonce_hash: str
    message: OutgoingMessage
    now: datetime


@dataclass(frozen=True)
class ResultUpdate:
    """The arguments of one :meth:`InvitationStore.record_result` call, for
    :meth:`InvitationStore.record_results`."""

    row_id: int
    owner: str | None
    now: datetime
    state: DeliveryState
    error: str | None = None
    next_attempt_at: datetime | None = None


class InvitationStore(Protocol):
    """What the service needs from storage. Times passed in come from the service clock."""

    def add(self, invitation: Invitation, *, nonce_hash: str, message: OutgoingMessage,
            now: datetime) -> None:
        """Insert the invitation and its queued mail in one transaction."""

    def add_many(self, entries: Sequence[NewInvitation]) -> list[int]:
        """Insert every entry (invitation and queued mail) in ONE transaction: all or
        none. An entry whose address already has a pending invitation at its company
        is left out; returns the indices left out (the caller reissues those)."""

    def get(self, invitation_id: str, *, now: datetime) -> StoredInvitation | None: ...

    def find_open(self, company_id: str, email: str, *, now: datetime
                  ) -> StoredInvitation | None:
        """The pending (possibly time-expired) invitation for this address, if any."""

    def list_invitations(self, *, company_id: str | None = None,
                         status: InvitationStatus | None = None,
                         now: datetime) -> list[Invitation]: ...

    def reissue(self, invitation_id: str, *, nonce_hash: str, issued_at: datetime,
                expires_at: datetime, message: OutgoingMessage) -> bool:
        """New nonce and window, resend count + 1, new queued mail; unsent old mail dropped."""

    def redeem(self, invitation_id: str, *, nonce_hash: str, now: datetime,
               details: SubmittedDetails, confirm_nonce_hash: str | None = None,
               message: OutgoingMessage | None = None, account_id: str | None = None) -> bool:
        """Pending -> accepted (or awaiting_confirmation with ``confirm_nonce_hash``),
        recording the host's ``account_id`` and ending any registration lease."""

    def claim_registration(self, invitation_id: str, *, nonce_hash: str, owner: str,
                           now: datetime, until: datetime) -> bool:
        """Lease the pending invitation to ``owner`` until ``until`` while the host
        creates the account; ``False`` if it is not pending with this nonce, expired,
        or a live lease of another submit holds it (an expired lease is taken over)."""

    def release_registration(self, invitation_id: str, *, owner: str) -> bool:
        """Give the lease back (the account was refused or failed); only ``owner``'s."""

    def confirm(self, invitation_id: str, *, confirm_nonce_hash: str, now: datetime) -> bool:
        ...

    def revoke(self, invitation_id: str, *, by: str, now: datetime) -> bool: ...

    def queue_message(self, invitation_id: str, kind: MessageKind, message: OutgoingMessage,
                      *, now: datetime) -> bool:
        """Queue one more mail about the invitation (a notice), due ``now``, unless a
        row with the same Message-ID exists; ``True`` if it was queued."""

    def claim_due(self, *, owner: str, now: datetime, lease: timedelta, limit: int = 100,
                  message_ids: Sequence[str] | None = None) -> list[OutboxRow]:
        """Lease queued rows that are due (and not leased by a live worker)."""

    def record_result(self, row_id: int, *, owner: str | None, now: datetime,
                      state: DeliveryState, error: str | None = None,
                      next_attempt_at: datetime | None = None) -> bool:
        """Count an attempt, set the state, release the lease (only if ``owner`` holds it)."""

    def record_results(self, updates: Sequence[ResultUpdate]) -> int:
        """Several :meth:`record_result` calls in ONE transaction; how many took effect."""

    def requeue_failed(self, *, now: datetime, message_ids: Sequence[str] | None = None) -> int:
        """Failed rows back to queued, due now, attempts reset; returns how many."""

    def release(self, row_ids: Sequence[int], *, owner: str) -> int:
        """Give back claimed rows that were not sent (a stopped worker); attempts unchanged."""

    def waiting(self) -> tuple[int, datetime | None]:
        """How many messages are queued, and when the earliest is next due."""
        ...

    def outbox(self, *, invitation_id: str | None = None, state: DeliveryState | None = None
               ) -> list[OutboxRow]: ...

    def close(self) -> None: ...


@runtime_checkable
class MailSignal(Protocol):
    """A store that can tell idle delivery workers that mail was queued (PostgreSQL:
    LISTEN/NOTIFY). Stores without it are polled."""

    def mark(self) -> int:
        """A position in the stream of wake-ups; take it before looking at the queue."""

    def wait_for_mail(self, mark: int, timeout: float, stop: Event | None = None) -> bool:
        """Wait until mail was queued after ``mark``, ``timeout`` passed or ``stop`` was set."""
