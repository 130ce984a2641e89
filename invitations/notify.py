"""What follows a delivery result (events, and the notice when an invitation failed),
and the notice "Kutsu ei mennyt perille / Inbjudan kunde inte levereras / Invitation
could not be delivered": to whom, what it says, and queued once per failure.

The notice goes to the inviter's own address (:attr:`Inviter.email
<invitations.models.Inviter.email>`); to the operator mailbox when the inviter is an
operator (main-user invitations from customer service) or gave no address. It is
queued in the outbox as a :attr:`~invitations.models.MessageKind.UNDELIVERABLE` mail
and delivered like any other.

Once per failure: the notice's Message-ID is derived from the invitation, the
invitation mail that failed (its Message-ID) and the reason, and the outbox holds
one row per Message-ID; so a second report of the same failure (the relay's 550,
then the bounce of the same mail saying the same) queues nothing, while a failure
of a resent invitation is a new failure and is told again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from invitations.clock import Clock
from invitations.delivery.worker import describe
from invitations.events import INVITATION_DELIVERY_FAILED, INVITATION_SENT, Events
from invitations.models import (
    DeliveryState,
    Invitation,
    MessageKind,
    OutboxRow,
    OutgoingMessage,
    Role,
    SendResult,
    SendStatus,
)
from invitations.redaction import mask_addresses
from invitations.rendering import UndeliverableEmail, compose_undeliverable
from invitations.store.protocol import InvitationStore
from invitations.undeliverable import UndeliverableReason, enhanced_status, reason_for

__all__ = ["MAX_DIAGNOSTIC", "FollowUp", "Notice", "UndeliverableNotifier"]

log = logging.getLogger("invitations.service")

#: The server's reply is shown up to this many characters (a reply can be long).
MAX_DIAGNOSTIC = 300


@dataclass(frozen=True)
class Notice:
    """A notice that was queued: its Message-ID and whether the operators get it."""

    message_id: str
    to_operator: bool


class UndeliverableNotifier:
    """Compose and queue notices; one per service (needs no signing keys)."""

    def __init__(self, store: InvitationStore, *, clock: Clock, sender: str,
                 msgid_domain: str, languages: Sequence[str],
                 operator_address: str | None) -> None:
        self.store = store
        self.clock = clock
        self.sender = sender
        self.msgid_domain = msgid_domain
        self.languages = tuple(languages)
        self.operator_address = operator_address

    def recipient(self, invitation: Invitation) -> tuple[str, str | None, bool] | None:
        """``(address, name, to_operator)`` for the notice, or ``None`` if nobody can
        be told (no inviter address and no operator mailbox configured)."""
        inviter = invitation.inviter
        if inviter.email and Role(inviter.role) is not Role.OPERATOR:
            return inviter.email, inviter.name, False
        if self.operator_address:
            return self.operator_address, None, True
        return None

    def message_id(self, invitation: Invitation, reason: UndeliverableReason) -> str:
        """The notice's Message-ID: the same for the same invitation mail and reason."""
        cause = f"{invitation.id}\0{invitation.message_id or ''}\0{reason}"
        digest = hashlib.sha256(cause.encode("utf-8")).hexdigest()[:32]
        return f"<undeliverable.{digest}@{self.msgid_domain}>"

    def compose(self, invitation: Invitation, reason: UndeliverableReason, diagnostic: str,
                to: tuple[str, str | None]) -> OutgoingMessage:
        """The notice to ``to`` (address, name) in the service's languages."""
        address, name = to
        text = " ".join(diagnostic.split())
        if len(text) > MAX_DIAGNOSTIC:
            text = text[: MAX_DIAGNOSTIC - 1] + "…"
        return compose_undeliverable(UndeliverableEmail(
            invitation_id=invitation.id, to_email=address, to_name=name,
            invited_email=invitation.email, company_name=invitation.company.name,
            reason=str(reason), diagnostic=text, invited_at=invitation.issued_at,
            languages=self.languages, message_id=self.message_id(invitation, reason),
            sender=self.sender, sent_at=self.clock.now(),
        ))

    def queue(self, invitation: Invitation, reason: UndeliverableReason,
              diagnostic: str) -> Notice | None:
        """Queue the notice unless this failure was told already; the queued notice,
        or ``None`` (told already, or nobody to tell: logged)."""
        fields = {"invitation_id": invitation.id, "company_id": invitation.company_id,
                  "reason": str(reason)}
        to = self.recipient(invitation)
        if to is None:
            log.warning("invitation %s could not be delivered (%s) and nobody can be told: "
                        "the inviter has no e-mail address and no operator mailbox is "
                        "configured (INVITATIONS_OPERATOR_ADDRESS)", invitation.id, reason,
                        extra=fields)
            return None
        address, name, to_operator = to
        message = self.compose(invitation, reason, diagnostic, (address, name))
        fields["message_id"] = message.message_id
        if not self.store.queue_message(invitation.id, MessageKind.UNDELIVERABLE, message,
                                        now=self.clock.now()):
            log.info("notice for invitation %s (%s) was queued before; not again",
                     invitation.id, reason, extra=fields)
            return None
        log.info("notice queued: invitation %s could not be delivered (%s), telling the %s",
                 invitation.id, reason, "operator mailbox" if to_operator else "inviter",
                 extra=fields)
        log.debug("notice for invitation %s goes to %s", invitation.id, address, extra=fields)
        return Notice(message.message_id, to_operator)


class FollowUp:
    """What follows a committed delivery result, as a hook of
    :func:`~invitations.delivery.worker.deliver` (``on_result``).

    For invitation mail: ``invitation.sent`` once the relay accepted it;
    ``invitation.delivery_failed`` once it failed for good (a 5xx, or too many
    temporary failures); and for a 5xx, with ``notify`` on, the notice to the inviter.
    Other mail (confirmations, notices themselves) and retries are not followed up.
    """

    def __init__(self, store: InvitationStore, events: Events,
                 notifier: UndeliverableNotifier, *, notify: bool = True) -> None:
        self.store = store
        self.events = events
        self.notifier = notifier
        self.notify = notify

    def __call__(self, row: OutboxRow, result: SendResult, state: DeliveryState
                 ) -> Notice | None:
        """Emit the event; the notice queued, if one was."""
        if (row.kind is not MessageKind.INVITATION or state is DeliveryState.QUEUED
                or row.invitation_id is None):  # order mail has no invitation
            return None
        if (state is DeliveryState.SENT and not self.events.handlers
                and not log.isEnabledFor(logging.INFO)):
            return None  # nobody listens: spare the hot path a read per sent mail
        stored = self.store.get(row.invitation_id, now=self.notifier.clock.now())
        if stored is None:
            return None
        invitation = stored.invitation
        attempt = str(row.attempts + 1)
        fields = {"invitation_id": invitation.id, "company_id": invitation.company_id,
                  "message_id": row.message_id, "attempt": row.attempts + 1,
                  "reply_code": result.code}
        if state is DeliveryState.SENT:
            log.info("invitation %s sent (the relay accepted it)", invitation.id,
                     extra=fields)
            self.events.emit(INVITATION_SENT, invitation, message_id=row.message_id,
                             attempt=attempt)
            return None
        reply = describe(result)
        status = enhanced_status(reply)
        permanent = result.status is SendStatus.PERMANENT_FAILURE
        reason = reason_for(status, reply)
        log.warning("invitation %s could not be delivered: %s (%s)", invitation.id, reason,
                    mask_addresses(reply), extra={**fields, "reason": str(reason)})
        self.events.emit(INVITATION_DELIVERY_FAILED, invitation, message_id=row.message_id,
                         attempt=attempt, reply_code=str(result.code or ""),
                         status=status or "", reason=str(reason), reply=reply,
                         permanent=str(permanent).lower())
        if not (permanent and self.notify):
            return None
        return self.notifier.queue(invitation, reason, reply)
