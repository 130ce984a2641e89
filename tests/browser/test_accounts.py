"""The account hand-off in headless Chromium, on the demo's host: the registration
creates the account in the demo's account store (SQLite, scrypt) and the new user
signs in on the demo's sign-in page with the password just chosen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from invitations.cli.demo_accounts import DemoAccounts, demo_site
from invitations.clock import FrozenClock
from invitations.models import InvitationStatus, Registration
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.transports.memory import MemoryTransport
from invitations.web import create_app
from invitations.web.server import BackgroundServer

from .scenario_support import (
    COMPANY,
    GOOD_PASSWORD,
    KEY,
    MAIN_USER,
    START,
    fill_registration,
)

pytestmark = pytest.mark.browser

NEXT = {"fi": "Seuraava", "sv": "Nästa", "en": "Next"}
TAKEN = {
    "fi": "Tämä käyttäjätunnus on jo käytössä. Valitse toinen.",
    "sv": "Det här användarnamnet används redan. Välj ett annat.",
    "en": "This username is already in use. Choose another one.",
}


@dataclass
class DemoHost:
    service: InvitationService
    accounts: DemoAccounts
    web: BackgroundServer


@pytest.fixture
def host(tmp_path: Path) -> Iterator[DemoHost]:
    with ExitStack() as stack:
        web = BackgroundServer()
        stack.callback(web.stop)
        store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
        stack.callback(store.close)
        service = InvitationService([KEY], web.url, MemoryTransport(), store=store,
                                    clock=FrozenClock(START))
        accounts = DemoAccounts(tmp_path / "accounts.sqlite3")
        web.start(demo_site(create_app(service, session_keys=[KEY], accounts=accounts,
                                       login_url=f"{web.url}/login"), accounts))
        yield DemoHost(service, accounts, web)


def test_register_then_sign_in_with_the_new_password(host: DemoHost, page: Page) -> None:
    invitation = host.service.send_invite("uusi.kayttaja@example.com", company=COMPANY,
                                          invited_by=MAIN_USER)
    assert invitation.link is not None
    page.goto(invitation.link)
    fill_registration(page, password=GOOD_PASSWORD)
    page.get_by_role("button", name="Seuraava").click()
    expect(page.get_by_test_id("success-title")).to_be_visible()
    [account] = host.accounts.accounts()
    assert account["username"] == "uusi.kayttaja@example.com" and account["enabled"] == 1
    assert host.service.get(invitation.id).account_id == account["id"]
    page.get_by_test_id("sign-in-link").click()
    assert page.url.startswith(f"{host.web.url}/login")
    page.get_by_label("Käyttäjätunnus").fill("uusi.kayttaja@example.com")
    page.get_by_label("Salasana").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Kirjaudu").click()
    expect(page.get_by_test_id("signed-in")).to_contain_text("Tervetuloa, Matti Virtanen")


def test_a_refused_username_shows_beside_the_field_in_three_languages(
        host: DemoHost, page: Page) -> None:
    earlier = host.service.send_invite("toinen@example.com", company=COMPANY,
                                       invited_by=MAIN_USER)
    host.accounts.create_account(earlier, Registration(
        "Toinen", "Käyttäjä", "toinen@example.com", "uusi.kayttaja@example.com", GOOD_PASSWORD))
    invitation = host.service.send_invite("uusi.kayttaja@example.com", company=COMPANY,
                                          invited_by=MAIN_USER)
    assert invitation.link is not None
    page.goto(invitation.link)
    for lang in ("fi", "sv", "en"):
        page.goto(f"{host.web.url}/register?lang={lang}")
        fill_registration(page, password=GOOD_PASSWORD)
        page.get_by_role("button", name=NEXT[lang]).click()
        expect(page.locator("html")).to_have_attribute("lang", lang)
        field = page.get_by_test_id("field-username")
        expect(field.get_by_test_id("errors-username")).to_have_text(TAKEN[lang])
        expect(field.locator("input")).to_have_attribute("aria-invalid", "true")
        assert host.service.get(invitation.id).status is InvitationStatus.PENDING
    assert len(host.accounts.accounts()) == 1
