"""The order form and the operator page in Chromium: three languages, every field
error beside its field, no accessibility violation (axe-core, WCAG 2.2 A/AA), no
sideways scrolling on a phone, and the screenshots of the documentation.

Set ``INVITATIONS_DOCS_IMAGES=docs/images`` to refresh the documentation's
``order-form-{fi,sv,en}.png``, ``order-form-errors.png`` and ``operator-order.png``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from invitations.orders import OrderForm, OrderService
from tests.axe import WCAG_AA, axe_violations

from .order_support import operator_context, order_options
from .scenario_support import Screenshots, Site, registration_site

pytestmark = pytest.mark.browser

TITLES = {"fi": "Tunnustilauslomake", "sv": "Beställningsblankett för koder",
          "en": "Credential order form"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with registration_site(tmp_path, order_options) as running:
        yield running


def _docs(source: Path, name: str) -> None:
    docs = os.environ.get("INVITATIONS_DOCS_IMAGES")
    if docs:
        shutil.copy(source, Path(docs) / name)


def test_the_form_in_three_languages_is_accessible(site: Site, page: Page,
                                                   screenshots: Path) -> None:
    shots = Screenshots(screenshots)
    for lang, title in TITLES.items():
        page.goto(f"{site.web.url}/order?lang={lang}")
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.locator("#reason-no_main_user")).to_be_checked()
        expect(page.locator("#website")).not_to_be_in_viewport()  # the honeypot
        assert axe_violations(page, WCAG_AA) == [], lang
        _docs(shots(page, f"order-form-{lang}"), f"order-form-{lang}.png")
    page.set_viewport_size({"width": 375, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0, f"the form scrolls sideways by {width} px at 375 px"


def test_every_error_beside_its_field(site: Site, page: Page, screenshots: Path) -> None:
    page.goto(f"{site.web.url}/order?lang=en")
    page.locator("#company_id").fill("0112038-8")
    page.locator("#orderer_email").fill("olli@")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("error-summary")).to_contain_text("Nothing was saved")
    for field in ("company_id", "company_name", "orderer_name", "orderer_email",
                  "main_user_first_name", "main_user_last_name", "main_user_email",
                  "contract_number", "terms"):
        expect(page.get_by_test_id(f"errors-{field}")).to_be_visible()
    expect(page.get_by_test_id("errors-company_id")).to_contain_text("check digit")
    expect(page.locator("#company_id")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#company_id")).to_have_value("0112038-8")
    assert axe_violations(page, WCAG_AA) == []
    _docs(Screenshots(screenshots)(page, "order-form-errors"), "order-form-errors.png")


def test_the_operator_page_is_accessible(site: Site, browser: Browser,
                                         screenshots: Path) -> None:
    orders = site.app_options["orders"]
    assert isinstance(orders, OrderService)
    orders.submit(OrderForm(
        company_id="0112038-9", company_name="Esimerkki Oy", orderer_name="Olli Tilaaja",
        orderer_email="olli@esimerkki.fi", main_user_first_name="Maija",
        main_user_last_name="Virtanen", main_user_email="maija@esimerkki.fi",
        reason="main_user_changed", previous_main_user_email="vanha@esimerkki.fi",
        smartship=True, order_contract=True, terms=True), lang="fi")
    context = operator_context(browser)
    try:
        desk = context.new_page()
        desk.goto(f"{site.web.url}/operator/orders?lang=en")
        expect(desk.get_by_test_id("orders").locator("tbody tr")).to_have_count(1)
        assert axe_violations(desk, WCAG_AA) == []
        desk.get_by_role("link", name="TT-2025-000001").click()
        expect(desk.get_by_test_id("previous-main-user")).to_contain_text("vanha@esimerkki.fi")
        expect(desk.locator("#contract_number")).to_be_visible()
        assert axe_violations(desk, WCAG_AA) == []
        _docs(Screenshots(screenshots)(desk, "operator-order"), "operator-order.png")
    finally:
        context.close()
