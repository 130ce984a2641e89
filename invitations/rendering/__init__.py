"""Render invitation and confirmation mail into ready-to-send messages.

Public API: :func:`compose_invitation`, :func:`compose_confirmation` and the
context types. (Temporary plain-text implementation until the trilingual
template issue replaces ``_plain``.)
"""

from __future__ import annotations

from ..transports.base import OutgoingMessage
from ._plain import compose_confirmation, compose_invitation
from .context import ConfirmationEmail, InvitationEmail

__all__ = [
    "ConfirmationEmail",
    "InvitationEmail",
    "OutgoingMessage",
    "compose_confirmation",
    "compose_invitation",
]
