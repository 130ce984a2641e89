"""The source document end to end in headless Chromium, through the credential
order form ("tunnustilauslomake"), with mail over real SMTP into devsmtp:

1. a company with no main user orders credentials and the logistics contract ->
   the acknowledgement arrives -> customer service approves with the contract
   number -> the main-user invitation arrives -> the main user registers -> the
   main user invites a colleague for SmartShip -> the colleague registers;
2. "Pääkäyttäjä vaihdetaan": the previous main user's open invitation is revoked,
   ``main_user.replaced`` fires with that person's details, the new one registers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from invitations.events import Event
from invitations.models import Company, InvitationStatus, Inviter, OrderStatus, Role
from invitations.orders import OrderService

from .order_support import (
    OPERATOR_NAME,
    fill_order,
    invitation_link,
    open_mail,
    operator_context,
    order_options,
)
from .scenario_support import (
    GOOD_PASSWORD,
    OPERATOR,
    Screenshots,
    Site,
    fill_registration,
    full_site,
)

pytestmark = pytest.mark.browser

ACK_FI = ("Tunnustilaus vastaanotettu / Beställningen av koder har tagits emot / "
          "Credential order received")
ACK_SV = ("Beställningen av koder har tagits emot / Tunnustilaus vastaanotettu / "
          "Credential order received")
INVITATION_FI = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"
INVITATION_SV = "Inbjudan att bli användare / Kutsu käyttäjäksi / User invitation"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with full_site(tmp_path, order_options) as running:
        yield running


def orders_of(site: Site) -> OrderService:
    orders = site.app_options["orders"]
    assert isinstance(orders, OrderService)
    return orders


def approve(browser: Browser, site: Site, reference: str, contract: str | None,
            shots: Screenshots) -> None:
    """Customer service opens the order from the list and approves it."""
    context = operator_context(browser)
    try:
        desk = context.new_page()
        desk.goto(f"{site.web.url}/operator/orders?lang=fi")
        desk.get_by_role("link", name=reference).click()
        expect(desk.get_by_test_id("order-status")).to_have_text("Vastaanotettu")
        contract_field = desk.locator("#contract_number")
        if contract is None:
            expect(contract_field).to_have_count(0)
        else:
            contract_field.fill(contract)
        shots(desk, "operator-order")
        desk.get_by_test_id("approve").click()
        expect(desk.get_by_test_id("notice")).to_contain_text("Pääkäyttäjän kutsu lähetettiin")
        expect(desk.get_by_test_id("order-status")).to_have_text("Hyväksytty")
        shots(desk, "operator-approved")
    finally:
        context.close()


def register(page: Page, link: str, first: str, last: str, done: str) -> None:
    page.goto(link)
    expect(page.get_by_test_id("page-register")).to_be_visible()
    fill_registration(page, password=GOOD_PASSWORD, first=first, last=last)
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("success-title")).to_have_text(done)


def test_a_company_without_a_main_user_orders_credentials_end_to_end(
        site: Site, page: Page, browser: Browser, screenshots: Path) -> None:
    shots = Screenshots(screenshots)
    # The registration pages point to the form; the form opens in Finnish.
    page.goto(f"{site.web.url}/order")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tunnustilauslomake")
    fill_order(page, {
        "company_id": "0112038-9", "company_name": "Esimerkki Oy",
        "orderer_name": "Olli Tilaaja", "orderer_email": "olli@esimerkki.fi",
        "main_user_first_name": "Maija", "main_user_last_name": "Virtanen",
        "main_user_email": "maija@esimerkki.fi",
    }, boxes=("smartship", "order_contract", "terms"))
    shots(page, "order-form")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("success-title")).to_have_text("Tunnustilaus vastaanotettu")
    expect(page.get_by_test_id("order-reference")).to_have_text("Viitteesi: TT-2025-000001")
    shots(page, "order-received")

    # The acknowledgement, captured by devsmtp, names the reference in three languages.
    inbox = browser.new_page()
    open_mail(inbox, site.inbox_url, "olli@esimerkki.fi", ACK_FI)
    body = inbox.frame_locator('[data-testid="preview"]').locator("body")
    expect(body).to_contain_text("Viite: TT-2025-000001")
    expect(body).to_contain_text("Referens: TT-2025-000001")
    expect(body).to_contain_text("Reference: TT-2025-000001")
    shots(inbox, "acknowledgement")

    # Customer service approves, entering the new logistics contract's number.
    approve(browser, site, "TT-2025-000001", "LOG-2025-77", shots)
    order = orders_of(site).get("TT-2025-000001")
    assert order.status is OrderStatus.APPROVED and order.company.contract_number == "LOG-2025-77"

    # The main-user invitation arrives; the main user registers.
    open_mail(inbox, site.inbox_url, "maija@esimerkki.fi", INVITATION_FI)
    link = invitation_link(inbox)
    shots(inbox, "main-user-invitation")
    register(page, link, "Maija", "Virtanen", "Rekisteröityminen on valmis")
    main = site.service.get(str(order.invitation_id))
    assert main.status is InvitationStatus.ACCEPTED and main.role is Role.MAIN_USER

    # The main user invites a colleague for SmartShip (the host's own page would call
    # this); the colleague registers from the mail.
    company = Company(order.company.business_id, order.company.name,
                      order.company.contract_number)
    site.service.send_invite("kollega@esimerkki.fi", company=company,
                             invited_by=Inviter("maija@esimerkki.fi", "Maija Virtanen",
                                                Role.MAIN_USER, company.business_id),
                             services=("smartship",))
    open_mail(inbox, site.inbox_url, "kollega@esimerkki.fi", INVITATION_FI)
    colleague_link = invitation_link(inbox)
    register(page, colleague_link, "Matti", "Virtanen", "Rekisteröityminen on valmis")
    shots(page, "colleague-registered")
    [colleague] = site.service.list(company=company.business_id, status="accepted")[1:]
    assert colleague.email == "kollega@esimerkki.fi" and colleague.services == ("smartship",)
    assert colleague.inviter.id == "maija@esimerkki.fi"
    inbox.close()


def test_the_main_user_is_changed(site: Site, page: Page, browser: Browser,
                                  screenshots: Path) -> None:
    shots = Screenshots(screenshots)
    seen: list[Event] = []
    site.service.events.subscribe(seen.append)
    company = Company("0112038-9", "Esimerkki Oy", "LOG-123456")
    old = site.service.send_invite("vanha@esimerkki.fi", company=company, invited_by=OPERATOR,
                                   role=Role.MAIN_USER)
    assert old.link is not None

    # The orderer uses the Swedish form and chooses "Pääkäyttäjä vaihdetaan".
    page.goto(f"{site.web.url}/order?lang=sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beställningsblankett för koder")
    expect(page.locator("label[for=reason-main_user_changed]")).to_have_text(
        'Huvudanvändaren byts ("Pääkäyttäjä vaihdetaan")')
    fill_order(page, {
        "company_id": "0112038-9", "company_name": "Esimerkki Oy",
        "orderer_name": "Nils Nyman", "orderer_email": "nils@esimerkki.fi",
        "main_user_first_name": "Nils", "main_user_last_name": "Nyman",
        "main_user_email": "nils@esimerkki.fi", "contract_number": "LOG-123456",
        "previous_main_user_name": "Vanha Pääkäyttäjä",
        "previous_main_user_email": "vanha@esimerkki.fi",
    }, boxes=("smartship", "terms"), reason="main_user_changed")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("order-reference")).to_have_text("Din referens: TT-2025-000001")

    inbox = browser.new_page()
    open_mail(inbox, site.inbox_url, "nils@esimerkki.fi", ACK_SV)

    # Approval needs no contract number (the form gave one).
    approve(browser, site, "TT-2025-000001", None, shots)
    order = orders_of(site).get("TT-2025-000001")
    names = [event.name for event in seen if event.name.startswith(("order.", "main_user."))]
    assert names == ["order.received", "main_user.replaced", "order.approved"]
    [replaced] = [event for event in seen if event.name == "main_user.replaced"]
    assert replaced.invitation is not None and replaced.invitation.id == order.invitation_id
    assert replaced.detail["order"] == "TT-2025-000001"
    assert replaced.detail["previous_email"] == "vanha@esimerkki.fi"
    assert replaced.detail["previous_name"] == "Vanha Pääkäyttäjä"
    assert replaced.detail["revoked"] == old.id
    assert [e.name for e in seen if e.invitation is not None
            and e.invitation.id == old.id] == ["invitation.sent", "invitation.revoked"]

    # The previous main user's link is withdrawn.
    page.goto(old.link)
    expect(page.get_by_test_id("page-revoked")).to_be_visible()

    # The new main user's invitation arrives in Swedish first; the new main user registers.
    open_mail(inbox, site.inbox_url, "nils@esimerkki.fi", INVITATION_SV)
    register(page, invitation_link(inbox), "Nils", "Nyman", "Rekisteröityminen on valmis")
    shots(page, "new-main-user-registered")
    new = site.service.get(str(order.invitation_id))
    assert new.status is InvitationStatus.ACCEPTED and new.inviter.name == OPERATOR_NAME
    inbox.close()
