"""Render invitation, confirmation and notice mail into ready-to-send messages.

Public API: :func:`compose_invitation`, :func:`compose_confirmation`,
:func:`compose_undeliverable`, :func:`compose_order` (credential order mail), the
context types, and for previews and tests :class:`Renderer`,
:func:`renderer_for` and :class:`RenderedEmail`.
"""

from __future__ import annotations

from invitations.models import OutgoingMessage
from invitations.rendering.context import (
    ConfirmationEmail,
    InvitationEmail,
    OrderEmail,
    UndeliverableEmail,
)
from invitations.rendering.renderer import RenderedEmail, Renderer, renderer_for
from invitations.theme import POSTI, Theme


def compose_invitation(email: InvitationEmail, *, theme: Theme | None = None) -> OutgoingMessage:
    """The trilingual (or single-language) invitation, as a ready message."""
    return renderer_for(theme or POSTI).compose_invitation(email)


def compose_confirmation(
    email: ConfirmationEmail, *, theme: Theme | None = None
) -> OutgoingMessage:
    """The mail that confirms a changed e-mail address, as a ready message."""
    return renderer_for(theme or POSTI).compose_confirmation(email)


def compose_undeliverable(
    email: UndeliverableEmail, *, theme: Theme | None = None
) -> OutgoingMessage:
    """The notice that an invitation could not be delivered, as a ready message."""
    return renderer_for(theme or POSTI).compose_undeliverable(email)


def compose_order(email: OrderEmail, *, theme: Theme | None = None) -> OutgoingMessage:
    """A credential order's acknowledgement or rejection, as a ready message."""
    return renderer_for(theme or POSTI).compose_order(email)


__all__ = [
    "ConfirmationEmail",
    "InvitationEmail",
    "OrderEmail",
    "OutgoingMessage",
    "RenderedEmail",
    "Renderer",
    "UndeliverableEmail",
    "compose_confirmation",
    "compose_invitation",
    "compose_order",
    "compose_undeliverable",
    "renderer_for",
]
