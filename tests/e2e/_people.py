"""Values and helpers shared by the end-to-end tests (public API only)."""

from __future__ import annotations

from collections.abc import Callable

from devsmtp.testing import CapturedMail
from invitations import Invitation, Registration

SUBJECT = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"
#: Valid for the names used below: no three consecutive letters of "Alice"/"Äijälä".
PASSWORD = "Kuu#Mets4Polku9"

Invite = Callable[[str], tuple[Invitation, CapturedMail]]


def registration(email: str) -> Registration:
    return Registration("Alice", "Äijälä", email, email, PASSWORD)
