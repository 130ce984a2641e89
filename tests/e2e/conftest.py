"""Fixtures of the end-to-end suite: a company, its main user and ``invite``."""

from __future__ import annotations

import pytest

from devsmtp.testing import Capture, CapturedMail
from invitations import Company, Invitation, InvitationService, Inviter

from ._people import Invite


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
