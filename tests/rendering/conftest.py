"""Fixtures for the mail rendering tests: sample contexts with fixed instants."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from invitations.rendering import ConfirmationEmail, InvitationEmail

#: 14.3.2025 15.05 in Helsinki (UTC+2 in March).
EXPIRES = datetime(2025, 3, 14, 13, 5, tzinfo=UTC)
LINK = "http://127.0.0.1:8000/register?token=eyJpZCI6ImFiYyJ9.Zx1Ab_c-9"


@pytest.fixture
def invitation() -> Callable[..., InvitationEmail]:
    """Build an invitation context; keyword arguments override the sample."""
    base = InvitationEmail(
        invitation_id="inv-1",
        to_email="matti.virtanen@example.com",
        to_name="Matti Virtanen",
        company_name="Esimerkki Oy",
        inviter_name="Maija Meikäläinen",
        invited_role="user",
        link=LINK,
        expires_at=EXPIRES,
        validity=timedelta(days=7),
        languages=("fi", "sv", "en"),
        message_id="<inv-1.1@posti.fi>",
        sender="Posti <noreply@posti.fi>",
        sent_at=EXPIRES - timedelta(days=7),
    )

    def make(**changes: object) -> InvitationEmail:
        return dataclasses.replace(base, **changes)  # type: ignore[arg-type]

    return make


@pytest.fixture
def confirmation() -> Callable[..., ConfirmationEmail]:
    """Build an e-mail confirmation context; keyword arguments override the sample."""
    base = ConfirmationEmail(
        invitation_id="inv-1",
        to_email="matti.uusi@example.com",
        to_name="Matti Virtanen",
        link="http://127.0.0.1:8000/confirm-email?token=abc.def",
        expires_at=EXPIRES,
        validity=timedelta(days=1),
        languages=("fi", "sv", "en"),
        message_id="<conf-1.1@posti.fi>",
        sender="Posti <noreply@posti.fi>",
        sent_at=EXPIRES - timedelta(days=1),
    )

    def make(**changes: object) -> ConfirmationEmail:
        return dataclasses.replace(base, **changes)  # type: ignore[arg-type]

    return make
