"""The two mails of a credential order: the acknowledgement to the orderer
("Tunnustilaus vastaanotettu / ...") and, if it comes to that, the rejection with
its reason and what to do. Same templates machinery, languages and catalog gate
as the invitation (``templates/email/order_received``, ``order_rejected``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import make_msgid

from invitations.models import CredentialOrder, MessageKind, OutgoingMessage
from invitations.rendering import OrderEmail, compose_order

__all__ = ["order_mail"]


def order_mail(order: CredentialOrder, kind: MessageKind, *, sender: str, msgid_domain: str,
               form_url: str, now: datetime, validity: timedelta) -> OutgoingMessage:
    """The ``kind`` mail (``order_received`` or ``order_rejected``) of ``order``."""
    other = order.rejection_code == "other"
    return compose_order(OrderEmail(
        kind=str(kind), reference=order.reference, to_email=order.orderer_email,
        to_name=order.orderer_name, company_name=order.company.name,
        business_id=order.company.business_id, reason=str(order.reason),
        main_user_name=f"{order.main_user_first_name} {order.main_user_last_name}",
        main_user_email=order.main_user_email, services=order.services,
        order_contract=order.order_contract, contract_number=order.company.contract_number,
        form_url=form_url, languages=order.languages,
        message_id=make_msgid(domain=msgid_domain), sender=sender, sent_at=now,
        rejection_code=order.rejection_code,
        rejection_text=order.rejection_text if other else None, validity=validity,
    ))
