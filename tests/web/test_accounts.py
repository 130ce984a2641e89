"""The registration pages hand the account to the host (create_app(accounts=...)):
refusals beside their fields, a failing host as the 500 problem page, the sign-in
button and the host's next step, and a slow host off the event loop."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from invitations import AccountRef, AccountRejected, FieldError
from invitations.cli.demo_accounts import DemoAccounts
from invitations.clock import FrozenClock
from invitations.models import Invitation, InvitationStatus, Registration
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.transports.memory import MemoryTransport
from invitations.web import create_app
from tests.web.conftest import BASE_URL, GOOD_PASSWORD, KEY, Site, registration


class Host:
    """A host whose create_account does what the test says."""

    def __init__(self, action: Callable[[], Any] = lambda: None) -> None:
        self.action = action
        self.calls = 0

    def create_account(self, invitation: Invitation, registration: Registration) -> AccountRef:
        self.calls += 1
        self.action()
        return AccountRef(f"acc-{invitation.id}")

    def enable_account(self, invitation: Invitation, account: AccountRef) -> None:
        pass


@pytest.fixture
def make_site(tmp_path: Path) -> Iterator[Callable[..., Site]]:
    stack: list[tuple[TestClient, SQLiteInvitationStore]] = []

    def make(**options: Any) -> Site:
        clock = FrozenClock(datetime(2025, 3, 7, 13, 5, tzinfo=UTC))
        transport = MemoryTransport()
        store = SQLiteInvitationStore(tmp_path / f"invitations{len(stack)}.sqlite3")
        service = InvitationService([KEY], BASE_URL, transport, store=store, clock=clock)
        client = TestClient(create_app(service, session_keys=[KEY], **options),
                            base_url=BASE_URL, raise_server_exceptions=False)
        client.__enter__()
        stack.append((client, store))
        return Site(service, clock, transport, client)

    yield make
    for client, store in stack:
        client.__exit__(None, None, None)
        store.close()


def _submit(site: Site, lang: str = "fi", **overrides: str) -> httpx.Response:
    invitation = site.invite()
    form = site.open_link(invitation.link)
    data = registration(csrf_token=site.csrf(form.text), lang=lang, **overrides)
    return site.client.post("/register", data=data, follow_redirects=False)


@pytest.mark.parametrize(("lang", "text"), [
    ("fi", "Tämä käyttäjätunnus on jo käytössä."),
    ("sv", "Det här användarnamnet används redan."),
    ("en", "This username is already in use."),
])
def test_a_refused_username_shows_beside_its_field(
        make_site: Callable[..., Site], lang: str, text: str) -> None:
    def refuse() -> None:
        raise AccountRejected([FieldError("username", "username_taken"), FieldError(
            "email", "host_rule", {"fi": "Isäntä: ei.", "sv": "Värd: nej.", "en": "Host: no."})])

    site = make_site(accounts=Host(refuse))
    response = _submit(site, lang)
    assert response.status_code == 422
    errors = re.search(r'data-testid="errors-username">(.*?)</ul>', response.text, re.S)
    assert errors and text in errors.group(1)
    host_text = {"fi": "Isäntä: ei.", "sv": "Värd: nej.", "en": "Host: no."}[lang]
    email = re.search(r'data-testid="errors-email">(.*?)</ul>', response.text, re.S)
    assert email and host_text in email.group(1)
    assert GOOD_PASSWORD not in response.text  # the password is never sent back
    assert site.service.list()[0].status is InvitationStatus.PENDING


@pytest.mark.parametrize(("lang", "text"), [
    ("fi", "Tunnustasi ei voitu luoda"), ("sv", "Ditt konto kunde inte skapas"),
    ("en", "Your account could not be created"),
])
def test_a_failing_host_gives_the_problem_page(
        make_site: Callable[..., Site], caplog: pytest.LogCaptureFixture, lang: str,
        text: str) -> None:
    def crash() -> None:
        raise ConnectionError("the user directory is down")

    site = make_site(accounts=Host(crash))
    with caplog.at_level(logging.ERROR, logger="invitations.web"):
        response = _submit(site, lang)
    assert response.status_code == 500
    assert f'<html lang="{lang}">' in response.text and text in response.text
    assert "Traceback" not in response.text and "directory is down" not in response.text
    [record] = [r for r in caplog.records if r.name == "invitations.web"]
    assert record.exc_info is not None and "directory is down" in caplog.text
    assert site.service.list()[0].status is InvitationStatus.PENDING


def test_the_done_page_has_a_sign_in_button(make_site: Callable[..., Site]) -> None:
    site = make_site(accounts=Host(), login_url="https://portal.example.fi/login")
    response = _submit(site)
    done = site.client.get(response.headers["location"])
    button = re.search(r'<a class="button" href="([^"]+)" data-testid="sign-in-link">([^<]+)',
                       done.text)
    assert button and button.groups() == ("https://portal.example.fi/login", "Kirjaudu sisään")
    assert site.service.list()[0].account_id == f"acc-{site.service.list()[0].id}"


def test_next_url_continues_to_the_hosts_next_step(make_site: Callable[..., Site]) -> None:
    site = make_site(accounts=Host(), next_url="https://portal.example.fi/welcome")
    response = _submit(site)
    assert response.status_code == 303
    assert response.headers["location"] == "https://portal.example.fi/welcome"
    # A changed address still goes to "check your inbox" first.
    other = make_site(accounts=Host(), next_url="https://portal.example.fi/welcome")
    changed = _submit(other, email="toinen@example.com")
    assert changed.headers["location"].startswith("/register/done")


def test_the_demo_account_store_receives_the_registration(
        make_site: Callable[..., Site], tmp_path: Path) -> None:
    accounts = DemoAccounts(tmp_path / "accounts.sqlite3")
    site = make_site(accounts=accounts)
    assert _submit(site).status_code == 303
    [account] = accounts.accounts()
    assert account["username"] == "uusi.kayttaja@example.com" and account["enabled"] == 1
    assert accounts.sign_in("uusi.kayttaja@example.com", GOOD_PASSWORD) is not None
    assert accounts.sign_in("uusi.kayttaja@example.com", GOOD_PASSWORD + "x") is None


def test_create_app_refuses_what_is_no_account_creator(tmp_path: Path) -> None:
    from invitations.errors import ConfigurationError

    service = InvitationService([KEY], BASE_URL, None,
                                store=SQLiteInvitationStore(tmp_path / "i.sqlite3"))
    with pytest.raises(ConfigurationError, match="create_account"):
        create_app(service, session_keys=[KEY], accounts=object())  # type: ignore[arg-type]
    service.close()


def test_a_slow_host_does_not_block_the_event_loop(tmp_path: Path) -> None:
    """While create_account sleeps in its worker thread, other requests are answered."""
    entered = threading.Event()
    host = Host(lambda: (entered.set(), time.sleep(1.5)))
    clock = FrozenClock(datetime(2025, 3, 7, 13, 5, tzinfo=UTC))
    store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
    service = InvitationService([KEY], BASE_URL, MemoryTransport(), store=store, clock=clock)
    app = create_app(service, session_keys=[KEY], accounts=host)
    with TestClient(app, base_url=BASE_URL) as sync_client:
        site = Site(service, clock, MemoryTransport(), sync_client)
        invitation = site.invite()
        form = site.open_link(invitation.link)
        data = registration(csrf_token=site.csrf(form.text))
        cookies = dict(sync_client.cookies)

    async def race() -> tuple[float, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL,
                                     cookies=cookies) as client:
            submit = asyncio.create_task(client.post("/register", data=data))
            while not entered.is_set():
                await asyncio.sleep(0.01)
            started = time.monotonic()
            other = await client.get("/static/registration.css")
            elapsed = time.monotonic() - started
            assert (await submit).status_code == 303
            return elapsed, other.status_code

    # In a thread of its own: Playwright's sync API may hold this worker's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        elapsed, status = pool.submit(asyncio.run, race()).result(timeout=30)
    assert status in (200, 404)
    assert elapsed < 1.0, f"another request waited {elapsed:.2f} s for create_account"
    assert host.calls == 1
    store.close()
