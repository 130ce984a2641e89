"""A bounce (RFC 3464 report) captured by devsmtp reads as one in the inbox, in real
Chromium: the DSN panel names the recipient, action, status and diagnostic, and
axe-core finds nothing on that page, light and dark, in fi, sv and en."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from .inbox_support import Inbox, inbox_fixture  # noqa: F401 - the `inbox` fixture
from .test_inbox_checks import axe_violations

pytestmark = pytest.mark.browser

POSTFIX = Path(__file__).resolve().parents[1] / "bounces" / "dsn" / "postfix.eml"
RECIPIENT = "matti.virtanen@example.com"


def test_a_bounce_reads_as_a_delivery_report_in_every_language(inbox: Inbox,
                                                               page: Page) -> None:
    raw = (POSTFIX.read_bytes()
           .replace(b"@@RCPT@@", RECIPIENT.encode())
           .replace(b"@@MESSAGE_ID@@", b"<179645663313.1.1@posti.fi>")
           .replace(b"@@RETURN_PATH@@", b"bounces+abc@posti.fi")
           .replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))  # SMTP wants CRLF
    inbox.send_raw(raw, ["bounces+abc@posti.fi"], sender="")  # the null sender, as bounces come
    listed = httpx.get(f"{inbox.server.api_url}/messages", timeout=10).json()["messages"]
    for lang, heading in (("fi", "Toimitusilmoitus"), ("sv", "Leveransrapport"),
                          ("en", "Delivery status notification")):
        page.goto(f"{inbox.url}messages/{listed[0]['id']}?lang={lang}")
        panel = page.get_by_test_id("dsn-panel")
        expect(panel).to_be_visible()
        expect(panel.get_by_role("heading")).to_have_text(heading)
        expect(panel.get_by_test_id("dsn-address")).to_have_text(RECIPIENT)
        expect(panel.get_by_test_id("dsn-status")).to_have_text("5.1.1")
        expect(panel.get_by_test_id("dsn-action")).to_have_text("failed")
        expect(panel.get_by_test_id("dsn-diagnostic")).to_contain_text("User unknown")
        for theme in ("light", "dark"):
            page.evaluate(f"document.documentElement.setAttribute('data-theme', '{theme}')")
            assert axe_violations(page) == [], (lang, theme)
