"""People, companies and an ``invite`` helper for the end-to-end suite (public API only)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devsmtp.testing import Capture, CapturedMail
from invitations import Company, Invitation, InvitationService, Inviter, Registration

SUBJECT = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"
#: Valid for the names used below: no three consecutive letters of "Alice"/"Äijälä".
PASSWORD = "Kuu#Mets4Polku9"

Invite = Callable[[str], tuple[Invitation, CapturedMail]]


@pytest.fixture
def company() -> Company:
    return Company("0112038-9", "Testi & Kumpp. Oy", contract_number="LC-1234")


@pytest.fixture
def main_user() -> Inviter:
    return Inviter("maija@testi.example", "Maija Mäkelä", role="main_user",
                   company_id="0112038-9")


@pytest.fixture
def invite(invitation_service: InvitationService, smtp_capture: Capture, company: Company,
           main_user: Inviter) -> Invite:
    """``invite("alice")``: send an invitation to alice@<test domain>, wait for its mail."""

    def send(local: str) -> tuple[Invitation, CapturedMail]:
        email = smtp_capture.address(local)
        invitation = invitation_service.send_invite(
            email, company=company, invited_by=main_user, first_name="Alice",
            last_name="Äijälä")
        return invitation, smtp_capture.wait_for(to=email)

    return send


def registration(email: str) -> Registration:
    return Registration("Alice", "Äijälä", email, email, PASSWORD)
