"""Issue 12, item 1: a form completes only the invitation it was shown for.

Opening a link replaced the session's invitation but kept its CSRF token, so the form a
victim already had open submitted into an attacker's invitation: a page that opens the
attacker's link in another tab of the victim's browser made the victim's details register
the attacker's invitation. Now the form's CSRF token is bound to its invitation and
renewed whenever the session's invitation changes, and a second link opened while a
registration is unfinished asks, in the visitor's language, whether to continue the
first or switch; only that page's own POST switches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from invitations.models import Invitation, InvitationStatus
from tests.browser.scenario_support import GOOD_PASSWORD, Site, fill_registration

VICTIM = "uhri@example.com"
ATTACKER = "hyokkaaja@example.com"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="fi-FI")
    yield context
    context.close()


def _status(site: Site, invitation: Invitation) -> InvitationStatus:
    return site.service.get(invitation.id).status


@pytest.mark.browser
def test_another_tab_cannot_take_over_an_open_form(site: Site, context: BrowserContext) -> None:
    victim, attacker = site.invite(VICTIM), site.invite(ATTACKER)
    assert victim.link and attacker.link
    form = context.new_page()
    form.goto(victim.link)
    fill_registration(form, password=GOOD_PASSWORD, email="matti.oma@example.org")
    # A page the victim visits opens the attacker's link in another tab (same browser,
    # same cookies): a top-level navigation carries the SameSite=Lax session cookie.
    other = context.new_page()
    other.goto(attacker.link)
    # The victim sends the form they filled in.
    form.get_by_role("button", name="Seuraava").click()
    expect(form.get_by_test_id("check-inbox-title")).to_be_visible()
    assert _status(site, attacker) is InvitationStatus.PENDING
    registered = site.service.get(victim.id)
    assert registered.status is InvitationStatus.AWAITING_CONFIRMATION
    assert registered.registered_email == "matti.oma@example.org"
    # The other tab asked instead of switching, in the visitor's language.
    expect(other.get_by_test_id("page-switch")).to_be_visible()
    expect(other.get_by_test_id("page-switch")).to_contain_text("kesken")


@pytest.mark.browser
def test_after_switching_the_old_form_saves_nothing(site: Site,
                                                    context: BrowserContext) -> None:
    first, second = site.invite(VICTIM), site.invite(ATTACKER)
    assert first.link and second.link
    form = context.new_page()
    form.goto(first.link)
    fill_registration(form, password=GOOD_PASSWORD)
    other = context.new_page()
    other.goto(second.link)
    other.get_by_test_id("switch").click()  # the person chooses the new invitation
    expect(other.get_by_label("Sähköpostiosoite")).to_have_value(ATTACKER)
    form.get_by_role("button", name="Seuraava").click()
    expect(form.get_by_test_id("page-switched")).to_be_visible()
    assert _status(site, first) is InvitationStatus.PENDING
    assert _status(site, second) is InvitationStatus.PENDING
    # The form shown for the second invitation still works.
    fill_registration(other, password=GOOD_PASSWORD)
    other.get_by_role("button", name="Seuraava").click()
    expect(other.get_by_test_id("success-title")).to_be_visible()
    assert _status(site, second) is InvitationStatus.ACCEPTED
    assert _status(site, first) is InvitationStatus.PENDING


# -- the same over HTTP: the CSRF token, the choice page in each language -----------------

def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _data(csrf: str, html: str, **extra: str) -> dict[str, str]:
    data = {"csrf_token": csrf, "first_name": "Matti", "last_name": "Virtanen",
            "email": VICTIM, "username": "", "password": GOOD_PASSWORD, **extra}
    bound = re.search(r'name="invitation" value="([^"]+)"', html)
    if bound:
        data["invitation"] = bound.group(1)
    return data


def _path(link: str | None) -> str:
    assert link is not None
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


@dataclass
class TwoLinks:
    """One browser-like client that opened the first invitation's link, then the second's."""

    client: httpx.Client
    first: Invitation
    second: Invitation
    form: httpx.Response  # the first invitation's form
    asked: httpx.Response  # what opening the second link showed

    def send_first_form(self) -> httpx.Response:
        return self.client.post("/register", data=_data(_csrf(self.form.text), self.form.text))

    def choose(self, choice: str, **headers: str) -> httpx.Response:
        data = {"csrf_token": _csrf(self.asked.text), "choice": choice}
        return self.client.post("/register/switch", data=data, headers=headers)


@contextmanager
def two_links(site: Site, **headers: str) -> Iterator[TwoLinks]:
    first, second = site.invite(VICTIM), site.invite(ATTACKER)
    with httpx.Client(base_url=site.web.url, trust_env=False, timeout=10,
                      follow_redirects=True, headers=headers) as client:
        form = client.get(_path(first.link))
        asked = client.get(_path(second.link))
        yield TwoLinks(client, first, second, form, asked)


@pytest.mark.parametrize(("lang", "title", "keep", "switch"), [
    ("fi", "Sinulla on rekisteröinti kesken", "Jatka aloitettua rekisteröintiä",
     "Vaihda uuteen kutsuun"),
    ("sv", "Du har en påbörjad registrering", "Fortsätt den påbörjade registreringen",
     "Byt till den nya inbjudan"),
    ("en", "You have an unfinished registration", "Continue the registration you started",
     "Switch to the new invitation"),
])
def test_a_second_link_asks_in_the_visitors_language(
    site: Site, lang: str, title: str, keep: str, switch: str
) -> None:
    with two_links(site, **{"accept-language": lang}) as opened:
        asked = opened.asked
        assert asked.status_code == 200
        assert 'data-testid="page-switch"' in asked.text
        assert title in asked.text and keep in asked.text and switch in asked.text
        assert f'lang="{lang}"' in asked.text
        assert VICTIM in asked.text and ATTACKER in asked.text
        # The first form still completes the first invitation, and only it.
        done = opened.send_first_form()
        assert done.status_code == 200, done.text
    assert _status(site, opened.first) is InvitationStatus.ACCEPTED
    assert _status(site, opened.second) is InvitationStatus.PENDING


def test_continuing_keeps_the_first_and_its_form(site: Site) -> None:
    with two_links(site) as opened:
        kept = opened.choose("continue")
        assert 'data-testid="page-register"' in kept.text and VICTIM in kept.text
        assert _csrf(kept.text) == _csrf(opened.form.text)  # same invitation, same token
        assert opened.send_first_form().status_code == 200
    assert _status(site, opened.first) is InvitationStatus.ACCEPTED
    assert _status(site, opened.second) is InvitationStatus.PENDING


def test_the_csrf_token_is_renewed_when_the_invitation_changes(site: Site) -> None:
    with two_links(site) as opened:
        switched = opened.choose("switch")
        assert ATTACKER in switched.text
        assert _csrf(switched.text) != _csrf(opened.form.text)
        # The first form's token, without the hidden invitation field: still refused.
        refused = opened.client.post("/register", data=_data(_csrf(opened.form.text), ""))
        assert refused.status_code == 403
    assert _status(site, opened.first) is InvitationStatus.PENDING
    assert _status(site, opened.second) is InvitationStatus.PENDING


def test_the_choice_cannot_be_made_from_another_site(site: Site) -> None:
    with two_links(site) as opened:
        forged = opened.client.post("/register/switch", data={"choice": "switch"})
        assert forged.status_code == 403
        assert opened.choose("switch", **{"sec-fetch-site": "cross-site"}).status_code == 403
        assert opened.send_first_form().status_code == 200
    assert _status(site, opened.first) is InvitationStatus.ACCEPTED


def test_a_finished_or_dead_first_invitation_switches_without_asking(site: Site) -> None:
    first, second = site.invite(VICTIM), site.invite(ATTACKER)
    site.service.revoke(first.id, by=first.inviter)
    with httpx.Client(base_url=site.web.url, trust_env=False, timeout=10,
                      follow_redirects=True) as client:
        client.get(_path(first.link))
        page = client.get(_path(second.link))
    assert 'data-testid="page-register"' in page.text and ATTACKER in page.text
