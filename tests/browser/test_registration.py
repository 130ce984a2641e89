"""The registration page in headless Chromium: the form, languages, errors, success."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from .scenario_support import (
    BAD_PASSWORD,
    GOOD_PASSWORD,
    OPERATOR,
    Screenshots,
    Site,
    expect_three_password_errors,
    fill_registration,
    registration_site,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with registration_site(tmp_path) as running:
        yield running


@pytest.fixture
def shots(screenshots: Path) -> Screenshots:
    return Screenshots(screenshots)


def _watch(page: Page) -> tuple[list[str], list[Request]]:
    problems: list[str] = []
    requests: list[Request] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: requests.append(request))
    return problems, requests


def test_form_without_token_in_url_and_no_csp_violation(
    site: Site, page: Page, shots: Screenshots
) -> None:
    problems, requests = _watch(page)
    invitation = site.invite()
    assert invitation.link is not None
    page.goto(invitation.link)
    # The token left the address bar (and so the history entry) right away.
    assert page.url == f"{site.web.url}/register"
    expect(page.get_by_role("heading", level=1)).to_have_text("Käyttäjärekisteröinti")
    expect(page.get_by_label("Sähköpostiosoite")).to_have_value("uusi.kayttaja@example.com")
    expect(page.get_by_label("Käyttäjätunnus")).to_have_value("uusi.kayttaja@example.com")
    expect(page.get_by_label("Sähköpostiosoite")).to_be_editable()
    expect(page.get_by_role("button", name="Seuraava")).to_be_visible()
    expect(page.get_by_test_id("password-rules")).to_contain_text("! @ # $ % + / .")
    # The stylesheet loaded under the CSP (the button is styled, not the default grey).
    colour = page.get_by_role("button", name="Seuraava").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert colour == "rgb(249, 107, 0)"
    shots(page, "registration-form")
    assert problems == []
    for request in requests:
        assert not request.all_headers().get("referer"), request.url
    page.go_back()
    assert "token=" not in page.url


def test_language_switch_and_three_rule_messages(
    site: Site, page: Page, shots: Screenshots
) -> None:
    invitation = site.invite()
    assert invitation.link is not None
    page.goto(invitation.link)
    page.get_by_test_id("lang-sv").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("button", name="Nästa")).to_be_visible()
    fill_registration(page, password=BAD_PASSWORD)
    page.get_by_role("button", name="Nästa").click()
    expect_three_password_errors(page, "sv")
    expect(page.get_by_label("Förnamn")).to_have_value("Matti")
    expect(page.get_by_label("Lösenord")).to_have_value("")
    shots(page, "password-errors-sv")
    fill_registration(page, password=GOOD_PASSWORD)
    page.get_by_role("button", name="Nästa").click()
    expect(page.get_by_test_id("success-title")).to_have_text("Registreringen är klar")
    assert page.url == f"{site.web.url}/register/done?lang=sv"
    shots(page, "registered-sv")


def test_changed_email_shows_check_your_inbox(site: Site, page: Page) -> None:
    invitation = site.invite()
    assert invitation.link is not None
    page.goto(invitation.link)
    page.get_by_test_id("lang-en").click()
    fill_registration(page, password=GOOD_PASSWORD, email="matti@example.org")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("check-inbox-title")).to_be_visible()
    expect(page.get_by_test_id("confirm-address")).to_contain_text("matti@example.org")


def test_expired_main_user_invitation_in_the_browser(site: Site, page: Page) -> None:
    invitation = site.invite("paakayttaja@example.com", role="main_user", invited_by=OPERATOR)
    site.clock.advance(days=7, seconds=1)
    assert invitation.link is not None
    page.goto(invitation.link)
    expect(page.get_by_test_id("page-expired")).to_be_visible()
    expect(page.get_by_test_id("contact-customer-service")).to_contain_text("chatin kautta")
    expect(page.get_by_test_id("customer-service-link")).to_have_attribute(
        "href", "https://www.posti.fi/fi/asiakastuki"
    )
