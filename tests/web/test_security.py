"""CSRF, security headers, escaping and caching of the registration pages."""

from __future__ import annotations

import re

import pytest

from invitations.models import Company, InvitationStatus

from .conftest import MAIN_USER, Site, registration


def _form(site: Site) -> tuple[str, str]:
    invitation = site.invite()
    page = site.open_link(invitation.link)
    return invitation.id, site.csrf(page.text)


def test_post_without_csrf_token_is_refused(site: Site) -> None:
    invitation_id, _ = _form(site)
    page = site.client.post("/register", data=registration())
    assert page.status_code == 403
    assert 'data-testid="page-forbidden"' in page.text
    assert site.service.get(invitation_id).status is InvitationStatus.PENDING


def test_post_with_wrong_csrf_token_is_refused(site: Site) -> None:
    invitation_id, csrf = _form(site)
    page = site.client.post("/register", data=registration(csrf_token=csrf[:-2] + "xx"))
    assert page.status_code == 403
    assert site.service.get(invitation_id).status is InvitationStatus.PENDING


def test_post_without_the_session_cookie_is_refused(site: Site) -> None:
    invitation_id, csrf = _form(site)
    site.client.cookies.clear()
    page = site.client.post("/register", data=registration(csrf_token=csrf))
    assert page.status_code == 403
    assert site.service.get(invitation_id).status is InvitationStatus.PENDING


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_cross_site_post_is_refused_even_with_the_token(
    site: Site, headers: dict[str, str]
) -> None:
    invitation_id, csrf = _form(site)
    page = site.client.post("/register", data=registration(csrf_token=csrf), headers=headers)
    assert page.status_code == 403
    assert site.service.get(invitation_id).status is InvitationStatus.PENDING


def test_same_origin_post_under_no_referrer_is_accepted(site: Site) -> None:
    # Chromium sends "Origin: null" for a same-origin form under Referrer-Policy: no-referrer.
    invitation_id, csrf = _form(site)
    headers = {"origin": "null", "sec-fetch-site": "same-origin"}
    page = site.client.post("/register", data=registration(csrf_token=csrf), headers=headers)
    assert page.status_code == 200
    assert site.service.get(invitation_id).status is InvitationStatus.ACCEPTED


def test_csrf_token_of_another_session_is_refused(site: Site) -> None:
    _, csrf_one = _form(site)
    site.client.cookies.clear()
    invitation_id, _ = _form(site)
    page = site.client.post("/register", data=registration(csrf_token=csrf_one))
    assert page.status_code == 403
    assert site.service.get(invitation_id).status is InvitationStatus.PENDING


def test_security_headers_on_every_page(site: Site) -> None:
    invitation = site.invite()
    pages = [
        site.open_link(invitation.link),
        site.client.get("/register?token=garbage"),
        site.client.get("/confirm-email"),
    ]
    for page in pages:
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert "script-src" not in csp  # falls back to default-src 'none': no scripts at all
        assert "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "<script" not in page.text and " style=" not in page.text
        assert page.headers["content-type"] == "text/html; charset=utf-8"


def test_stylesheet_is_served_and_cacheable(site: Site) -> None:
    page = site.client.get("/static/registration.css")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/css")
    assert "no-store" not in page.headers.get("cache-control", "")
    assert page.headers["x-content-type-options"] == "nosniff"


def test_names_are_escaped(site: Site) -> None:
    company = Company("2077474-0", "<script>alert(1)</script> Ö'Brien & Co", "LOG-1")
    inviter = MAIN_USER.__class__("x@example.com", '<img src=x onerror="alert(1)">',
                                  "main_user", "2077474-0")
    invitation = site.invite(company=company, invited_by=inviter)
    page = site.open_link(invitation.link)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ö&#39;Brien &amp; Co" in page.text
    assert "<img src=x" not in page.text


def test_submitted_values_are_escaped(site: Site) -> None:
    _, csrf = _form(site)
    data = registration(first_name='"><script>x</script>', password="short", csrf_token=csrf)
    page = site.client.post("/register", data=data)
    assert page.status_code == 422
    assert "<script>x</script>" not in page.text
    assert re.search(r'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"', page.text)
