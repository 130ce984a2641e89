"""The credential order form ("tunnustilauslomake"): how a company without a main
user gets one, or replaces the one who left ("Pääkäyttäjä vaihdetaan").

- :mod:`~invitations.orders.form`: the form's values and their checks
- :mod:`~invitations.orders.service`: :class:`OrderService` (submit, approve, reject)
- :mod:`~invitations.orders.mails`: the acknowledgement and rejection mails
- :mod:`~invitations.orders.events`: the events hook
"""

from __future__ import annotations

from invitations.models import CredentialOrder, OrderReason, OrderStatus
from invitations.orders.events import OrderEvents
from invitations.orders.form import SERVICES, OrderForm, validate_order
from invitations.orders.service import REJECTION_CODES, OrderService

__all__ = [
    "REJECTION_CODES",
    "SERVICES",
    "CredentialOrder",
    "OrderEvents",
    "OrderForm",
    "OrderReason",
    "OrderService",
    "OrderStatus",
    "validate_order",
]
