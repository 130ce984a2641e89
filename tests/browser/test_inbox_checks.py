"""The message page's checks tab in Chromium: HTML compatibility, links, spam score.

The invitation mail is the one the service composes; its link points at
127.0.0.1:9 (loopback, nothing listens), so the links check requests it and
reports it unanswered, and the token is judged with the service's keys and
store. axe-core (vendored from npm, ``tests/devsmtp/vendor``) finds no
accessibility violation on the tab in light and dark, in fi, sv and en.
Set ``DEVSMTP_DOCS_IMAGES=docs/images`` to refresh the documentation's
screenshots from this test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from devsmtp.catalog import language
from tests.axe import axe_violations

from .inbox_support import Inbox, Shots, inbox_fixture  # noqa: F401 - the `inbox` fixture

pytestmark = pytest.mark.browser

def open_checks(page: Page, inbox: Inbox, message_id: int, lang: str) -> None:
    page.goto(f"{inbox.url}messages/{message_id}?lang={lang}")
    page.get_by_test_id("tab-checks").click()
    expect(page.get_by_test_id("checks")).to_have_attribute("data-state", "done", timeout=60_000)


def test_the_checks_tab_shows_scores_features_links_and_spam(
    inbox: Inbox, page: Page, screenshots: Path
) -> None:
    shots = Shots(screenshots)
    inbox.invite("tarkistus@example.com")
    message_id = httpx.get(f"{inbox.server.api_url}/messages", timeout=10).json()[
        "messages"][0]["id"]
    before = httpx.get(f"{inbox.server.api_url}/messages/{message_id}/checks",
                       timeout=60).json()
    for lang in ("fi", "sv", "en"):
        gettext = language(lang).gettext
        open_checks(page, inbox, message_id, lang)
        pane = page.get_by_test_id("checks")
        expect(page.get_by_test_id("checks-status")).to_have_text(gettext("Checks done."))
        rows = page.get_by_test_id("checks-scores").locator("tbody tr")
        expect(rows).to_have_count(6)
        expect(rows.first).to_contain_text("Outlook Windows")
        features = page.get_by_test_id("checks-feature")
        expect(features).to_have_count(len(before["html"]["unsupported"]))
        first = before["html"]["unsupported"][0]
        expect(features.first).to_contain_text(
            (gettext("line %(line)s") % {"line": ""}).strip())
        expect(features.first).to_contain_text(first["title"])
        link = page.get_by_test_id("checks-link").first
        expect(link).to_contain_text("http://127.0.0.1:9/")
        expect(link).to_contain_text(gettext("token: %(state)s") % {"state": gettext("valid")})
        expect(link).to_have_class("bad")  # nothing answers on port 9
        spam = before["spam"]
        assert spam["available"], spam
        expect(page.get_by_test_id("checks-spam")).to_contain_text(
            gettext("%(score)s points; SpamAssassin calls %(threshold)s or more spam.")
            .split("%(score)s")[1].split("%(threshold)s")[0].strip())
        expect(page.get_by_test_id("checks-spam-rules").locator("li")).to_have_count(
            len(spam["rules"]))
        expect(pane).to_be_visible()
        for theme in ("light", "dark"):
            page.evaluate(f"document.documentElement.setAttribute('data-theme', '{theme}')")
            assert axe_violations(page) == [], (lang, theme)
        shots(page, f"checks-{lang}")
    page.set_viewport_size({"width": 375, "height": 800})
    open_checks(page, inbox, message_id, "fi")
    width = page.get_by_test_id("checks").evaluate("pane => pane.scrollWidth - pane.clientWidth")
    assert width <= 0, f"the checks tab scrolls sideways by {width} px at 375 px"
    narrow = shots(page, "checks-375")
    docs = os.environ.get("DEVSMTP_DOCS_IMAGES")
    if docs:
        shutil.copy(shots.taken[0], Path(docs) / "devsmtp-checks-1280.png")
        shutil.copy(narrow, Path(docs) / "devsmtp-checks-375.png")
