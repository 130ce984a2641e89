"""Every mail variant the gates check: language orders, single languages,
the main user's invitation, the address confirmation and the notice that an
invitation could not be delivered (each reason once)."""

from __future__ import annotations

import itertools

from invitations.models import OutgoingMessage
from invitations.rendering import (
    ConfirmationEmail,
    InvitationEmail,
    RenderedEmail,
    UndeliverableEmail,
    renderer_for,
)
from invitations.rendering.samples import (
    sample_confirmation,
    sample_invitation,
    sample_undeliverable,
)
from invitations.undeliverable import UndeliverableReason

#: A link as the service writes it (compact token, 110 characters).
LINK = ("https://portal.example.fi/register?token="
        "AVZQpA3kc0HYow5tmy6hVYUKAdoyihWS0Q.axOecg.zgQKBMdCNKUgeZDQhJYrEtNQyD8")

ORDERS = [tuple(order) for order in itertools.permutations(("fi", "sv", "en"))]
VARIANTS: dict[str, dict[str, object]] = {
    **{"invitation-" + "-".join(order): {"languages": order} for order in ORDERS},
    **{f"invitation-{lang}": {"languages": (lang,)} for lang in ("fi", "sv", "en")},
    "invitation-main-user": {"invited_role": "main_user"},
    "invitation-main-user-sv": {"invited_role": "main_user", "languages": ("sv",)},
    "confirmation": {},
    "confirmation-en": {"languages": ("en",)},
    **{f"undeliverable-{reason}": {"reason": str(reason)} for reason in UndeliverableReason},
    "undeliverable-sv": {"languages": ("sv",), "to_name": None, "diagnostic": ""},
}


def _email(name: str) -> InvitationEmail | ConfirmationEmail | UndeliverableEmail:
    changes = VARIANTS[name]
    if name.startswith("undeliverable"):
        return sample_undeliverable(**changes)
    if name.startswith("confirmation"):
        link = LINK.replace("/register", "/confirm-email")
        return sample_confirmation(link=link, **changes)
    return sample_invitation(link=LINK, **changes)


def rendered(name: str) -> RenderedEmail:
    email = _email(name)
    if isinstance(email, ConfirmationEmail):
        return renderer_for().render_confirmation(email)
    if isinstance(email, UndeliverableEmail):
        return renderer_for().render_undeliverable(email)
    return renderer_for().render_invitation(email)


def composed(name: str) -> OutgoingMessage:
    email = _email(name)
    return renderer_for().compose(email, rendered(name))
