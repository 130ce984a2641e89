"""The inbox list: paging, inbox filter, deletes (also live), themes, attachments."""

from __future__ import annotations

import base64
import re
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .inbox_support import (  # noqa: F401 - inbox_fixture is the `inbox` fixture
    Inbox,
    Shots,
    Watch,
    inbox_fixture,
    plain_mail,
    running_inbox,
)

pytestmark = pytest.mark.browser


def test_paging_inbox_filter_and_deletes(
    inbox: Inbox, context: BrowserContext, page: Page, screenshots: Path
) -> None:
    shots = Shots(screenshots)
    watch = Watch(context, page)
    for n in range(55):
        inbox.send(plain_mail(f"Tilaus {n:02d}", "a@example.com"))
    for n in range(5):
        inbox.send(plain_mail(f"Lasku {n}", "b@example.com"))

    page.goto(inbox.url)
    rows = page.get_by_test_id("inbox-row")
    expect(rows).to_have_count(50)
    expect(rows.first.get_by_test_id("row-subject")).to_have_text("Lasku 4")
    more = page.get_by_test_id("load-more")
    more.click()
    expect(rows).to_have_count(60)
    expect(rows.last.get_by_test_id("row-subject")).to_have_text("Tilaus 00")
    expect(more).to_be_hidden()

    # One inbox: click its address in a row; then delete just that inbox.
    rows.first.get_by_test_id("row-to").get_by_text("b@example.com").click()
    expect(rows).to_have_count(5)
    assert "to=b%40example.com" in page.url
    shots(page, "inbox-b-filtered")
    page.get_by_test_id("delete-inbox").click()
    expect(page.get_by_test_id("confirm-text")).to_contain_text("b@example.com")
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    page.get_by_test_id("inbox-filter").fill("")
    page.get_by_test_id("search-submit").click()
    expect(rows).to_have_count(50)
    expect(rows.first.get_by_test_id("row-subject")).to_have_text("Tilaus 54")

    # A delete made elsewhere (the API, another tab) reaches the page live.
    newest = httpx.get(f"{inbox.server.api_url}/messages", params={"limit": 1},
                       timeout=10).json()["messages"][0]
    httpx.delete(f"{inbox.server.api_url}/messages/{newest['id']}", timeout=10)
    expect(rows.first.get_by_test_id("row-subject")).to_have_text("Tilaus 53")

    page.get_by_test_id("delete-all").click()
    page.get_by_test_id("confirm-yes").click()
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    listing = httpx.get(f"{inbox.server.api_url}/messages", timeout=10).json()
    assert listing["messages"] == []
    assert watch.dialogs == [] and watch.problems == []


def test_dark_theme_keeps_the_mails_colours(
    inbox: Inbox, browser: Browser, screenshots: Path
) -> None:
    shots = Shots(screenshots)
    html = ('<body style="background-color:#ffffff;color:#111111">'
            '<p id="brand" style="color:#f96b00">Posti-oranssi</p></body>')
    inbox.send(plain_mail("Värit", "qa@example.com", html=html))
    context = browser.new_context(color_scheme="dark", locale="en-GB",
                                  viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(inbox.url)
        # English from Accept-Language; dark from prefers-color-scheme.
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_test_id("theme-toggle")).to_have_attribute("data-current", "dark")
        page.get_by_test_id("row-subject").click()
        mail = page.frame_locator("[data-testid=preview]")
        expect(mail.locator("#brand")).to_have_css("color", "rgb(249, 107, 0)")
        expect(mail.locator("body")).to_have_css("background-color", "rgb(255, 255, 255)")
        expect(page.locator("body")).not_to_have_css("background-color", "rgb(255, 255, 255)")
        shots(page, "dark-theme")

        page.get_by_test_id("theme-toggle").click()
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        page.reload()  # the choice is kept
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        expect(mail.locator("#brand")).to_have_css("color", "rgb(249, 107, 0)")
        shots(page, "light-theme-chosen")
    finally:
        context.close()


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def test_attachments_inline_images_and_downloads(
    inbox: Inbox, page: Page, screenshots: Path
) -> None:
    shots = Shots(screenshots)
    message = plain_mail("Lasku liitteenä", "qa@example.com", "Liitteenä lasku.\n",
                         html='<p><img id="logo" src="cid:logo@example.com" alt="logo"></p>')
    html_part = message.get_payload()[1]
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(PNG, maintype="image", subtype="png", cid="<logo@example.com>")
    pdf = b"%PDF-1.4 not really a pdf \x00\xff"
    message.add_attachment(pdf, maintype="application", subtype="pdf",
                           filename="Lasku ääkköset.pdf")
    inbox.send(message)
    page.goto(inbox.url)
    expect(page.get_by_test_id("row-attachment")).to_have_count(1)
    page.get_by_test_id("row-subject").click()
    # cid: images show in the preview (inlined as data: URLs, which its CSP allows).
    logo = page.frame_locator("[data-testid=preview]").locator("#logo")
    expect(logo).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    page.get_by_test_id("tab-attachments").click()
    link = page.get_by_test_id("attachment")
    expect(link).to_have_text("Lasku ääkköset.pdf")
    shots(page, "attachments")

    base = inbox.url.rstrip("/")
    attachment = httpx.get(base + (link.get_attribute("href") or ""), timeout=10)
    assert attachment.content == pdf
    assert attachment.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''Lasku%20%C3%A4%C3%A4kk%C3%B6set.pdf" in (
        attachment.headers["content-disposition"])
    eml = page.get_by_test_id("download-eml").get_attribute("href") or ""
    downloaded = httpx.get(base + eml, timeout=10)
    listing = httpx.get(f"{inbox.server.api_url}/messages", timeout=10).json()
    raw = httpx.get(f"{inbox.server.api_url}/messages/{listing['messages'][0]['id']}/raw",
                    timeout=10)
    assert downloaded.content == raw.content  # byte for byte what was captured
    assert downloaded.headers["content-disposition"].startswith("attachment;")


def test_inbox_behind_ui_password(tmp_path: Path, browser: Browser) -> None:
    with running_inbox(tmp_path, ui_password="salainen-qa") as inbox:
        assert httpx.get(inbox.url, timeout=10).status_code == 401
        context = browser.new_context(
            locale="fi-FI", http_credentials={"username": "qa", "password": "salainen-qa"})
        try:
            page = context.new_page()
            page.goto(inbox.url)
            # The list's fetches and the event stream carry the same credentials.
            expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
            inbox.send(plain_mail("Salasanan takana", "qa@example.com"))
            expect(page.get_by_test_id("row-subject")).to_have_text("Salasanan takana")
        finally:
            context.close()
