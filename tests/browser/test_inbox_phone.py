"""The inbox on phones and from the keyboard, in real Chromium.

No page scrolls sideways at 320 and 375 px (list, message with every tab,
the expanded invitation panel, the SMTP sessions page); whole rows open a
message and opening it in the UI marks it read (the JSON API never does);
rows show a snippet; j/k/Enter/Delete and / work and are announced in an
aria-live region; the list's dates read like the message page's, with the
zone; the invitation panel is compact and follows the invitation's state;
the sessions page shows commands, replies, refused mail and faults; axe-core
finds nothing on any page, light and dark, fi/sv/en. Set
``DEVSMTP_DOCS_IMAGES=docs/images`` to refresh the documentation's
``inbox-*.png`` screenshots (375 and 1280 px) from these tests.
"""

from __future__ import annotations

import os
import shutil
import smtplib
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from devsmtp.catalog import language
from invitations.models import Registration

from .inbox_support import Inbox, Shots, inbox_fixture, plain_mail  # noqa: F401 - `inbox`
from .scenario_support import GOOD_PASSWORD
from .test_inbox_checks import axe_violations

pytestmark = pytest.mark.browser

LONG_ADDRESS = ("erittain.pitka.vastaanottajan.osoite.joka.ei.mahdu"
                "@esimerkki-organisaatio.example.com")


def docs_copy(path: Path, name: str) -> None:
    docs = os.environ.get("DEVSMTP_DOCS_IMAGES")
    if docs:
        shutil.copy(path, Path(docs) / f"inbox-{name}.png")


def overflow(page: Page) -> int:
    """How many px the page scrolls sideways (0 when it does not)."""
    return int(page.evaluate(
        "document.documentElement.scrollWidth - window.innerWidth"))


def messages(inbox: Inbox) -> list[dict[str, object]]:
    answer = httpx.get(f"{inbox.server.api_url}/messages", timeout=10).json()
    return list(answer["messages"])


def fill(inbox: Inbox) -> None:
    inbox.send(plain_mail("Pitkä otsikko, jossa on paljon sanoja ja vielä enemmän sanoja "
                          "niin että se ei mahdu yhdelle riville puhelimessa", LONG_ADDRESS,
                          "Hei! Tämä viesti kertoo, että tilauksesi on käsitelty.\n\nTerveisin",
                          html="<p>Hei! <a href='http://127.0.0.1:9/tilaus/"
                               + "x" * 120 + "'>Tilaus</a></p>"))
    inbox.invite("puhelin@example.com")


def test_no_page_scrolls_sideways_at_320_and_375(inbox: Inbox, page: Page,
                                                  screenshots: Path) -> None:
    shots = Shots(screenshots)
    fill(inbox)
    plain_id, invitation_id = (m["id"] for m in reversed(messages(inbox)))
    for width in (320, 375):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(inbox.url)
        expect(page.get_by_test_id("inbox-row")).to_have_count(2)
        assert overflow(page) <= 0, f"the list scrolls sideways at {width} px"
        expect(page.get_by_test_id("row-subject").first).to_be_in_viewport()
        expect(page.get_by_test_id("theme-toggle")).to_be_in_viewport()
        expect(page.get_by_test_id("lang-en")).to_be_in_viewport()
        list_shot = shots(page, f"list-{width}")
        for message_id in (plain_id, invitation_id):
            page.goto(f"{inbox.url}messages/{message_id}")
            for tab in page.get_by_test_id("tabs").get_by_role("tab").all():
                tab.click()
                expect(tab).to_have_attribute("aria-selected", "true")
                assert overflow(page) <= 0, (width, message_id, tab.get_attribute("data-tab"))
        page.get_by_test_id("tab-text").click()
        page.get_by_test_id("invitation-expand").click()
        expect(page.get_by_test_id("language-sections")).to_be_visible()
        assert overflow(page) <= 0, f"the expanded panel scrolls sideways at {width} px"
        message_shot = shots(page, f"message-{width}")
        page.goto(f"{inbox.url}sessions")
        expect(page.get_by_test_id("session")).to_have_count(2)
        assert overflow(page) <= 0, f"the sessions page scrolls sideways at {width} px"
        if width == 375:
            docs_copy(list_shot, "list-375")
            docs_copy(message_shot, "message-375")
            docs_copy(shots(page, "sessions-375"), "sessions-375")


def test_rows_open_messages_marked_read_only_by_the_ui(inbox: Inbox, page: Page,
                                                       screenshots: Path) -> None:
    shots = Shots(screenshots)
    fill(inbox)
    newest = messages(inbox)[0]
    # Reading through the API (detail, raw, body) never marks a message read.
    for path in ("", "/raw", "/text"):
        httpx.get(f"{inbox.server.api_url}/messages/{newest['id']}{path}", timeout=10)
    assert [m["read"] for m in messages(inbox)] == [False, False]

    page.goto(inbox.url)
    rows = page.get_by_test_id("inbox-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-read", "false")
    expect(rows.first.get_by_test_id("row-unread")).to_have_text("Lukematon: ")
    expect(rows.last.get_by_test_id("row-snippet")).to_have_text(
        "Hei! Tämä viesti kertoo, että tilauksesi on käsitelty. Terveisin")
    shots(page, "unread")
    # A click anywhere in the row (here: the sender) opens the message.
    rows.first.get_by_test_id("row-from").click()
    expect(page).to_have_url(f"{inbox.url}messages/{newest['id']}")
    page.get_by_test_id("back").click()
    expect(rows.first).to_have_attribute("data-read", "true")
    expect(rows.last).to_have_attribute("data-read", "false")
    assert [m["read"] for m in messages(inbox)] == [True, False]
    # The row's own buttons keep their job: the recipient filters, it does not open.
    rows.last.get_by_test_id("row-to").get_by_role("button").click()
    expect(rows).to_have_count(1)
    assert "/messages/" not in page.url


def test_keyboard_navigation_is_announced(inbox: Inbox, page: Page) -> None:
    for n in range(3):
        inbox.send(plain_mail(f"Viesti {n}", "nappis@example.com"))
    page.goto(f"{inbox.url}?lang=en")
    rows = page.get_by_test_id("inbox-row")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
    announce = page.get_by_test_id("announce")
    expect(announce).to_have_attribute("aria-live", "polite")
    page.keyboard.press("j")
    expect(announce).to_have_text("Message 1 of 3: Viesti 2, from Testi <testi@example.com>"
                                  " (Unread)")
    expect(rows.nth(0)).to_have_class("unread selected")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(announce).to_contain_text("Message 3 of 3: Viesti 0")
    page.keyboard.press("k")
    expect(announce).to_contain_text("Message 2 of 3: Viesti 1")
    expect(rows.nth(1).get_by_test_id("row-subject")).to_be_focused()
    page.keyboard.press("Delete")
    expect(page.get_by_test_id("confirm-text")).to_contain_text("Viesti 1")
    page.keyboard.press("Escape")  # cancel: nothing deleted
    expect(page.get_by_test_id("confirm-dialog")).to_be_hidden()
    expect(rows).to_have_count(3)
    page.keyboard.press("Delete")
    page.get_by_test_id("confirm-yes").click()
    expect(rows).to_have_count(2)
    expect(announce).to_have_text("Message deleted.")
    assert [m["subject"] for m in messages(inbox)] == ["Viesti 2", "Viesti 0"]
    page.keyboard.press("/")
    expect(page.get_by_test_id("search")).to_be_focused()
    page.keyboard.type("j")  # typed into the search, not a move
    expect(page.get_by_test_id("search")).to_have_value("j")
    page.keyboard.press("Escape")
    page.keyboard.press("k")
    expect(announce).to_contain_text("Message 1 of 2: Viesti 2")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("message-subject")).to_have_text("Viesti 2")


def test_a_late_close_event_does_not_answer_the_next_confirmation(inbox: Inbox,
                                                                  page: Page) -> None:
    # Escape then Delete at once: the first round's "close" event is still queued
    # when the dialog opens again. It must not answer the second question.
    page.goto(f"{inbox.url}?lang=en")
    answers = page.evaluate("""async () => {
        const dialog = document.getElementById("confirm");
        const first = devsmtp.confirm("first");
        dialog.close("cancel");
        const second = devsmtp.confirm("second");
        await new Promise((done) => dialog.addEventListener("close", done, {once: true}));
        const openAfterStaleClose = dialog.open;
        dialog.close("ok");
        return [await first, openAfterStaleClose, await second];
    }""")
    assert answers == [False, True, True]


def test_dates_read_alike_with_the_zone_in_each_language(inbox: Inbox, page: Page) -> None:
    inbox.send(plain_mail("Päiväys", "paiva@example.com"))
    message_id = messages(inbox)[0]["id"]
    for lang in ("fi", "sv", "en"):
        page.goto(f"{inbox.url}messages/{message_id}?lang={lang}")
        shown = page.get_by_test_id("message-received").inner_text()
        assert shown.split()[-1] in ("EET", "EEST"), shown
        page.goto(f"{inbox.url}?lang={lang}")
        expect(page.get_by_test_id("row-received")).to_have_text(shown)
    assert "AM" not in shown and "PM" not in shown, shown


def test_invitation_panel_is_compact_and_follows_the_invitation(
    inbox: Inbox, page: Page, screenshots: Path
) -> None:
    shots = Shots(screenshots)
    invitation = inbox.invite("seuraava@example.com")
    message_id = messages(inbox)[0]["id"]
    page.goto(f"{inbox.url}messages/{message_id}")
    panel = page.get_by_test_id("invitation-panel")
    expect(panel).to_have_attribute("data-state", "valid")
    expect(page.get_by_test_id("invitation-summary-time")).to_have_text("7 vrk 0 h")
    expect(page.get_by_test_id("language-sections")).to_be_hidden()
    box = panel.bounding_box()
    assert box is not None and box["height"] < 260, box
    shot = shots(page, "panel-compact-1280")
    docs_copy(shot, "message-1280")
    page.get_by_test_id("invitation-expand").click()
    expect(page.get_by_test_id("language-section")).to_have_count(3)
    for section in page.get_by_test_id("language-section").all():
        text = section.locator(".section-text").inner_text().rstrip()
        assert text[-1] in ".!?…", text  # whole sentences, not cut mid-way

    assert invitation.link is not None
    inbox.service.redeem(invitation.link.split("token=")[1],
                         Registration("Matti", "Virtanen", "seuraava@example.com", "",
                                      GOOD_PASSWORD))
    page.reload()
    expect(panel).to_have_attribute("data-state", "used")
    expect(page.get_by_test_id("invitation-summary-time")).to_have_text(
        language("fi").gettext("used"))
    expect(page.get_by_test_id("open-link")).to_have_text(
        language("fi").gettext("Open the link anyway"))
    shots(page, "panel-used")


def test_sessions_page_shows_commands_replies_refusals_and_faults(
    inbox: Inbox, page: Page, screenshots: Path
) -> None:
    shots = Shots(screenshots)
    api = inbox.server.api_url
    assert httpx.put(f"{api}/faults", json={"stage": "rcpt", "code": 550, "times": 1},
                     timeout=10).status_code == 201
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        inbox.send(plain_mail("Hylätty", "torjuttu@example.com"))
    inbox.send(plain_mail("Perillä", "perilla@example.com"))
    page.goto(f"{inbox.url}sessions?lang=en")
    sessions = page.get_by_test_id("session")
    expect(sessions).to_have_count(2)
    newest, refused = sessions.nth(0), sessions.nth(1)
    expect(newest.locator("h2")).to_contain_text("127.0.0.1:")
    expect(newest.locator('[data-kind="command"]', has_text="> MAIL FROM:")).to_have_count(1)
    expect(newest.locator('[data-kind="reply"]', has_text="< 250")).not_to_have_count(0)
    expect(newest.locator('[data-kind="note"]', has_text="stored as")).to_have_count(1)
    expect(refused.locator('[data-kind="refused"]', has_text="< 550")).to_have_count(1)
    expect(refused.locator('[data-kind="fault"]')).to_have_count(1)
    expect(page.get_by_test_id("nav-sessions")).to_have_attribute("aria-current", "page")
    docs_copy(shots(page, "sessions-1280"), "sessions-1280")


def test_every_page_passes_axe_light_and_dark_in_each_language(
    inbox: Inbox, page: Page, screenshots: Path
) -> None:
    shots = Shots(screenshots)
    fill(inbox)
    invitation_id = messages(inbox)[0]["id"]
    for lang in ("fi", "sv", "en"):
        for name, path, ready in (
            ("list", "", "inbox-row"),
            ("message", f"messages/{invitation_id}", "invitation-panel"),
            ("sessions", "sessions", "session"),
        ):
            page.goto(f"{inbox.url}{path}?lang={lang}")
            expect(page.get_by_test_id(ready).first).to_be_visible()
            if name == "message":
                page.get_by_test_id("invitation-expand").click()
            if name == "list":
                page.keyboard.press("j")  # the selected row's colours too
                expect(page.get_by_test_id("announce")).not_to_be_empty()
            for theme in ("light", "dark"):
                page.evaluate(f"document.documentElement.setAttribute('data-theme', '{theme}')")
                assert axe_violations(page) == [], (lang, name, theme)
            if lang == "en" and name == "list":
                docs_copy(shots(page, "list-1280"), "list-1280")
