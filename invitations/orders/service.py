"""The credential order flow: receive the form, then approve or reject it.

:class:`OrderService` works beside an :class:`~invitations.service.InvitationService`
and shares its store, clock, sender and transport:

- :meth:`OrderService.submit` checks the form, stores the order and queues its
  acknowledgement in one transaction, then sends it. A company with an open
  order gets :class:`~invitations.errors.OrderOpen` naming that order's reference.
- :meth:`OrderService.approve` (an operator): the contract number is required
  when SmartShip is ordered and the company has none; a main-user invitation is
  issued under the usual rules and linked to the order. With "Pääkäyttäjä
  vaihdetaan" the previous main user's open invitations at the company are
  revoked and ``main_user.replaced`` is emitted with that person's details.
- :meth:`OrderService.reject` (an operator): a reason from :data:`REJECTION_CODES`
  (``other`` with a written text); the orderer gets a mail saying why and what to do.

Events go through the service's registry (:mod:`invitations.events`, after commit):
``order.received`` and ``order.rejected`` (no invitation; ``detail``: ``order``, the
reference, and ``company_id``, ``reason`` or ``code``), ``order.approved`` and
``main_user.replaced`` (the new main user's invitation; ``detail`` adds ``operator``,
and for the replacement ``previous_name``, ``previous_email`` and ``revoked``: the ids
of the previous main user's withdrawn invitations, comma-separated).
"""

from __future__ import annotations

import builtins
import logging
import re
from collections.abc import Sequence
from datetime import datetime

from invitations.errors import (
    ContractNumberRequired,
    InvalidChoice,
    InvitationError,
    NotAuthorized,
    OrderDecided,
    OrderNotFound,
    OrderOpen,
)
from invitations.i18n.languages import LANGUAGES
from invitations.models import (
    Company,
    CredentialOrder,
    Invitation,
    InvitationStatus,
    Inviter,
    MessageKind,
    OrderReason,
    OrderStatus,
    OutgoingMessage,
    Role,
)
from invitations.orders.form import OrderForm, validate_order
from invitations.orders.mails import order_mail
from invitations.service import InvitationService, check_sender
from invitations.store.orders import OrderStore
from invitations.validation import (
    MAX_CONTRACT_NUMBER,
    check_text,
    normalize_choice,
    normalize_inviter,
    normalize_languages,
    optional_text,
)

__all__ = ["MAIN_USER_REPLACED", "ORDER_APPROVED", "ORDER_RECEIVED", "ORDER_REJECTED",
           "REJECTION_CODES", "OrderService"]

#: A credential order was stored (and its acknowledgement queued).
ORDER_RECEIVED = "order.received"
#: Customer service approved an order; the main user's invitation is the event's.
ORDER_APPROVED = "order.approved"
ORDER_REJECTED = "order.rejected"
#: "Pääkäyttäjä vaihdetaan" was approved: the host removes the previous main user's rights.
MAIN_USER_REPLACED = "main_user.replaced"

#: Why an order may be rejected; each has its explanation and advice in the mail.
REJECTION_CODES = ("company_mismatch", "not_entitled", "has_main_user", "incomplete", "other")
MAX_REJECTION_TEXT = 500
_REFERENCE = re.compile(r"TT-(\d{4})-(\d{6,})", re.IGNORECASE)
#: Invitations of the previous main user that approval of "Pääkäyttäjä vaihdetaan" revokes.
_OPEN = (InvitationStatus.PENDING, InvitationStatus.EXPIRED,
         InvitationStatus.AWAITING_CONFIRMATION)

log = logging.getLogger("invitations.orders")


class OrderService:
    """Credential orders on top of ``invitations`` (its store must keep orders too:
    both SQL stores do). ``form_url``: where the order form is, for the mails
    (default ``<base_url>/order``, the reference app)."""

    def __init__(self, invitations: InvitationService, *, form_url: str | None = None
                 ) -> None:
        self.invitations = invitations
        store = invitations.store
        if not isinstance(store, OrderStore):
            raise TypeError(f"{type(store).__name__} keeps no credential orders")
        self.store: OrderStore = store
        self.form_url = form_url or f"{invitations.base_url}/order"
        #: The service's registry: subscribe there (``events.subscribe(handler)``).
        self.events = invitations.events
        self._msgid_domain = check_sender(invitations.sender)[1]

    @property
    def languages(self) -> tuple[str, ...]:
        return self.invitations.languages

    def _now(self) -> datetime:
        return self.invitations.clock.now()

    # -- the form -----------------------------------------------------------

    def submit(self, form: OrderForm, *, lang: str | None = None) -> CredentialOrder:
        """Check and store the order; its acknowledgement goes to the orderer in
        ``lang`` first, then the other languages. Raises
        :class:`~invitations.errors.OrderRejected` (fields) or
        :class:`~invitations.errors.OrderOpen` (the company's open order)."""
        langs = self.languages
        if lang is not None:
            langs = normalize_languages([lang, *langs], LANGUAGES)
        now = self._now()
        order = validate_order(form, languages=langs, now=now)
        made: builtins.list[OutgoingMessage] = []

        def acknowledgement(stored: CredentialOrder) -> OutgoingMessage:
            made.append(self._mail(stored, MessageKind.ORDER_RECEIVED, now))
            return made[-1]

        stored, created = self.store.add_order(order, now=now, compose=acknowledgement)
        if not created:
            raise OrderOpen(company_id=stored.company_id, reference=stored.reference)
        log.info("credential order received", extra={
            "order": stored.reference, "company_id": stored.company_id,
            "reason": str(stored.reason)})
        self.invitations.send_now([m.message_id for m in made])
        self.events.emit(ORDER_RECEIVED, None, order=stored.reference,
                         company_id=stored.company_id, reason=str(stored.reason))
        return stored

    # -- the operator's side ------------------------------------------------

    def get(self, reference: str) -> CredentialOrder:
        """The order with this reference (``TT-2026-000123``)."""
        text = check_text("reference", reference, limit=32)
        match = _REFERENCE.fullmatch(text)
        order = None if match is None else self.store.get_order(int(match.group(2)))
        if order is None or order.created_at.year != int(match.group(1) if match else 0):
            raise OrderNotFound(reference=text)
        return order

    def list(self, status: OrderStatus | str | None = None,
             company_id: str | None = None) -> builtins.list[CredentialOrder]:
        """Orders, newest first; optionally one status or one company's."""
        wanted = None if status is None else normalize_choice("status", status, OrderStatus)
        return self.store.list_orders(status=wanted, company_id=company_id)

    def approve(self, reference: str, *, by: Inviter, contract_number: str | None = None
                ) -> tuple[CredentialOrder, Invitation]:
        """Approve the order and invite its main user (the invitation mail goes out).

        ``contract_number`` is required when SmartShip is ordered and the company
        has none (it ordered the contract with the form, say)."""
        operator = self._operator(by)
        order = self._open(reference)
        contract = (optional_text("contract_number", contract_number,
                                  limit=MAX_CONTRACT_NUMBER) or order.company.contract_number)
        if "smartship" in order.services and not contract:
            raise ContractNumberRequired("contract_number")
        if not self.store.decide_order(order.number, status=OrderStatus.APPROVED,
                                       by=operator.id, now=self._now(),
                                       contract_number=contract):
            raise self._decided(order.reference)
        company = Company(order.company.business_id, order.company.name, contract)
        try:
            invitation = self.invitations.send_invite(
                order.main_user_email, company=company, invited_by=operator,
                role=Role.MAIN_USER, services=order.services, languages=order.languages,
                first_name=order.main_user_first_name, last_name=order.main_user_last_name)
        except BaseException:
            self.store.reopen_order(order.number, by=operator.id)
            raise
        self.store.link_order_invitation(order.number, invitation.id)
        approved = self.get(order.reference)
        log.info("credential order approved", extra={
            "order": approved.reference, "company_id": approved.company_id,
            "invitation_id": invitation.id})
        ids = {"order": approved.reference, "company_id": approved.company_id,
               "operator": operator.id}
        if approved.reason is OrderReason.MAIN_USER_CHANGED:
            revoked = self._revoke_previous(approved, operator, keep=invitation.id)
            self.events.emit(MAIN_USER_REPLACED, invitation, **ids,
                             previous_name=approved.previous_main_user_name or "",
                             previous_email=approved.previous_main_user_email or "",
                             revoked=",".join(i.id for i in revoked))
        self.events.emit(ORDER_APPROVED, invitation, **ids)
        return approved, invitation

    def reject(self, reference: str, *, by: Inviter, code: str,
               text: str | None = None) -> CredentialOrder:
        """Reject the order; the orderer gets a mail saying why and what to do."""
        operator = self._operator(by)
        if code not in REJECTION_CODES:
            raise InvalidChoice("rejection", value=str(code), allowed=", ".join(REJECTION_CODES))
        written = optional_text("rejection", text, limit=MAX_REJECTION_TEXT)
        if code == "other" and not written:
            check_text("rejection", "", limit=MAX_REJECTION_TEXT)  # raises FieldRequired
        order = self._open(reference)
        now = self._now()
        decided = CredentialOrder(**{**vars(order), "status": OrderStatus.REJECTED,
                                     "rejection_code": code, "rejection_text": written})
        message = self._mail(decided, MessageKind.ORDER_REJECTED, now)
        if not self.store.decide_order(order.number, status=OrderStatus.REJECTED,
                                       by=operator.id, now=now, rejection_code=code,
                                       rejection_text=written, message=message):
            raise self._decided(order.reference)
        self.invitations.send_now([message.message_id])
        rejected = self.get(order.reference)
        log.info("credential order rejected", extra={
            "order": rejected.reference, "company_id": rejected.company_id, "code": code})
        self.events.emit(ORDER_REJECTED, None, order=rejected.reference,
                         company_id=rejected.company_id, code=code, operator=operator.id)
        return rejected

    # -- internals ----------------------------------------------------------

    @staticmethod
    def _operator(by: Inviter) -> Inviter:
        operator = normalize_inviter(by)
        if operator.role != Role.OPERATOR:
            raise NotAuthorized("operator_required", company_id="-")
        return operator

    def _open(self, reference: str) -> CredentialOrder:
        order = self.get(reference)
        if order.status is not OrderStatus.RECEIVED:
            raise OrderDecided(reference=order.reference, status=str(order.status))
        return order

    def _decided(self, reference: str) -> OrderDecided:
        return OrderDecided(reference=reference, status=str(self.get(reference).status))

    def _mail(self, order: CredentialOrder, kind: MessageKind, now: datetime
              ) -> OutgoingMessage:
        return order_mail(order, kind, sender=self.invitations.sender,
                          msgid_domain=self._msgid_domain, form_url=self.form_url, now=now,
                          validity=self.invitations.validity)

    def _revoke_previous(self, order: CredentialOrder, operator: Inviter, *,
                         keep: str) -> Sequence[Invitation]:
        previous = (order.previous_main_user_email or "").casefold()
        if not previous:
            return ()
        revoked = []
        for invitation in self.invitations.list(company=order.company_id):
            if (invitation.email.casefold() == previous and invitation.id != keep
                    and invitation.status in _OPEN):
                try:
                    revoked.append(self.invitations.revoke(invitation.id, by=operator))
                except InvitationError as error:  # e.g. accepted meanwhile
                    # The host removes that person's rights on main_user.replaced; say why
                    # this invitation was left as it is.
                    log.warning("order %s: invitation %s of the previous main user was not "
                                "revoked: %s", order.reference, invitation.id, error.code,
                                extra={"order": order.reference,
                                       "invitation_id": invitation.id,
                                       "company_id": order.company_id})
                    continue
        return revoked
