"""The assertions on a mail the toolkit really rendered, and on a broken copy of it."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from devsmtp.testing import Capture, CapturedMail, MailAssertionError
from invitations import Company, InvitationService, Inviter

HELSINKI = ZoneInfo("Europe/Helsinki")
FI = "Tämä on kutsu rekisteröityä Postin asiointiportaalin käyttäjäksi."
EN = "This is an invitation to register as a user of Posti's service portal."


@pytest.fixture
def real_mail(invitation_service: InvitationService, smtp_capture: Capture) -> CapturedMail:
    company = Company("2077474-0", "Ö'Brien & Co", contract_number="LC-9")
    inviter = Inviter("op@posti.example", "Asiakaspalvelu", role="operator")
    invitation_service.send_invite(smtp_capture.address("x"), company=company,
                                   invited_by=inviter, role="main_user")
    return smtp_capture.wait_for()


def broken(mail: CapturedMail, old: str, new: str) -> CapturedMail:
    msg = mail.message
    html = msg.get_body(("html",))
    assert html is not None and old in html.get_content()
    html.set_content(html.get_content().replace(old, new, 1), subtype="html")
    return CapturedMail.from_message(msg)


def test_a_real_invitation_passes_every_assertion(real_mail: CapturedMail) -> None:
    real_mail.assert_languages("fi", "sv", "en")
    real_mail.assert_headers_safe()
    real_mail.assert_no_untranslated()
    assert "Ö'Brien & Co" in real_mail.section("sv").text


def test_english_text_in_the_finnish_section_is_caught(real_mail: CapturedMail) -> None:
    copy = broken(real_mail, FI, EN)
    with pytest.raises(MailAssertionError, match=r"\[fi\] contains (msgid|en) text"):
        copy.assert_no_untranslated()


def test_a_wrong_date_in_one_section_is_caught(real_mail: CapturedMail) -> None:
    # Only the Swedish visible date moves a day; its <time datetime> stays right.
    local = real_mail.invitation.expires_at.astimezone(HELSINKI)
    moved = local + timedelta(days=1)
    copy = broken(real_mail, f">{local.day}.{local.month}.{local.year} kl.",
                  f">{moved.day}.{moved.month}.{moved.year} kl.")
    with pytest.raises(MailAssertionError, match="expiry differs between sections"):
        copy.assert_languages("fi", "sv", "en")
