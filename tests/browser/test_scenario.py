"""The whole QA scenario in headless Chromium, as a person would click through it.

devsmtp's web inbox -> the invitation arrives live -> the message with its
three language sections and the invitation panel -> the registration link ->
a password that breaks three rules -> success -> "already used" -> a second
invitation past its 7 days -> the expired page naming whom to contact.
Every step is saved as a screenshot in the test's ``screenshots`` directory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .scenario_support import (
    BAD_PASSWORD,
    GOOD_PASSWORD,
    Screenshots,
    Site,
    expect_three_password_errors,
    fill_registration,
    full_site,
)

pytestmark = pytest.mark.browser

SUBJECT = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with full_site(tmp_path) as running:
        yield running


def _open_in_inbox(page: Page, shots: Screenshots, site: Site, email: str, step: str) -> str:
    """Send an invitation while the inbox is open; return the registration link."""
    rows = page.get_by_test_id("inbox-row")
    before = rows.count()
    invitation = site.invite(email)
    assert invitation.link is not None
    # Arrives without a reload: the inbox follows devsmtp's event stream.
    new_row = rows.filter(has_text=email)
    expect(new_row).to_have_count(1, timeout=10_000)
    expect(rows).to_have_count(before + 1)
    expect(new_row.get_by_test_id("row-subject")).to_have_text(SUBJECT)
    shots(page, f"{step}-inbox-live")
    new_row.get_by_test_id("row-subject").click()
    expect(page.get_by_test_id("message-subject")).to_have_text(SUBJECT)
    return invitation.link


def test_full_registration_scenario(
    site: Site, page: Page, context: BrowserContext, screenshots: Path
) -> None:
    shots = Screenshots(screenshots)

    # 1. Open the inbox and wait until it follows new mail live.
    page.goto(site.inbox_url)
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
    shots(page, "inbox-open")

    # 2-4. Send an invitation, see it appear without reloading, open it.
    link = _open_in_inbox(page, shots, site, "uusi.kayttaja@example.com", "first")
    expect(page.get_by_test_id("message-to")).to_contain_text("uusi.kayttaja@example.com")

    # 5. Three language sections, in order, all consistent; the invitation panel.
    panel = page.get_by_test_id("invitation-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("invitation-state")).to_have_attribute("data-state", "valid")
    expect(panel.get_by_test_id("invitation-time-left")).to_have_text(re.compile(r"^7\D"))
    sections = panel.get_by_test_id("language-section")
    expect(sections).to_have_count(3)
    for index, lang in enumerate(("fi", "sv", "en")):
        expect(sections.nth(index)).to_have_attribute("data-lang", lang)
        expect(sections.nth(index)).to_have_attribute("data-ok", "true")
    expect(sections.nth(0)).to_contain_text("Käyttäjärekisteröinti tehdään osoitteessa")
    expect(panel.get_by_test_id("language-check")).to_have_attribute("data-ok", "true")
    expect(panel.get_by_test_id("open-link")).to_have_attribute("href", link)
    preview = page.frame_locator('[data-testid="preview"]').locator("body")
    expect(preview).to_contain_text("Käyttäjärekisteröinti tehdään osoitteessa")
    expect(preview).to_contain_text("User registration is done at")
    shots(page, "message-panel")

    # 6. Click the link (the panel opens it in a new tab).
    with context.expect_page() as opened:
        panel.get_by_test_id("open-link").click()
    form = opened.value
    form.wait_for_load_state()
    expect(form.get_by_test_id("page-register")).to_be_visible()
    assert form.url.endswith("/register"), form.url  # the token left the address bar
    expect(form.get_by_label("Sähköpostiosoite")).to_have_value("uusi.kayttaja@example.com")
    shots(form, "registration-form")

    # 7. A password that breaks three rules, in the chosen language (English).
    form.get_by_test_id("lang-en").click()
    fill_registration(form, password=BAD_PASSWORD)
    form.get_by_role("button", name="Next").click()
    expect_three_password_errors(form, "en")
    shots(form, "password-errors-en")

    # 8-9. Valid data; success.
    fill_registration(form, password=GOOD_PASSWORD)
    form.get_by_role("button", name="Next").click()
    expect(form.get_by_test_id("success-title")).to_have_text("Registration complete")
    shots(form, "registered")

    # 10. The same link again: already used (and the inbox's panel agrees).
    form.goto(link)
    expect(form.get_by_test_id("page-used")).to_be_visible()
    expect(form.get_by_test_id("problem-title")).to_have_text("Kutsu on jo käytetty")
    shots(form, "already-used")
    page.reload()
    expect(page.get_by_test_id("invitation-state")).to_have_attribute("data-state", "used")

    # 11. A second invitation, then past its 7 days: the expired page names the main user.
    page.get_by_test_id("back").click()
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
    second = _open_in_inbox(page, shots, site, "toinen.kayttaja@example.com", "second")
    site.clock.advance(days=7, seconds=1)
    page.reload()
    expect(page.get_by_test_id("invitation-state")).to_have_attribute("data-state", "expired")
    shots(page, "second-message-expired")
    form.goto(second)
    expect(form.get_by_test_id("page-expired")).to_be_visible()
    expect(form.get_by_test_id("contact-main-user")).to_contain_text(
        "Ole yhteydessä yrityksesi pääkäyttäjään"
    )
    expect(form.get_by_test_id("inviter")).to_contain_text("Maija Pääkäyttäjä")
    expect(form.get_by_test_id("customer-service-link")).to_have_count(0)
    shots(form, "expired-page")

    assert [path.name.split("-", 1)[1] for path in shots.taken] == [
        "inbox-open.png", "first-inbox-live.png", "message-panel.png", "registration-form.png",
        "password-errors-en.png", "registered.png", "already-used.png", "second-inbox-live.png",
        "second-message-expired.png", "expired-page.png",
    ]
