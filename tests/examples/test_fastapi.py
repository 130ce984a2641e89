"""The FastAPI recipe (examples/fastapi), the whole story: an async endpoint invites,
devsmtp captures the mail over real SMTP on loopback, the link opens the mounted
registration pages, the user lands in the portal's own table with a password that
verifies, and the invitation is accepted; a taken username shows beside its field."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fastapi_portal import Caller, PortalAccounts, create_portal, password_matches

from devsmtp.testing import Capture
from invitations import (
    AccountRef,
    Company,
    Invitation,
    InvitationService,
    InvitationStatus,
    Inviter,
    Registration,
    SQLiteInvitationStore,
)
from invitations.transports import transport_from_url
from invitations.web.server import BackgroundServer
from tests.examples.story import (
    PASSWORD,
    USERNAME_TAKEN,
    filled_in,
    in_a_thread,
    username_errors,
)

KEY = "recipe-test-key-Hq3Vn8Zr1Lw6Tx0Pc5Ys9Kd2Mb7Fj4"
TOKEN = "api-token-of-the-main-user-7Yq2"
ACME = Company("0112038-9", "Acme Oy", "LOG-123")
BOSS = Caller(Inviter("boss@acme.fi", "Pirkko Pääkäyttäjä", company_id=ACME.business_id),
              ACME)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Portal:
    client: TestClient
    accounts: PortalAccounts
    service: InvitationService


def make_portal(tmp_path: Path, smtp_url: str, base_url: str,
                accounts: PortalAccounts | None = None) -> tuple[FastAPI, Portal]:
    service = InvitationService(
        [KEY], f"{base_url}/invite", transport_from_url(smtp_url),
        store=SQLiteInvitationStore(tmp_path / "invitations.sqlite3"), close_store=True)
    accounts = accounts or PortalAccounts(tmp_path / "users.sqlite3")
    app = create_portal(service, accounts=accounts, session_keys=[KEY],
                        api_tokens={TOKEN: BOSS}, login_url="/login")
    return app, Portal(TestClient(app, base_url=base_url), accounts, service)


@pytest.fixture
def portal(tmp_path: Path, smtp_capture: Capture) -> Iterator[Portal]:
    _app, made = make_portal(tmp_path, smtp_capture.smtp_url, "http://testserver")
    with made.client:
        yield made
    made.service.transport.close()  # type: ignore[union-attr]


def invite(portal: Portal, email: str, **extra: object) -> dict[str, object]:
    response = portal.client.post("/api/invitations", json={"email": email, **extra},
                                  headers=AUTH)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def open_form(client: TestClient | httpx.Client, link: str) -> str:
    """Follow the mail's link to the registration form; its HTML."""
    form = client.get(link, follow_redirects=True)
    assert form.status_code == 200
    return form.text


def test_invite_mail_register_and_the_user_exists(portal: Portal, smtp_capture: Capture
                                                  ) -> None:
    address = smtp_capture.address("matti")
    made = invite(portal, address, first_name="Matti", languages=["fi", "en"])
    assert made["status"] == "pending" and made["delivery"] == "sent"

    mail = smtp_capture.wait_for(to=address)
    link = mail.invitation_link
    assert link.startswith("http://testserver/invite/register?token=")
    form = open_form(portal.client, link)
    done = portal.client.post("/invite/register", data=filled_in(form, address, "matti.m"))
    assert done.status_code == 200 and 'data-testid="page-registered"' in done.text
    assert 'href="/login"' in done.text  # the sign-in button

    user = portal.accounts.authenticate("matti.m", PASSWORD)
    assert user is not None and user.is_active and user.email == address
    assert user.full_name == "Matti Meikäläinen" and user.invitation_id == made["id"]
    assert portal.accounts.authenticate("matti.m", PASSWORD + "x") is None
    shown = portal.client.get(f"/api/invitations/{made['id']}", headers=AUTH).json()
    assert shown == {"id": made["id"], "status": "accepted", "account_id": str(user.id)}
    # The link is single use: opening it again shows the "already used" page.
    again = portal.client.get(link)
    assert again.status_code in (200, 410) and 'data-testid="field-username"' not in again.text


@pytest.mark.parametrize(("lang", "text"), USERNAME_TAKEN)
def test_a_taken_username_shows_beside_its_field(portal: Portal, smtp_capture: Capture,
                                                 lang: str, text: str) -> None:
    first = smtp_capture.address("first")
    invite(portal, first)
    form = open_form(portal.client, smtp_capture.wait_for(to=first).invitation_link)
    portal.client.post("/invite/register", data=filled_in(form, first, "taken"))
    assert portal.accounts.count() == 1

    second = smtp_capture.address("second")
    made = invite(portal, second)
    form = open_form(portal.client, smtp_capture.wait_for(to=second).invitation_link)
    refused = portal.client.post("/invite/register",
                                 data=filled_in(form, second, "TAKEN", lang))
    assert refused.status_code == 422
    assert text in username_errors(refused.text)
    assert PASSWORD not in refused.text
    assert portal.accounts.count() == 1
    assert portal.service.get(str(made["id"])).status is InvitationStatus.PENDING


def test_the_api_wants_the_token_and_words_bad_input_in_the_callers_language(
        portal: Portal, smtp_capture: Capture) -> None:
    body = {"email": smtp_capture.address("x")}
    assert portal.client.post("/api/invitations", json=body).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert portal.client.post("/api/invitations", json=body, headers=wrong).status_code == 401
    cross = {**AUTH, "Origin": "https://evil.example"}
    assert portal.client.post("/api/invitations", json=body, headers=cross).status_code == 403

    answer = portal.client.post("/api/invitations", json={"email": "ei-osoite"},
                                headers={**AUTH, "Accept-Language": "fi"})
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_address"
    assert "Sähköpostiosoite ei-osoite ei kelpaa" in answer.json()["message"]
    missing = portal.client.post("/api/invitations", json={},
                                 headers={**AUTH, "Accept-Language": "sv"})
    assert missing.status_code == 422
    assert missing.json() == {"error": "field_required",
                              "message": "Fyll i fältet: e-postadress."}
    typed = portal.client.post("/api/invitations", json={"email": 5},
                               headers={**AUTH, "Accept-Language": "en"})
    assert typed.status_code == 422
    assert typed.json()["message"] == ("The value of e-mail address is not valid: "
                                       "the value has the wrong type.")
    assert portal.client.get("/api/invitations/nope", headers=AUTH).status_code == 404
    smtp_capture.assert_nothing_sent(within=0.2)


class SlowAccounts(PortalAccounts):
    """The portal's table behind a gate: create_account waits until the test opens it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.entered = threading.Event()
        self.gate = threading.Event()

    def create_account(self, invitation: Invitation, registration: Registration
                       ) -> AccountRef:
        self.entered.set()
        if not self.gate.wait(30):
            raise AssertionError("the gate was never opened")
        return super().create_account(invitation, registration)


def test_a_slow_create_account_does_not_block_the_event_loop(
        tmp_path: Path, smtp_capture: Capture) -> None:
    """Served by uvicorn on loopback: while create_account is held, the same server
    (one event loop) still answers the async invite API, and its mail goes out."""
    accounts = SlowAccounts(tmp_path / "users.sqlite3")
    server = BackgroundServer()
    app, made = make_portal(tmp_path, smtp_capture.smtp_url, server.url, accounts)
    server.start(app)
    try:
        with httpx.Client(base_url=server.url, trust_env=False, timeout=30,
                          follow_redirects=True) as client:
            first = smtp_capture.address("slow")
            assert client.post("/api/invitations", json={"email": first},
                               headers=AUTH).status_code == 201
            form = open_form(client, smtp_capture.wait_for(to=first).invitation_link)
            submitted: list[httpx.Response] = []

            def submit() -> None:
                submitted.append(client.post("/invite/register",
                                             data=filled_in(form, first, "slow")))

            worker = threading.Thread(target=submit)
            worker.start()
            assert accounts.entered.wait(30), "create_account was never called"
            with httpx.Client(base_url=server.url, trust_env=False, timeout=10) as other:
                second = smtp_capture.address("meanwhile")
                meanwhile = other.post("/api/invitations", json={"email": second},
                                       headers=AUTH)
            assert meanwhile.status_code == 201
            assert smtp_capture.wait_for(to=second).invitation_link
            assert not submitted and worker.is_alive()  # still held at the gate
            accounts.gate.set()
            worker.join(30)
        assert submitted and submitted[0].status_code == 200
        assert accounts.authenticate("slow", PASSWORD) is not None
    finally:
        accounts.gate.set()
        server.stop()
        # uvicorn ran with lifespan off: close what the app's shutdown would have.
        in_a_thread(asyncio.run)(app.state.invitations.close())
        made.service.transport.close()  # type: ignore[union-attr]


def test_create_account_is_idempotent_on_the_invitation_id(portal: Portal,
                                                           smtp_capture: Capture) -> None:
    """A retry after a crash (same invitation) gets the same user, updated."""
    made = invite(portal, smtp_capture.address("again"))
    invitation = portal.service.get(str(made["id"]))
    first = Registration("Matti", "M", invitation.email, "again", PASSWORD)
    second = Registration("Matti", "Meikäläinen", invitation.email, "again2", "Toinen2026+Kala")
    ref = portal.accounts.create_account(invitation, first)
    assert portal.accounts.create_account(invitation, second) == ref
    assert portal.accounts.count() == 1
    assert portal.accounts.find("again") is None
    user = portal.accounts.authenticate("again2", "Toinen2026+Kala")
    assert user is not None and str(user.id) == ref.id and user.full_name == "Matti Meikäläinen"
    assert password_matches("Toinen2026+Kala", "scrypt:1:1:1:zz:zz") is False


def test_from_env_builds_the_portal_uvicorn_runs(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``uvicorn --factory fastapi_portal.app:from_env``, as the README runs it."""
    from fastapi_portal import from_env

    for name, value in {
        "INVITATIONS_SECRET_KEYS": KEY, "INVITATIONS_BASE_URL": "http://testserver/invite",
        "INVITATIONS_TRANSPORT": "memory://", "INVITATIONS_DB": str(tmp_path / "i.sqlite3"),
        "PORTAL_ACCOUNTS_DB": str(tmp_path / "users.sqlite3"), "PORTAL_SESSION_KEY": KEY,
        "PORTAL_API_TOKEN": TOKEN, "PORTAL_INVITER": "boss@acme.fi",
        "PORTAL_COMPANY_ID": ACME.business_id, "PORTAL_COMPANY_NAME": ACME.name,
        "PORTAL_CONTRACT_NUMBER": "LOG-123",
    }.items():
        monkeypatch.setenv(name, value)
    app = from_env()
    with TestClient(app) as client:
        made = client.post("/api/invitations", json={"email": "matti@acme.fi"}, headers=AUTH)
        assert made.status_code == 201 and made.json()["delivery"] == "sent"
        assert client.get("/invite/static/registration.css").status_code == 200
    assert app.state.invitations.closed  # the lifespan closed the service
    assert (tmp_path / "users.sqlite3").exists()
