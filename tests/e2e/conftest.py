"""Shared people and companies for the end-to-end suite (public API only)."""

from __future__ import annotations

import pytest

from invitations import Company, Inviter, Registration

SUBJECT = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"
#: Valid for the names used below: no three consecutive letters of "Alice"/"Äijälä".
PASSWORD = "Kuu#Mets4Polku9"


@pytest.fixture
def company() -> Company:
    return Company("0112038-9", "Testi & Kumpp. Oy", contract_number="LC-1234")


@pytest.fixture
def main_user() -> Inviter:
    return Inviter("maija@testi.example", "Maija Mäkelä", role="main_user",
                   company_id="0112038-9")


def registration(email: str) -> Registration:
    return Registration("Alice", "Äijälä", email, email, PASSWORD)
