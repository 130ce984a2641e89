"""Fixtures for the mail rendering tests: sample contexts with fixed instants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from invitations.rendering import ConfirmationEmail, InvitationEmail
from invitations.rendering.samples import sample_confirmation, sample_invitation

LINK = "http://127.0.0.1:8000/register?token=eyJpZCI6ImFiYyJ9.Zx1Ab_c-9"


@pytest.fixture
def invitation() -> Callable[..., InvitationEmail]:
    """Build an invitation context (expires 14.3.2025 15.05 Helsinki); kwargs override."""
    defaults: dict[str, object] = {
        "to_email": "matti.virtanen@example.com", "link": LINK, "message_id": "<inv-1.1@posti.fi>",
    }
    return lambda **changes: sample_invitation(**{**defaults, **changes})


@pytest.fixture
def confirmation() -> Callable[..., ConfirmationEmail]:
    """Build an e-mail confirmation context valid for one day; kwargs override."""
    defaults: dict[str, object] = {
        "to_email": "matti.uusi@example.com", "validity": timedelta(days=1),
        "link": "http://127.0.0.1:8000/confirm-email?token=abc.def",
        "message_id": "<conf-1.1@posti.fi>",
    }
    return lambda **changes: sample_confirmation(**{**defaults, **changes})
