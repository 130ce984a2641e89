"""Sample mail contexts for previews, benchmarks and tests (never sent)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from invitations.rendering.context import ConfirmationEmail, InvitationEmail, UndeliverableEmail

#: 14.3.2025 15.05 in Helsinki (UTC+2 in March).
SAMPLE_EXPIRES = datetime(2025, 3, 14, 13, 5, tzinfo=UTC)
SAMPLE_LINK = "https://asiointi.example.fi/register?token=SAMPLE-TOKEN"
SAMPLE_VALIDITY = timedelta(days=7)
#: As the service's default (``DEFAULT_CONFIRMATION_VALIDITY``).
SAMPLE_CONFIRMATION_VALIDITY = timedelta(hours=24)


def sample_invitation(**changes: object) -> InvitationEmail:
    """An invitation to Matti from Maija at Esimerkki Oy; ``changes`` override fields."""
    sample = InvitationEmail(
        invitation_id="sample",
        to_email="matti.virtanen@example.fi",
        to_name="Matti Virtanen",
        company_name="Esimerkki Oy",
        inviter_name="Maija Meikäläinen",
        invited_role="user",
        link=SAMPLE_LINK,
        expires_at=SAMPLE_EXPIRES,
        validity=SAMPLE_VALIDITY,
        languages=("fi", "sv", "en"),
        message_id="<sample.1@posti.fi>",
        sender="Posti <noreply@posti.fi>",
        sent_at=SAMPLE_EXPIRES - SAMPLE_VALIDITY,
    )
    return dataclasses.replace(sample, **changes)  # type: ignore[arg-type]


def sample_confirmation(**changes: object) -> ConfirmationEmail:
    """The e-mail confirmation of the sample invitation; ``changes`` override fields."""
    invitation = sample_invitation()
    sample = ConfirmationEmail(
        invitation_id=invitation.invitation_id,
        to_email=invitation.to_email,
        to_name=invitation.to_name,
        link=SAMPLE_LINK.replace("/register", "/confirm-email"),
        expires_at=invitation.sent_at + SAMPLE_CONFIRMATION_VALIDITY,
        validity=SAMPLE_CONFIRMATION_VALIDITY,
        languages=invitation.languages,
        message_id="<sample.2@posti.fi>",
        sender=invitation.sender,
        sent_at=invitation.sent_at,
    )
    return dataclasses.replace(sample, **changes)  # type: ignore[arg-type]


def sample_undeliverable(**changes: object) -> UndeliverableEmail:
    """The notice to Maija that the sample invitation bounced; ``changes`` override fields."""
    invitation = sample_invitation()
    sample = UndeliverableEmail(
        invitation_id=invitation.invitation_id,
        to_email="maija.meikalainen@example.fi",
        to_name=invitation.inviter_name,
        invited_email=invitation.to_email,
        company_name=invitation.company_name,
        reason="mailbox_unknown",
        diagnostic="550 5.1.1 <matti.virtanen@example.fi>: Recipient address rejected: "
                   "User unknown",
        invited_at=invitation.sent_at,
        languages=invitation.languages,
        message_id="<sample.3@posti.fi>",
        sender=invitation.sender,
        sent_at=invitation.sent_at + timedelta(minutes=1),
    )
    return dataclasses.replace(sample, **changes)  # type: ignore[arg-type]
