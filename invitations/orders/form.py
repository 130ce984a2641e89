"""The credential order form's values, checked field by field.

:func:`validate_order` turns what a person typed (:class:`OrderForm`) into a
:class:`~invitations.models.CredentialOrder` ready to store, or raises
:class:`~invitations.errors.OrderRejected` naming every field that is wrong,
each in the reader's language. Nothing here stores anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from invitations.errors import (
    ContractChoiceRequired,
    FieldError,
    FieldRequired,
    InvalidInput,
    InvitationError,
    OrderRejected,
    TermsNotAccepted,
)
from invitations.i18n.formatting import Text
from invitations.i18n.texts import T_
from invitations.models import Company, CredentialOrder, OrderReason, OrderStatus
from invitations.validation import (
    MAX_COMPANY_NAME,
    MAX_CONTRACT_NUMBER,
    MAX_NAME,
    check_text,
    normalize_business_id,
    normalize_email,
    optional_text,
)

__all__ = ["MAX_PHONE", "SERVICES", "OrderForm", "validate_order"]

#: The services the form offers (the document's one: SmartShip).
SERVICES = ("smartship",)
MAX_PHONE = 40
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{4,38}")
_T = TypeVar("_T")


@dataclass(frozen=True)
class OrderForm:
    """What the credential order form submits, as typed (all text; boxes as flags)."""

    company_id: str = ""
    company_name: str = ""
    orderer_name: str = ""
    orderer_email: str = ""
    orderer_phone: str = ""
    main_user_first_name: str = ""
    main_user_last_name: str = ""
    main_user_email: str = ""
    #: ``no_main_user`` or ``main_user_changed`` (:class:`~invitations.models.OrderReason`).
    reason: str = ""
    previous_main_user_name: str = ""
    previous_main_user_email: str = ""
    smartship: bool = False
    #: "Tilaa myös logistiikan sopimus".
    order_contract: bool = False
    contract_number: str = ""
    terms: bool = False

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> OrderForm:
        """The form from posted fields: text as given, a box ticked when not empty."""
        values: dict[str, Any] = {}
        for name, spec in cls.__dataclass_fields__.items():
            value = fields.get(name, "")
            values[name] = bool(value) if spec.type == "bool" else value
        return cls(**values)


class _Checker:
    """Runs each field's check, keeping every error instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run(self, field: str, check: Callable[[], _T]) -> _T | None:
        try:
            return check()
        except InvitationError as error:
            self.errors.append(FieldError.from_error(error, field))
            return None


def _phone(value: str) -> str | None:
    text = optional_text("orderer_phone", value, limit=MAX_PHONE)
    if text is not None and not _PHONE.fullmatch(text):
        raise InvalidInput("orderer_phone", reason=Text(T_(
            "give digits, spaces and a leading + only, e.g. +358 40 123 4567")))
    return text


def _reason(value: str) -> OrderReason:
    if not value:
        raise FieldRequired("reason")
    try:
        return OrderReason(value)
    except ValueError:
        raise InvalidInput("reason", reason=Text(T_("choose one of the two options"))) from None


def validate_order(form: OrderForm, *, languages: Sequence[str], now: datetime
                   ) -> CredentialOrder:
    """The order the form describes (``number`` 0: the store assigns it), or
    :class:`~invitations.errors.OrderRejected` with every field's problem."""
    c = _Checker()
    business_id = c.run("company_id", lambda: normalize_business_id(form.company_id))
    company_name = c.run("company_name", lambda: check_text(
        "company_name", form.company_name, limit=MAX_COMPANY_NAME))
    orderer_name = c.run("orderer_name", lambda: check_text(
        "orderer_name", form.orderer_name, limit=MAX_NAME))
    orderer_email = c.run("orderer_email", lambda: normalize_email(
        form.orderer_email, "orderer_email"))
    phone = c.run("orderer_phone", lambda: _phone(form.orderer_phone))
    first = c.run("main_user_first_name", lambda: check_text(
        "main_user_first_name", form.main_user_first_name, limit=MAX_NAME))
    last = c.run("main_user_last_name", lambda: check_text(
        "main_user_last_name", form.main_user_last_name, limit=MAX_NAME))
    main_email = c.run("main_user_email", lambda: normalize_email(
        form.main_user_email, "main_user_email"))
    reason = c.run("reason", lambda: _reason(form.reason))
    changed = reason is OrderReason.MAIN_USER_CHANGED
    previous_name = c.run("previous_main_user_name", lambda: optional_text(
        "previous_main_user_name", form.previous_main_user_name if changed else None,
        limit=MAX_NAME))
    previous_email = c.run("previous_main_user_email", lambda: (
        normalize_email(form.previous_main_user_email, "previous_main_user_email")
        if changed and form.previous_main_user_email.strip() else None))
    contract = c.run("contract_number", lambda: optional_text(
        "contract_number", form.contract_number, limit=MAX_CONTRACT_NUMBER))
    if form.smartship and not contract and not form.order_contract:
        c.run("contract_number", lambda: _raise(ContractChoiceRequired("contract_number")))
    if not form.terms:
        c.run("terms", lambda: _raise(TermsNotAccepted("terms")))
    if c.errors:
        raise OrderRejected(c.errors)
    assert business_id and company_name and orderer_name and orderer_email and reason
    assert first and last and main_email
    return CredentialOrder(
        number=0, company=Company(business_id, company_name, contract), reason=reason,
        orderer_name=orderer_name, orderer_email=orderer_email, orderer_phone=phone,
        main_user_first_name=first, main_user_last_name=last, main_user_email=main_email,
        previous_main_user_name=previous_name, previous_main_user_email=previous_email,
        services=SERVICES if form.smartship else (),
        order_contract=form.order_contract and not contract,
        languages=tuple(languages), status=OrderStatus.RECEIVED, created_at=now,
    )


def _raise(error: InvitationError) -> None:
    raise error
