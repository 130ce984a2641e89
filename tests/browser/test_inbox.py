"""devsmtp's web inbox in headless Chromium: live list, message view, invitation panel.

devsmtp runs in-process on OS-chosen loopback ports with its data in
``tmp_path``; mail arrives over real SMTP (smtplib); the invitation mail is
the one the service composes. Each step leaves a screenshot in the test's
``screenshots`` directory.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from .inbox_support import Inbox, Shots, Watch, inbox_fixture, plain_mail  # noqa: F401 - the `inbox` fixture

pytestmark = pytest.mark.browser

SUBJECT = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"


@pytest.fixture
def shots(screenshots: Path) -> Shots:
    return Shots(screenshots)


def test_invitation_arrives_live_and_is_checked(
    inbox: Inbox, context: BrowserContext, page: Page, shots: Shots
) -> None:
    watch = Watch(context, page)
    page.goto(inbox.url)
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    shots(page, "empty-inbox")

    inbox.send(plain_mail("Laskusi on valmis", "laskutus@example.com"))
    invitation = inbox.invite("uusi.kayttaja@example.com")
    # Both arrive through the events stream: the page is never reloaded.
    expect(page.get_by_test_id("inbox-row")).to_have_count(2)
    assert watch.navigations == [inbox.url]
    newest = page.get_by_test_id("inbox-row").first
    expect(newest.get_by_test_id("row-subject")).to_have_text(SUBJECT)
    expect(newest.get_by_test_id("row-to")).to_have_text("uusi.kayttaja@example.com")
    expect(newest.get_by_test_id("row-from")).to_have_text("Posti <noreply@posti.fi>")
    shots(page, "invitation-arrived")

    inbox.clock.advance(minutes=30)
    newest.get_by_test_id("row-subject").click()
    expect(page.get_by_test_id("message-subject")).to_have_text(SUBJECT)
    panel = page.get_by_test_id("invitation-panel")
    expect(panel.get_by_test_id("invitation-id")).to_have_text(invitation.id)
    expect(panel.get_by_test_id("invitation-state")).to_have_attribute("data-state", "valid")
    expect(panel.get_by_test_id("invitation-time-left")).to_have_text("6 vrk 23 h")
    expect(panel.get_by_test_id("invitation-expires-at")).to_have_attribute(
        "data-iso", invitation.expires_at.isoformat())
    expect(panel.get_by_test_id("language-check")).to_have_attribute("data-ok", "true")
    sections = panel.get_by_test_id("language-section")
    expect(sections).to_have_count(3)
    assert [sections.nth(i).get_attribute("data-lang") for i in range(3)] == ["fi", "sv", "en"]
    for i in range(3):
        expect(sections.nth(i)).to_have_attribute("data-ok", "true")
    expect(sections.nth(0)).to_contain_text("Käyttäjärekisteröinti tehdään osoitteessa")
    expect(panel.get_by_test_id("open-link")).to_have_attribute("href", str(invitation.link))

    preview = page.get_by_test_id("preview")
    sandbox = preview.get_attribute("sandbox") or ""
    assert preview.get_attribute("sandbox") is not None
    assert not {"allow-scripts", "allow-forms", "allow-same-origin"} & set(sandbox.split())
    mail = page.frame_locator("[data-testid=preview]")
    expect(mail.get_by_text("Kutsu käyttäjäksi", exact=True)).to_be_visible()
    shots(page, "message-with-invitation-panel")

    page.get_by_test_id("width-mobile").click()
    expect(preview).to_have_class("preview mobile")
    box = preview.bounding_box()
    assert box is not None and box["width"] == 375
    shots(page, "preview-mobile-width")
    page.get_by_test_id("width-desktop").click()
    expect(preview).to_have_class("preview")

    for tab, testid, text in (
        ("text", "text-body", "Käyttäjärekisteröinti tehdään osoitteessa"),
        ("headers", "headers", "Auto-Submitted"),
        ("raw", "raw-source", "Content-Type: multipart/alternative"),
        ("envelope", "envelope", "uusi.kayttaja@example.com"),
        ("links", "links", str(invitation.link)),
    ):
        page.get_by_test_id(f"tab-{tab}").click()
        expect(page.get_by_test_id(testid).first).to_be_visible()
        expect(page.get_by_test_id(testid).first).to_contain_text(text)
    expect(page.get_by_test_id("tab-html")).to_be_visible()
    assert watch.dialogs == [] and watch.problems == []


def test_search_language_switch_and_delete_with_confirmation(
    inbox: Inbox, context: BrowserContext, page: Page, shots: Shots
) -> None:
    watch = Watch(context, page)
    inbox.send(plain_mail("Laskusi on valmis", "laskutus@example.com"))
    inbox.invite("uusi.kayttaja@example.com")
    page.goto(inbox.url)
    expect(page.get_by_test_id("inbox-row")).to_have_count(2)

    # Unicode-aware, case-insensitive search, without reloading the page.
    page.get_by_test_id("search").fill("KUTSU KÄYTTÄJÄKSI")
    page.get_by_test_id("search-submit").click()
    expect(page.get_by_test_id("inbox-row")).to_have_count(1)
    expect(page.get_by_test_id("row-subject")).to_have_text(SUBJECT)
    assert "q=KUTSU" in page.url
    shots(page, "search-kutsu-kayttajaksi")

    # The UI follows Accept-Language (fi-FI here) and switches on request.
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_test_id("search-submit")).to_have_text("Haku")
    page.get_by_test_id("lang-sv").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_test_id("search-submit")).to_have_text("Sök")
    expect(page.get_by_test_id("inbox-row")).to_have_count(1)  # the search survived
    shots(page, "swedish")
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("search-submit")).to_have_text("Search")
    page.goto(inbox.url)  # the choice is remembered (cookie)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    row = page.get_by_test_id("inbox-row").filter(has_text="Laskusi on valmis")
    row.get_by_test_id("row-delete").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("confirm-text")).to_contain_text("Laskusi on valmis")
    shots(page, "confirm-delete")
    page.get_by_test_id("confirm-no").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("inbox-row")).to_have_count(2)
    row.get_by_test_id("row-delete").click()
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id("inbox-row")).to_have_count(1)
    answer = httpx.get(f"{inbox.server.api_url}/messages", timeout=10).json()
    assert [m["subject"] for m in answer["messages"]] == [SUBJECT]

    # Deleting from the message page goes back to the inbox.
    page.get_by_test_id("row-subject").click()
    page.get_by_test_id("message-delete").click()
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    shots(page, "deleted")
    assert watch.dialogs == [] and watch.problems == []


def test_a_control_is_shown_only_once_its_script_has_wired_it(inbox: Inbox, page: Page) -> None:
    # A click that lands between the page's HTML and its script would hit a dead
    # button (the CI failure this guards against: a navigating click, then
    # "Delete" before message.js ran). Hold the script back and look.
    inbox.send(plain_mail("Odottava viesti", "odotus@example.com"))
    listed = httpx.get(f"{inbox.server.api_url}/messages", timeout=10).json()
    message_id = listed["messages"][0]["id"]
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/message.js*", hold)
    page.goto(f"{inbox.url}messages/{message_id}?lang=en", wait_until="commit")
    remove = page.get_by_test_id("message-delete")
    expect(remove).to_be_attached()
    deadline = time.monotonic() + 15
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(20)  # lets Playwright dispatch the route handler
    assert held, "the page never asked for message.js"
    expect(remove).to_be_hidden()
    expect(page.get_by_test_id("tab-text")).to_be_hidden()
    held[0].continue_()
    expect(remove).to_be_visible()
    remove.click()
    expect(page.get_by_test_id("confirm-dialog")).to_be_visible()
