"""Which page a service error leads to, and what that page needs to say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from invitations.errors import InvitationError, InvitationExpired, InvitationInvalid
from invitations.models import Invitation

#: Fields of the form, in the order the page shows them.
FORM_FIELDS = ("first_name", "last_name", "email", "username", "password")

#: Page kind -> HTTP status. ``410 Gone``: the link worked once and never will again.
PROBLEM_STATUS = {
    "expired": 410,
    "used": 410,
    "revoked": 410,
    "invalid": 400,
    "session": 400,
    "forbidden": 403,
    # The form was shown for another invitation than the one now open in this browser.
    "switched": 409,
    "error": 400,
}

_KIND_BY_CODE = {
    "invitation_expired": "expired",
    "confirmation_expired": "expired",
    "invitation_used": "used",
    "invitation_revoked": "revoked",
}


class InvitationLookup(Protocol):
    def get(self, invitation_id: str) -> Invitation: ...


@dataclass(frozen=True)
class Problem:
    """A page that explains why the link cannot be used and whom to contact."""

    kind: str
    #: ``"user"`` or ``"main_user"``: an expired main-user invitation goes to customer service.
    role: str = "user"
    expires_at: datetime | None = None
    #: True for the e-mail confirmation link rather than the invitation link.
    confirmation: bool = False
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def status_code(self) -> int:
        return PROBLEM_STATUS[self.kind]

    @property
    def template(self) -> str:
        return f"{self.kind}.html"


def problem_for(error: InvitationError, lookup: InvitationLookup) -> Problem:
    """Map a service error to its page; anything unrecognised is a generic invalid link."""
    kind = _KIND_BY_CODE.get(error.code)
    if kind is None:
        # Tampered, malformed, superseded or unknown: one generic page, so that
        # probing the endpoint teaches nothing about tokens or invitations.
        kind = "invalid" if isinstance(error, InvitationInvalid) else "error"
    context: dict[str, Any] = {}
    if kind == "error":
        context["detail_messages"] = {lang: error.message(lang) for lang in ("fi", "sv", "en")}
        # not_authorized and contract-number errors point to the credential order form.
        context["code"] = error.code
    if isinstance(error, InvitationExpired):
        context.update(_invitation_context(error.invitation_id, lookup))
        return Problem(kind, role=str(error.role), expires_at=error.expires_at, context=context)
    return Problem(
        kind,
        expires_at=getattr(error, "expires_at", None),
        confirmation=error.code == "confirmation_expired",
        context=context,
    )


def problem_for_status(invitation: Invitation) -> Problem | None:
    """The page for an invitation that verified but is no longer pending, if any."""
    status = str(invitation.status)
    if status in ("accepted", "awaiting_confirmation"):
        return Problem("used", role=str(invitation.role), context=invitation_context(invitation))
    if status == "revoked":
        return Problem("revoked", role=str(invitation.role), context=invitation_context(invitation))
    if status == "expired":
        return Problem(
            "expired",
            role=str(invitation.role),
            expires_at=invitation.expires_at,
            context=invitation_context(invitation),
        )
    return None


def invitation_context(invitation: Invitation) -> dict[str, Any]:
    """Who invited whom, for the pages: names only, never tokens."""
    return {
        "company_name": invitation.company.name,
        "inviter_name": invitation.inviter.name or invitation.inviter.id,
    }


def _invitation_context(invitation_id: str | None, lookup: InvitationLookup) -> dict[str, Any]:
    # Read-only: the expired page names the main user who sent the invitation.
    if not invitation_id:
        return {}
    try:
        return invitation_context(lookup.get(invitation_id))
    except InvitationError:
        return {}


def field_errors(errors: Any, lang: str, fields: Sequence[str] = FORM_FIELDS
                 ) -> tuple[dict[str, list[str]], list[str]]:
    """Split a rejection's errors into per-field messages (of ``fields``, the form's)
    and the rest, in ``lang``."""
    by_field: dict[str, list[str]] = {name: [] for name in fields}
    other: list[str] = []
    for error in errors:
        target = by_field.get(error.field)
        (target if target is not None else other).append(error.message(lang))
    return by_field, other
