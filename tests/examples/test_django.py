"""The Django recipe (examples/django), the whole story with Django's test client:
a staff user invites from a Django view (Django's CSRF enforced), devsmtp captures
the mail over real SMTP on loopback, the link opens the registration pages behind
the thin Django view, the ``auth.User`` exists with a password Django verifies, and
the invitation is accepted; a taken username shows beside its field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from devsmtp.testing import Capture
from devsmtp.testing.plugin import DevSMTPServer
from invitations import InvitationStatus

KEY = "recipe-django-key-Vb8Nq2Xw5Lr9Tc3Mz6Pk1Hs4Jd7Fg0"
PASSWORD = "Kevat2026+Lintu"


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
    call_command("migrate", verbosity=0)
    from django_portal import toolkit

    yield
    toolkit.close()


def staff_client(name: str) -> Any:
    """A client signed in as a user who may add users (and so invite)."""
    from django.contrib.auth.models import Permission, User
    from django.test import Client

    boss = User.objects.create_user(name, f"{name}@acme.fi", "Pomo2026+Salasana",
                                    first_name="Pirkko", last_name="Pääkäyttäjä")
    boss.user_permissions.add(Permission.objects.get(codename="add_user"))
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=name, password="Pomo2026+Salasana")
    return client


def csrf_of(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def invite(client: Any, email: str, lang: str = "fi") -> Any:
    page = client.get("/invite-someone/", HTTP_ACCEPT_LANGUAGE=lang)
    assert page.status_code == 200
    return client.post("/invite-someone/", {
        "email": email, "role": "user", "first_name": "Matti",
        "csrfmiddlewaretoken": csrf_of(page.content.decode(), "csrfmiddlewaretoken"),
    }, HTTP_ACCEPT_LANGUAGE=lang)


def register(link: str, username: str, email: str, lang: str = "fi") -> Any:
    """A new browser follows ``link`` and sends the registration form."""
    from django.test import Client

    visitor = Client()
    form = visitor.get(link, follow=True)
    assert form.status_code == 200
    html = form.content.decode()
    assert 'data-testid="field-username"' in html
    return visitor, visitor.post("/invite/register", {
        "first_name": "Matti", "last_name": "Meikäläinen", "email": email,
        "username": username, "password": PASSWORD, "lang": lang,
        "csrf_token": csrf_of(html, "csrf_token"), "invitation": csrf_of(html, "invitation"),
    }, follow=True)


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


@pytest.mark.parametrize(("lang", "text"), [
    ("fi", "Tämä käyttäjätunnus on jo käytössä."),
    ("sv", "Det här användarnamnet används redan."),
    ("en", "This username is already in use."),
])
def test_a_taken_username_shows_beside_its_field(django_site: None, smtp_capture: Capture,
                                                 lang: str, text: str) -> None:
    from django.contrib.auth.models import User
    from django_portal.toolkit import service

    User.objects.create_user(f"taken-{lang}", f"taken-{lang}@acme.fi", "Jotain2026+Muuta")
    boss = staff_client(f"boss-{lang}")
    address = smtp_capture.address("second")
    invite(boss, address, lang)
    _, refused = register(smtp_capture.wait_for(to=address).invitation_link,
                          f"TAKEN-{lang}", address, lang)
    assert refused.status_code == 422
    page = refused.content.decode()
    errors = re.search(r'data-testid="errors-username">(.*?)</ul>', page, re.S)
    assert errors and text in errors.group(1)
    assert PASSWORD not in page
    assert not User.objects.filter(email=address).exists()
    [pending] = [i for i in service().list() if i.email == address]
    assert pending.status is InvitationStatus.PENDING


def test_inviting_needs_django_csrf_permission_and_words_errors(django_site: None,
                                                                smtp_capture: Capture) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    boss = staff_client("boss2")
    forged = boss.post("/invite-someone/", {"email": smtp_capture.address("x"), "role": "user"})
    assert forged.status_code == 403  # no CSRF token
    User.objects.create_user("nobody", "nobody@acme.fi", "Tavallinen2026+Kala")
    plain = Client()
    assert plain.login(username="nobody", password="Tavallinen2026+Kala")
    assert plain.get("/invite-someone/").status_code == 403
    assert Client().get("/invite-someone/").status_code == 302  # to the sign-in page

    refused = invite(boss, "ei-osoite", "sv")
    assert refused.status_code == 422
    assert "E-postadressen ei-osoite är ogiltig." in refused.content.decode()
    smtp_capture.assert_nothing_sent(within=0.2)


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
