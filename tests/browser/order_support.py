"""Helpers of the credential order browser tests: the reference app with the order
form and the operator pages (a Basic-authenticated demo operator), filling the
form as a person would, and finding a mail in devsmtp's web inbox."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from invitations.orders import OrderService
from invitations.service import InvitationService
from invitations.web import BasicOperators

OPERATOR_USER = "olga"
OPERATOR_PASSWORD = "Operaattori-2026-salasana"
OPERATOR_NAME = "Olga Operaattori"


def order_options(service: InvitationService) -> dict[str, Any]:
    """``create_app`` arguments for the order form and the operator pages."""
    return {
        "orders": OrderService(service),
        "operators": BasicOperators({OPERATOR_USER: (OPERATOR_PASSWORD, OPERATOR_NAME)}),
    }


def operator_context(browser: Browser) -> BrowserContext:
    """A browser session of customer service, signed in with HTTP Basic."""
    return browser.new_context(
        locale="fi-FI", viewport={"width": 1280, "height": 900},
        http_credentials={"username": OPERATOR_USER, "password": OPERATOR_PASSWORD})


def fill_order(page: Page, values: dict[str, str], boxes: tuple[str, ...] = (),
               reason: str = "no_main_user") -> None:
    """Type ``values`` into the form's fields, tick ``boxes``, choose ``reason``."""
    for name, value in values.items():
        page.get_by_test_id(f"field-{name}").locator("input").fill(value)
    page.locator(f"#reason-{reason}").check()
    for name in ("smartship", "order_contract", "terms"):
        box = page.locator(f"#{name}")
        box.check() if name in boxes else box.uncheck()


def open_mail(page: Page, inbox_url: str, recipient: str, subject: str) -> None:
    """Open the inbox, wait for the mail to ``recipient`` and open it."""
    page.goto(inbox_url)
    row = page.get_by_test_id("inbox-row").filter(has_text=recipient).filter(
        has_text=subject.split(" / ")[0])
    expect(row).to_have_count(1, timeout=10_000)
    expect(row.get_by_test_id("row-subject")).to_have_text(subject)
    row.get_by_test_id("row-subject").click()
    expect(page.get_by_test_id("message-subject")).to_have_text(subject)
    expect(page.get_by_test_id("message-to")).to_contain_text(recipient)


def invitation_link(page: Page) -> str:
    """The registration link of the open message, from devsmtp's invitation panel."""
    panel = page.get_by_test_id("invitation-panel")
    expect(panel.get_by_test_id("invitation-state")).to_have_attribute("data-state", "valid")
    link = panel.get_by_test_id("open-link").get_attribute("href")
    assert link is not None and "/register?token=" in link
    return link
