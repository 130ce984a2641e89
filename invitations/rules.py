"""The source document's rules on who may do what with an invitation, and when
an invitation is closed. Shared by :mod:`invitations.service` and bulk rows.
"""

from __future__ import annotations

import hmac

from invitations.errors import InvitationRevoked, InvitationUsed, NotAuthorized
from invitations.models import Invitation, InvitationStatus, Inviter, Role
from invitations.tokens import hash_nonce

__all__ = ["authorize_issue", "authorize_manage", "nonce_matches", "raise_if_closed"]

_USED = (InvitationStatus.ACCEPTED, InvitationStatus.AWAITING_CONFIRMATION)


def authorize_issue(inviter: Inviter, company_id: str, role: Role) -> None:
    """The document: main users invite users of their own company; customer service
    (an operator, acting on the credential order form) invites main users."""
    if role is Role.MAIN_USER:
        if inviter.role != Role.OPERATOR:
            raise NotAuthorized("operator_required", company_id=company_id)
    elif inviter.role != Role.MAIN_USER or inviter.company_id != company_id:
        raise NotAuthorized("main_user_required", company_id=company_id)


def authorize_manage(inviter: Inviter, invitation: Invitation) -> None:
    """Resend/revoke: whoever may issue it, or customer service for any invitation."""
    if inviter.role == Role.OPERATOR:
        return
    authorize_issue(inviter, invitation.company.business_id, invitation.role)


def raise_if_closed(invitation: Invitation) -> None:
    """Raise if the invitation was used (or awaits confirmation) or revoked."""
    if invitation.status in _USED:
        raise InvitationUsed()
    if invitation.status is InvitationStatus.REVOKED:
        raise InvitationRevoked()


def nonce_matches(stored_hash: str | None, nonce: str) -> bool:
    """Whether ``nonce`` is the one whose hash was stored (constant time)."""
    return stored_hash is not None and hmac.compare_digest(stored_hash, hash_nonce(nonce))
