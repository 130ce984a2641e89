"""The credential order form ("tunnustilauslomake"): how a company without a main
user gets one, or replaces the one who left ("Pääkäyttäjä vaihdetaan").

- :mod:`~invitations.orders.form`: the form's values and their checks
- :mod:`~invitations.orders.service`: :class:`OrderService` (submit, approve, reject)
- :mod:`~invitations.orders.mails`: the acknowledgement and rejection mails
"""

from __future__ import annotations

from invitations.models import CredentialOrder, OrderReason, OrderStatus
from invitations.orders.form import SERVICES, OrderForm, validate_order
from invitations.orders.service import (
    MAIN_USER_REPLACED,
    ORDER_APPROVED,
    ORDER_RECEIVED,
    ORDER_REJECTED,
    REJECTION_CODES,
    OrderService,
)

__all__ = [
    "MAIN_USER_REPLACED",
    "ORDER_APPROVED",
    "ORDER_RECEIVED",
    "ORDER_REJECTED",
    "REJECTION_CODES",
    "SERVICES",
    "CredentialOrder",
    "OrderForm",
    "OrderReason",
    "OrderService",
    "OrderStatus",
    "validate_order",
]
