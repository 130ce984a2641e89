"""The records the toolkit deals in: companies, inviters, invitations, outbox rows."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Role(enum.StrEnum):
    """Who someone is in the business customer portal."""

    USER = "user"
    MAIN_USER = "main_user"
    #: Posti customer service, acting on the credential order form.
    OPERATOR = "operator"


#: Roles an invitation can grant (an operator is never invited).
GRANTABLE_ROLES = (Role.USER, Role.MAIN_USER)


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    #: Redeemed with a changed e-mail address that still has to be confirmed.
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    #: Never stored: derived from ``expires_at`` and the clock for pending invitations.
    EXPIRED = "expired"


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    #: Accepted by the relay, then returned undeliverable (a bounce, issue 15).
    BOUNCED = "bounced"


class MessageKind(enum.StrEnum):
    INVITATION = "invitation"
    CONFIRMATION = "confirmation"
    #: The acknowledgement of a credential order (an outbox row owned by the order).
    ORDER_RECEIVED = "order_received"
    #: Why a credential order was rejected and what to do.
    ORDER_REJECTED = "order_rejected"
    #: "Invitation could not be delivered", to the inviter or the operator mailbox.
    UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True)
class Company:
    """A business customer; ``business_id`` is the Finnish Y-tunnus (``1234567-8``)."""

    business_id: str
    name: str
    #: The logistics contract number; SmartShip needs one.
    contract_number: str | None = None


@dataclass(frozen=True)
class Inviter:
    """Who sends (or resends, or revokes) an invitation."""

    #: A stable id or the inviter's e-mail address.
    id: str
    name: str | None = None
    role: Role | str = Role.MAIN_USER
    #: Business id of the inviter's company; required for a main user.
    company_id: str | None = None
    #: Where the inviter hears that an invitation could not be delivered; without
    #: it (and for operators) the service's operator mailbox is told.
    email: str | None = None


@dataclass(frozen=True)
class Registration:
    """What the invited person submits in the "Käyttäjärekisteröinti" form."""

    first_name: str
    last_name: str
    email: str
    #: Empty means "the same as the e-mail address", the document's usual choice.
    username: str
    #: In clear, for the host's :class:`~invitations.accounts.AccountCreator` only:
    #: never stored, logged or shown (``repr`` masks it).
    password: str = field(repr=False)
    #: ``False`` while a changed e-mail address awaits confirmation: the host creates
    #: the account disabled and enables it in ``enable_account``.
    email_confirmed: bool = True

    def __repr__(self) -> str:
        return (f"Registration(first_name={self.first_name!r}, last_name={self.last_name!r}, "
                f"email={self.email!r}, username={self.username!r}, password='********', "
                f"email_confirmed={self.email_confirmed!r})")


@dataclass(frozen=True)
class Invitation:
    """One invitation and where it stands. Never holds a token or a password."""

    id: str
    email: str
    company: Company
    inviter: Inviter
    role: Role
    services: tuple[str, ...]
    languages: tuple[str, ...]
    created_at: datetime
    #: When the current link was issued (creation or the latest resend).
    issued_at: datetime
    expires_at: datetime
    #: Effective status: ``expired`` is derived for a pending invitation past expiry.
    status: InvitationStatus
    first_name: str | None = None
    last_name: str | None = None
    resend_count: int = 0
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    #: What the registration form submitted (never the password).
    registered_first_name: str | None = None
    registered_last_name: str | None = None
    registered_email: str | None = None
    registered_username: str | None = None
    email_confirmed_at: datetime | None = None
    #: The host's account for this invitation (:class:`~invitations.accounts.AccountRef`).
    account_id: str | None = None
    #: Delivery of the latest invitation e-mail.
    message_id: str | None = None
    delivery_state: DeliveryState | None = None
    attempts: int = 0
    last_error: str | None = None
    #: Set when the mail bounced: the enhanced status (``5.1.1``), the reason's code
    #: (:class:`~invitations.undeliverable.UndeliverableReason`) and when.
    bounce_status: str | None = None
    bounce_reason: str | None = None
    bounced_at: datetime | None = None
    #: The registration link; known only right after issuing or from a presented token.
    link: str | None = field(default=None, compare=False)

    @property
    def company_id(self) -> str:
        return self.company.business_id

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view (times as ISO 8601)."""
        out: dict[str, object] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, Company | Inviter):
                value = {k: str(v) if v is not None else None for k, v in vars(value).items()}
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        return out


@dataclass(frozen=True)
class OutboxRow:
    """A stored message waiting for (or done with) delivery."""

    id: int
    #: The owner: an invitation, or (order mail) ``None`` and :attr:`order_number` set.
    invitation_id: str | None
    kind: MessageKind
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes = field(repr=False)
    smtputf8: bool
    state: DeliveryState
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    lease_owner: str | None
    lease_until: datetime | None
    created_at: datetime
    sent_at: datetime | None
    #: The credential order that owns an order mail (``None`` for invitation mail).
    order_number: int | None = None

    def to_message(self) -> OutgoingMessage:
        """The exact bytes stored at issue time; ``key`` is the row id."""
        return OutgoingMessage(
            self.message_id, self.sender, self.recipients, self.data, self.smtputf8,
            key=str(self.id),
        )


# -- the credential order form ("tunnustilauslomake") --

class OrderStatus(enum.StrEnum):
    """Where a credential order stands: received, then approved or rejected."""

    RECEIVED = "received"
    APPROVED = "approved"
    REJECTED = "rejected"


class OrderReason(enum.StrEnum):
    """Why credentials are ordered: the two choices of the form."""

    #: "Yrityksellä ei ole pääkäyttäjää".
    NO_MAIN_USER = "no_main_user"
    #: "Pääkäyttäjä vaihdetaan": the previous main user is replaced.
    MAIN_USER_CHANGED = "main_user_changed"


@dataclass(frozen=True)
class CredentialOrder:
    """One submitted credential order form and the operator's decision on it."""

    #: The store's sequence number; :attr:`reference` is what people see.
    number: int
    company: Company
    reason: OrderReason
    orderer_name: str
    orderer_email: str
    main_user_first_name: str
    main_user_last_name: str
    main_user_email: str
    services: tuple[str, ...]
    #: "Tilaa myös logistiikan sopimus": the company orders the contract too.
    order_contract: bool
    #: The orderer's language first: the order's mails and the invitation use them.
    languages: tuple[str, ...]
    status: OrderStatus
    created_at: datetime
    orderer_phone: str | None = None
    previous_main_user_name: str | None = None
    previous_main_user_email: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    #: A key of the rejection reasons list, or ``"other"`` with :attr:`rejection_text`.
    rejection_code: str | None = None
    rejection_text: str | None = None
    #: The main-user invitation issued on approval.
    invitation_id: str | None = None

    @property
    def reference(self) -> str:
        """The human reference, e.g. ``TT-2026-000123`` (year of receipt, number)."""
        return order_reference(self.created_at.year, self.number)

    @property
    def company_id(self) -> str:
        return self.company.business_id

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view (times as ISO 8601), the reference included."""
        out: dict[str, object] = {"reference": self.reference}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, Company):
                value = dict(vars(value))
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        return out


def order_reference(year: int, number: int) -> str:
    """``TT-<year>-<number, six digits>``: the reference a person quotes."""
    return f"TT-{year:04d}-{number:06d}"


# -- what a transport is handed and what it answers --

@dataclass(frozen=True)
class OutgoingMessage:
    """A message ready for the wire: envelope plus the exact bytes of DATA."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes
    #: True when an address needs SMTPUTF8 (non-ASCII local part or domain).
    smtputf8: bool = False
    #: Opaque key the outbox uses to match a result to its row.
    key: str = field(default="", compare=False)


class SendStatus(enum.StrEnum):
    ACCEPTED = "accepted"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"


@dataclass(frozen=True)
class SendResult:
    """What happened to one message: status plus the server's reply, if any."""

    status: SendStatus
    code: int | None = None
    reply: str = ""

    @property
    def accepted(self) -> bool:
        return self.status is SendStatus.ACCEPTED
