"""What the renderer needs to know, and nothing more.

The service turns an invitation record into one of these; the renderer turns
it into an :class:`~invitations.transports.OutgoingMessage`. Keeping this
boundary small lets translators and QA preview mail with sample data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class InvitationEmail:
    """Everything an invitation e-mail shows."""

    invitation_id: str
    to_email: str
    to_name: str | None
    company_name: str
    inviter_name: str
    #: ``"user"`` or ``"main_user"``: decides whom to contact after expiry.
    invited_role: str
    link: str
    expires_at: datetime
    validity: timedelta
    languages: tuple[str, ...]
    #: Complete Message-ID header value, ``<...@sender-domain>``.
    message_id: str
    #: From header, e.g. ``Posti <noreply@posti.fi>``.
    sender: str
    #: Date header (the service clock's "now").
    sent_at: datetime


@dataclass(frozen=True)
class ConfirmationEmail:
    """The mail that confirms an e-mail address changed at registration."""

    invitation_id: str
    to_email: str
    to_name: str | None
    link: str
    expires_at: datetime
    validity: timedelta
    languages: tuple[str, ...]
    message_id: str
    sender: str
    sent_at: datetime


@dataclass(frozen=True)
class UndeliverableEmail:
    """The notice "Invitation could not be delivered" to the inviter (or the operators)."""

    invitation_id: str
    #: The inviter's address, or the operator mailbox.
    to_email: str
    to_name: str | None
    #: The address the invitation could not reach.
    invited_email: str
    company_name: str
    #: An :class:`~invitations.undeliverable.UndeliverableReason` value.
    reason: str
    #: The server's reply (or a bounce's diagnostic), shown as it came.
    diagnostic: str
    #: When the invitation that failed was sent.
    invited_at: datetime
    languages: tuple[str, ...]
    message_id: str
    sender: str
    sent_at: datetime


@dataclass(frozen=True)
class OrderEmail:
    """A mail about a credential order: its acknowledgement or its rejection."""

    #: ``"order_received"`` or ``"order_rejected"`` (the template directory).
    kind: str
    #: The human reference, e.g. ``TT-2026-000123``.
    reference: str
    to_email: str
    to_name: str | None
    company_name: str
    business_id: str
    #: ``"no_main_user"`` or ``"main_user_changed"``.
    reason: str
    main_user_name: str
    main_user_email: str
    services: tuple[str, ...]
    order_contract: bool
    contract_number: str | None
    #: Where the credential order form is (a new order after a rejection).
    form_url: str
    languages: tuple[str, ...]
    message_id: str
    sender: str
    sent_at: datetime
    #: A rejection: a key of the reasons list (``"other"``: :attr:`rejection_text`).
    rejection_code: str | None = None
    rejection_text: str | None = None
    #: How long the main user's invitation will be valid (the service's setting).
    validity: timedelta = timedelta(days=7)
