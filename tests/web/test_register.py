"""The registration form: token handling, languages, validation, success, e-mail change."""

from __future__ import annotations

import re

import pytest

from invitations.models import InvitationStatus

from .conftest import GOOD_PASSWORD, Site, registration


def test_link_moves_token_into_session_and_redirects(site: Site) -> None:
    invitation = site.invite()
    assert invitation.link is not None
    token = invitation.link.split("token=", 1)[1]
    response = site.client.get(f"/register?token={token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/register"
    assert "token" not in response.headers["location"]
    assert response.headers["referrer-policy"] == "no-referrer"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = site.client.get("/register")
    assert page.status_code == 200
    assert token not in page.text  # neither in the form nor anywhere else on the page


@pytest.mark.parametrize(
    ("lang", "title", "button", "email_label"),
    [
        ("fi", "Käyttäjärekisteröinti", "Seuraava", "Sähköpostiosoite"),
        ("sv", "Användarregistrering", "Nästa", "E-postadress"),
        ("en", "User registration", "Next", "E-mail address"),
    ],
)
def test_form_in_each_language(
    site: Site, lang: str, title: str, button: str, email_label: str
) -> None:
    invitation = site.invite()
    site.open_link(invitation.link)
    page = site.client.get(f"/register?lang={lang}")
    assert page.status_code == 200
    html = page.text
    assert f'<html lang="{lang}">' in html
    assert f"<h1>{title}</h1>" in html
    assert f">{button}</button>" in html
    assert f'<label for="email">{email_label}</label>' in html
    # E-mail prefilled and editable; username prefilled with the e-mail.
    assert 'id="email" name="email" type="email" value="uusi.kayttaja@example.com"' in html
    assert 'id="username" name="username" type="text" value="uusi.kayttaja@example.com"' in html
    assert "readonly" not in html and "disabled" not in html
    # The rules are spelled out, from the service's own policy.
    for rule in site.service.password_policy.rules(lang):
        assert rule in html
    assert "! @ # $ % + / ." in html
    # The language switch offers the other two languages.
    for other in {"fi", "sv", "en"} - {lang}:
        assert f'href="?lang={other}"' in html  # relative: the same page


def test_accept_language_picks_the_language(site: Site) -> None:
    invitation = site.invite()
    page = site.open_link(invitation.link, **{"accept-language": "sv-FI,sv;q=0.9,en;q=0.5"})
    assert '<html lang="sv">' in page.text and ">Nästa</button>" in page.text
    page = site.client.get("/register", headers={"accept-language": "de, en;q=0.3"})
    assert '<html lang="en">' in page.text


def test_first_language_of_the_invitation_without_a_preference(site: Site) -> None:
    invitation = site.invite(languages=("sv", "fi", "en"))
    page = site.open_link(invitation.link, **{"accept-language": "de"})
    assert '<html lang="sv">' in page.text


def test_get_and_head_change_nothing(site: Site) -> None:
    invitation = site.invite()
    assert invitation.link is not None
    path = invitation.link.removeprefix("http://testserver")
    before = site.service.get(invitation.id)
    sent = len(site.transport.outbox)
    for _ in range(3):
        assert site.client.head(path, follow_redirects=False).status_code == 303
        assert site.client.get(path).status_code == 200
        assert site.client.head("/register").status_code == 200
        assert site.client.get("/register/done").status_code == 400
    after = site.service.get(invitation.id)
    assert after == before
    assert after.status is InvitationStatus.PENDING
    assert len(site.transport.outbox) == sent
    # The token still works for the person after the scanner's visits.
    assert site.service.verify(path.split("token=")[1]).id == invitation.id


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fi", ["vähintään 10 merkkiä", "vähintään yksi numero", "kolmea peräkkäistä kirjainta"]),
        ("sv", ["minst 10 tecken", "minst en siffra", "tre bokstäver i följd"]),
        ("en", ["at least 10 characters", "at least one digit", "three consecutive letters"]),
    ],
)
def test_password_breaking_three_rules(site: Site, lang: str, expected: list[str]) -> None:
    invitation = site.invite()
    form = site.open_link(invitation.link)
    data = registration(password="Virtax", lang=lang, csrf_token=site.csrf(form.text))
    response = site.client.post("/register", data=data)
    assert response.status_code == 422
    assert f'<html lang="{lang}">' in response.text
    errors = re.search(
        r'<ul class="errors" id="password-errors" data-testid="errors-password">(.*?)</ul>',
        response.text,
        re.S,
    )
    assert errors, response.text
    items = re.findall(r"<li>(.*?)</li>", errors.group(1), re.S)
    assert len(items) == 3, items
    for fragment, item in zip(expected, items, strict=True):
        assert fragment in item
    assert 'aria-invalid="true"' in response.text
    # What was typed stays, except the password.
    assert 'value="Matti"' in response.text and 'value="Virtanen"' in response.text
    assert "Virtax" not in response.text
    assert site.service.get(invitation.id).status is InvitationStatus.PENDING


def test_every_field_error_beside_its_field(site: Site) -> None:
    invitation = site.invite()
    form = site.open_link(invitation.link)
    data = registration(
        first_name="", last_name="", email="not-an-address", username="ab", password="x",
        csrf_token=site.csrf(form.text),
    )
    response = site.client.post("/register", data=data)
    assert response.status_code == 422
    for field in ("first_name", "last_name", "email", "username", "password"):
        assert f'data-testid="errors-{field}"' in response.text, field
    assert 'data-testid="error-summary"' in response.text


def test_success_then_the_link_is_used(site: Site) -> None:
    invitation = site.invite()
    form = site.open_link(invitation.link)
    response = site.client.post(
        "/register", data=registration(csrf_token=site.csrf(form.text)), follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/register/done?lang=fi"
    done = site.client.get(response.headers["location"])
    assert done.status_code == 200
    assert 'data-testid="page-registered"' in done.text
    assert "Rekisteröityminen on valmis" in done.text
    assert "uusi.kayttaja@example.com" in done.text
    stored = site.service.get(invitation.id)
    assert stored.status is InvitationStatus.ACCEPTED
    assert stored.registered_first_name == "Matti"
    again = site.open_link(invitation.link)
    assert again.status_code == 410
    assert 'data-testid="page-used"' in again.text
    assert "Kutsu on jo käytetty" in again.text


def test_resubmitting_after_success_does_not_redeem_twice(site: Site) -> None:
    invitation = site.invite()
    form = site.open_link(invitation.link)
    data = registration(csrf_token=site.csrf(form.text))
    assert site.client.post("/register", data=data).status_code == 200
    stored = site.service.get(invitation.id)
    # Sent again from the same browser (double click, back and send): the done page,
    # not "nothing was saved", and no second registration.
    replay = site.client.post("/register", data=data, follow_redirects=False)
    assert replay.status_code == 303
    assert replay.headers["location"] == "/register/done?lang=fi"
    assert 'data-testid="page-registered"' in site.client.get(replay.headers["location"]).text
    assert site.service.get(invitation.id) == stored
    # Without that browser's session the form is refused as before.
    site.client.cookies.clear()
    assert site.client.post("/register", data=data).status_code == 403
    assert site.service.get(invitation.id) == stored


def test_changed_email_asks_for_confirmation(site: Site) -> None:
    invitation = site.invite()
    form = site.open_link(invitation.link)
    data = registration(email="matti.virtanen@example.org", csrf_token=site.csrf(form.text))
    page = site.client.post("/register", data=data)
    assert page.status_code == 200
    assert 'data-testid="page-check_inbox"' in page.text
    assert "matti.virtanen@example.org" in page.text
    assert site.service.get(invitation.id).status is InvitationStatus.AWAITING_CONFIRMATION
    mail = site.transport.outbox[-1]
    assert mail.recipients == ("matti.virtanen@example.org",)

    link = site.last_link("confirm-email")
    path = link.removeprefix("http://testserver")
    first = site.client.get(path, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/confirm-email"
    confirm = site.client.get("/confirm-email")
    assert confirm.status_code == 200 and 'data-testid="confirm-form"' in confirm.text
    # Opening the confirmation link (or HEAD) completes nothing by itself.
    site.client.head(path)
    assert site.service.get(invitation.id).status is InvitationStatus.AWAITING_CONFIRMATION
    done = site.client.post("/confirm-email", data={"csrf_token": site.csrf(confirm.text)})
    assert done.status_code == 200
    assert 'data-testid="email-confirmed"' in done.text
    stored = site.service.get(invitation.id)
    assert stored.status is InvitationStatus.ACCEPTED
    assert stored.registered_email == "matti.virtanen@example.org"


def test_username_may_be_left_as_the_email(site: Site) -> None:
    invitation = site.invite()
    form = site.open_link(invitation.link)
    data = registration(username="", password=GOOD_PASSWORD, csrf_token=site.csrf(form.text))
    assert site.client.post("/register", data=data).status_code == 200
    assert site.service.get(invitation.id).registered_username == "uusi.kayttaja@example.com"
