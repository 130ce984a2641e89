"""A changed e-mail address: "check your inbox", the confirmation mail arrives in devsmtp,
its link completes the registration with one click (and not by merely opening it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from devsmtp.testing import Capture, DevSMTPClient
from invitations.models import InvitationStatus

from .scenario_support import GOOD_PASSWORD, Screenshots, Site, fill_registration, full_site

pytestmark = pytest.mark.browser

NEW_ADDRESS = "matti.virtanen@example.org"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with full_site(tmp_path) as running:
        yield running


def test_changed_email_is_confirmed_through_devsmtp(
    site: Site, page: Page, screenshots: Path
) -> None:
    shots = Screenshots(screenshots)
    with DevSMTPClient(site.devsmtp.api_url) as client:
        capture = Capture(client, "127.0.0.1", site.devsmtp.smtp_port)
        invitation = site.invite()
        assert invitation.link is not None
        page.goto(invitation.link)
        fill_registration(page, password=GOOD_PASSWORD, email=NEW_ADDRESS)
        page.get_by_role("button", name="Seuraava").click()
        expect(page.get_by_test_id("check-inbox-title")).to_be_visible()
        expect(page.get_by_test_id("confirm-address")).to_contain_text(NEW_ADDRESS)
        shots(page, "check-inbox")

        mail = capture.wait_for(to=NEW_ADDRESS, timeout=10)
        links = [link.url for link in mail.links if "/confirm-email?token=" in link.url]
        assert links, f"no confirmation link in {mail.describe()}"
    assert mail.to == [NEW_ADDRESS]

    page.goto(links[0])
    assert page.url == f"{site.web.url}/confirm-email"
    expect(page.get_by_test_id("confirm-form")).to_be_visible()
    shots(page, "confirm-email")
    # Opening the link alone (as a mail scanner would) confirms nothing.
    assert site.service.get(invitation.id).status is InvitationStatus.AWAITING_CONFIRMATION
    page.get_by_role("button", name="Vahvista").click()
    expect(page.get_by_test_id("email-confirmed")).to_contain_text(NEW_ADDRESS)
    expect(page.get_by_test_id("success-title")).to_have_text("Rekisteröityminen on valmis")
    shots(page, "email-confirmed")
    stored = site.service.get(invitation.id)
    assert stored.status is InvitationStatus.ACCEPTED
    assert stored.registered_email == NEW_ADDRESS and stored.email == "uusi.kayttaja@example.com"
