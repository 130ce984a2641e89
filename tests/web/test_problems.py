"""Distinct pages for expired, used, revoked and invalid links, and whom to contact."""

from __future__ import annotations

import pytest

from invitations.models import InvitationStatus

from .conftest import MAIN_USER, OPERATOR, Site, registration


def test_expired_user_invitation_names_the_main_user(site: Site) -> None:
    invitation = site.invite()
    site.clock.advance(days=7, seconds=1)
    page = site.open_link(invitation.link)
    assert page.status_code == 410
    assert 'data-testid="page-expired"' in page.text
    assert 'data-testid="contact-main-user"' in page.text
    assert "Ole yhteydessä yrityksesi pääkäyttäjään" in page.text
    assert "Maija Pääkäyttäjä" in page.text and "Esimerkki Oy" in page.text
    assert "customer-service-link" not in page.text
    # Finnish date and time, Helsinki time: 7.3.2025 15.05 + 7 days.
    assert "14.3.2025 klo 15.05" in page.text


def test_still_valid_one_second_before_expiry(site: Site) -> None:
    invitation = site.invite()
    site.clock.advance(days=7, seconds=-1)
    assert site.open_link(invitation.link).status_code == 200


def test_expired_main_user_invitation_points_to_customer_service_chat(site: Site) -> None:
    invitation = site.invite("paakayttaja@example.com", role="main_user", invited_by=OPERATOR)
    site.clock.advance(days=8)
    page = site.open_link(invitation.link, **{"accept-language": "sv"})
    assert page.status_code == 410
    assert 'data-testid="contact-customer-service"' in page.text
    assert "kundtjänstens chatt" in page.text
    assert 'href="https://www.posti.fi/fi/asiakastuki"' in page.text
    assert "contact-main-user" not in page.text


def test_expiry_between_showing_and_sending_the_form(site: Site) -> None:
    invitation = site.invite()
    form = site.open_link(invitation.link)
    site.clock.advance(days=7, seconds=1)
    page = site.client.post("/register", data=registration(csrf_token=site.csrf(form.text)))
    assert page.status_code == 410 and 'data-testid="page-expired"' in page.text
    assert site.service.get(invitation.id).status is InvitationStatus.EXPIRED


def test_revoked(site: Site) -> None:
    invitation = site.invite()
    site.service.revoke(invitation.id, by=MAIN_USER)
    page = site.open_link(invitation.link, **{"accept-language": "en"})
    assert page.status_code == 410
    assert 'data-testid="page-revoked"' in page.text
    assert "The invitation has been withdrawn" in page.text


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # tampered signature
        lambda token: token[: len(token) // 2],  # truncated by a mail client
        lambda token: "not-a-token",  # malformed
        lambda token: "",  # empty
    ],
)
def test_invalid_links_share_one_generic_page(site: Site, mangle: object) -> None:
    invitation = site.invite()
    assert invitation.link is not None and callable(mangle)
    token = invitation.link.split("token=", 1)[1]
    page = site.client.get(f"/register?token={mangle(token)}")
    assert page.status_code == 400
    assert 'data-testid="page-invalid"' in page.text
    assert "Linkki ei kelpaa" in page.text
    for word in ("signature", "tamper", "malformed", "allekirjoitus"):
        assert word not in page.text.lower()


def test_superseded_link_after_resend_is_invalid(site: Site) -> None:
    old = site.invite()
    site.service.resend(old.id, by=MAIN_USER)
    page = site.open_link(old.link)
    assert page.status_code == 400 and 'data-testid="page-invalid"' in page.text


def test_without_a_session(site: Site) -> None:
    page = site.client.get("/register")
    assert page.status_code == 400
    assert 'data-testid="page-session"' in page.text
    assert site.client.get("/confirm-email").status_code == 400


def test_forged_session_cookie_is_no_session(site: Site) -> None:
    site.client.cookies.set("invitations_session", "eyJ0b2tlbiI6ICJ4In0.forged.sig")
    page = site.client.get("/register")
    assert page.status_code == 400 and 'data-testid="page-session"' in page.text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fi", "Tätä sivua ei ole"), ("sv", "Sidan finns inte"), ("en", "There is no such page")],
)
def test_an_unknown_address_is_a_page_in_the_visitors_language(
    site: Site, lang: str, expected: str
) -> None:
    page = site.client.get("/register/nonexistent", headers={"accept-language": lang})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert expected in page.text and f'lang="{lang}"' in page.text


def test_a_wrong_method_and_an_oversized_form_say_what_to_do(site: Site) -> None:
    wrong = site.client.put("/register", headers={"accept-language": "sv"})
    assert wrong.status_code == 405 and "Sidan kan inte användas så här" in wrong.text
    huge = site.client.post("/register", data={"first_name": "x" * (2 * 1024 * 1024)},
                            headers={"accept-language": "fi"})
    assert huge.status_code == 400, huge.text[:200]
    assert "Lomaketta ei voitu lukea" in huge.text
