"""The Django recipe (examples/django), the whole story with Django's test client:
a staff user invites from a Django view (Django's CSRF enforced), devsmtp captures
the mail over real SMTP on loopback, the link opens the registration pages behind
the thin Django view, the ``auth.User`` exists with a password Django verifies, and
the invitation is accepted; a taken username shows beside its field."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

import httpx
import pytest

from devsmtp.testing import Capture
from devsmtp.testing.plugin import DevSMTPServer
from invitations import InvitationStatus
from tests.examples.story import (
    PASSWORD,
    USERNAME_TAKEN,
    filled_in,
    hidden,
    in_a_thread,
    username_errors,
)

P = ParamSpec("P")
T = TypeVar("T")
KEY = "recipe-django-key-Vb8Nq2Xw5Lr9Tc3Mz6Pk1Hs4Jd7Fg0"


@pytest.fixture(scope="module")
def django_site(tmp_path_factory: pytest.TempPathFactory,
                devsmtp_server: DevSMTPServer) -> Iterator[None]:
    """Django configured for this test process: settings from the recipe's module,
    with the databases in a temporary folder and the mail going to devsmtp."""
    folder = tmp_path_factory.mktemp("django-portal")
    env = {
        "DJANGO_SETTINGS_MODULE": "django_portal.settings",
        "PORTAL_DJANGO_SECRET_KEY": "django-test-secret-not-used-anywhere-else-5f2c",
        "PORTAL_ALLOWED_HOSTS": "testserver",
        "PORTAL_DATABASE": str(folder / "portal.sqlite3"),
        "INVITATIONS_SECRET_KEYS": KEY,
        "INVITATIONS_BASE_URL": "http://testserver/invite",
        "INVITATIONS_TRANSPORT": f"smtp://{devsmtp_server.smtp_host}:{devsmtp_server.smtp_port}",
        "INVITATIONS_DB": str(folder / "invitations.sqlite3"),
    }
    import django
    from django.core.management import call_command

    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        django.setup()
        from django.conf import settings

        assert settings.INVITATIONS["DB"] == env["INVITATIONS_DB"]
    in_a_thread(on_its_own_connection(call_command))("migrate", verbosity=0)
    from django_portal import toolkit

    yield
    toolkit.close()


def on_its_own_connection(function: Callable[P, T]) -> Callable[P, T]:
    """``function``, closing the calling thread's database connections after it."""
    @functools.wraps(function)
    def closing(*args: P.args, **kwargs: P.kwargs) -> T:
        from django.db import connections

        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return closing


def django_test(test: Callable[P, None]) -> Callable[P, None]:
    """The test run in a thread of its own (see ``in_a_thread``), where the ORM may
    be used, its database connection closed afterwards."""
    return in_a_thread(on_its_own_connection(test))


def staff_client(name: str) -> Any:
    """A client signed in as a user who may add users (and so invite)."""
    from django.contrib.auth.models import Permission, User
    from django.test import Client

    # No password (nothing to hash): these tests sign the staff user in directly.
    boss = User.objects.create_user(name, f"{name}@acme.fi", None,
                                    first_name="Pirkko", last_name="Pääkäyttäjä")
    boss.user_permissions.add(Permission.objects.get(codename="add_user"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(boss)
    return client


def invite(client: Any, email: str, lang: str = "fi") -> Any:
    page = client.get("/invite-someone/", HTTP_ACCEPT_LANGUAGE=lang)
    assert page.status_code == 200
    return client.post("/invite-someone/", {
        "email": email, "role": "user", "first_name": "Matti",
        "csrfmiddlewaretoken": hidden(page.content.decode(), "csrfmiddlewaretoken"),
    }, HTTP_ACCEPT_LANGUAGE=lang)


def register(link: str, username: str, email: str, lang: str = "fi") -> Any:
    """A new browser follows ``link`` and sends the registration form."""
    from django.test import Client

    visitor = Client()
    form = visitor.get(link, follow=True)
    assert form.status_code == 200
    return visitor, visitor.post(
        "/invite/register", filled_in(form.content.decode(), email, username, lang),
        follow=True)


@django_test
def test_invite_mail_register_and_the_django_user_exists(django_site: None,
                                                         smtp_capture: Capture) -> None:
    from django.contrib.auth.models import User
    from django.test import Client
    from django_portal.models import InvitedAccount
    from django_portal.toolkit import service

    boss = staff_client("boss1")
    address = smtp_capture.address("matti")
    sent = invite(boss, address)
    assert sent.status_code == 200
    assert f"Kutsu lähetettiin osoitteeseen {address}." in sent.content.decode()

    link = smtp_capture.wait_for(to=address).invitation_link
    assert link.startswith("http://testserver/invite/register?token=")
    visitor, done = register(link, "matti.m", address)
    assert done.status_code == 200
    page = done.content.decode()
    assert 'data-testid="page-registered"' in page and 'href="/accounts/login/"' in page
    assert done.headers["Content-Security-Policy"].startswith("default-src 'none'")
    css = visitor.get("/invite/static/registration.css")
    assert css.status_code == 200 and b"{" in b"".join(css.streaming_content
                                                     if css.streaming else [css.content])

    user = User.objects.get(username="matti.m")
    assert user.is_active and user.email == address and user.last_name == "Meikäläinen"
    assert user.check_password(PASSWORD) and user.password.startswith("pbkdf2_sha256$")
    assert Client().login(username="matti.m", password=PASSWORD)
    link_row = InvitedAccount.objects.get(user=user)
    invitation = service().get(link_row.invitation_id)
    assert invitation.status is InvitationStatus.ACCEPTED
    assert invitation.account_id == str(user.pk)
    sign_in = Client().get("/accounts/login/")
    assert sign_in.status_code == 200


@pytest.mark.parametrize(("lang", "text"), USERNAME_TAKEN)
@django_test
def test_a_taken_username_shows_beside_its_field(django_site: None, smtp_capture: Capture,
                                                 lang: str, text: str) -> None:
    from django.contrib.auth.models import User
    from django_portal.toolkit import service

    User.objects.create_user(f"taken-{lang}", f"taken-{lang}@acme.fi", None)
    boss = staff_client(f"boss-{lang}")
    address = smtp_capture.address("second")
    invite(boss, address, lang)
    _, refused = register(smtp_capture.wait_for(to=address).invitation_link,
                          f"TAKEN-{lang}", address, lang)
    assert refused.status_code == 422
    page = refused.content.decode()
    assert text in username_errors(page)
    assert PASSWORD not in page
    assert not User.objects.filter(email=address).exists()
    [pending] = [i for i in service().list() if i.email == address]
    assert pending.status is InvitationStatus.PENDING


@django_test
def test_inviting_needs_django_csrf_permission_and_words_errors(django_site: None,
                                                                smtp_capture: Capture) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    boss = staff_client("boss2")
    forged = boss.post("/invite-someone/", {"email": smtp_capture.address("x"), "role": "user"})
    assert forged.status_code == 403  # no CSRF token
    nobody = User.objects.create_user("nobody", "nobody@acme.fi", None)
    plain = Client()
    plain.force_login(nobody)
    assert plain.get("/invite-someone/").status_code == 403
    assert Client().get("/invite-someone/").status_code == 302  # to the sign-in page

    refused = invite(boss, "ei-osoite", "sv")
    assert refused.status_code == 422
    assert "E-postadressen ei-osoite är ogiltig." in refused.content.decode()
    page = boss.get("/invite-someone/", HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    empty = boss.post("/invite-someone/", {"csrfmiddlewaretoken": hidden(
        page, "csrfmiddlewaretoken")}, HTTP_ACCEPT_LANGUAGE="fi")
    assert empty.status_code == 422 and "Tämä kenttä vaaditaan." in empty.content.decode()
    smtp_capture.assert_nothing_sent(within=0.2)


@django_test
def test_create_account_is_idempotent_on_the_invitation_id(django_site: None) -> None:
    """A retry after a crash (same invitation) updates the same user."""
    from django.contrib.auth.models import User
    from django_portal.accounts import DjangoAccounts
    from django_portal.toolkit import service

    from invitations import Company, Inviter, Registration

    acme = Company("0112038-9", "Acme Oy", "LOG-123")
    boss = Inviter("boss@acme.fi", company_id=acme.business_id)
    invitation = service().send_invite("retry@acme.fi", company=acme, invited_by=boss,
                                       deliver=False)
    accounts = DjangoAccounts()
    first = accounts.create_account(invitation, Registration(
        "Matti", "M", "retry@acme.fi", "retry", PASSWORD))
    again = accounts.create_account(invitation, Registration(
        "Matti", "Meikäläinen", "retry@acme.fi", "retry2", "Toinen2026+Kala",
        email_confirmed=False))
    assert again == first
    user = User.objects.get(pk=int(first.id))
    assert user.username == "retry2" and not user.is_active
    assert user.check_password("Toinen2026+Kala")
    accounts.enable_account(invitation, first)
    user.refresh_from_db()
    assert user.is_active


@django_test
def test_under_asgi_a_slow_create_account_does_not_block_the_loop(
        django_site: None, smtp_capture: Capture, monkeypatch: pytest.MonkeyPatch) -> None:
    """``django_portal.asgi`` served by uvicorn on loopback: while create_account is
    held, the same server (one event loop) answers other requests through the
    registration view and Django's own views."""
    from django_portal.accounts import DjangoAccounts
    from django_portal.asgi import application

    from invitations.web.server import BackgroundServer

    entered, gate = threading.Event(), threading.Event()
    real = DjangoAccounts.create_account

    def held(self: DjangoAccounts, invitation: Any, registration: Any) -> Any:
        entered.set()
        if not gate.wait(30):
            raise AssertionError("the gate was never opened")
        return real(self, invitation, registration)

    monkeypatch.setattr(DjangoAccounts, "create_account", held)
    boss = staff_client("boss3")
    address = smtp_capture.address("slow")
    invite(boss, address)
    link = smtp_capture.wait_for(to=address).invitation_link
    monkeypatch.setattr("django.conf.settings.ALLOWED_HOSTS", ["testserver", "127.0.0.1"])
    server = BackgroundServer()
    server.start(application)
    try:
        with httpx.Client(base_url=server.url, trust_env=False, timeout=30,
                          follow_redirects=True) as visitor:
            form = visitor.get(link.replace("http://testserver", server.url))
            answers: list[httpx.Response] = []
            data = filled_in(form.text, address, "hidas")
            worker = threading.Thread(
                target=lambda: answers.append(visitor.post("/invite/register", data=data)))
            worker.start()
            assert entered.wait(30), "create_account was never called"
            with httpx.Client(base_url=server.url, trust_env=False, timeout=10) as other:
                assert other.get("/invite/static/registration.css").status_code == 200
                assert other.get("/accounts/login/").status_code == 200
            assert not answers and worker.is_alive()  # still held at the gate
            gate.set()
            worker.join(30)
        assert answers and answers[0].status_code == 200
        assert 'data-testid="page-registered"' in answers[0].text
    finally:
        gate.set()
        server.stop()
