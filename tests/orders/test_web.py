"""The order form and the operator pages over HTTP (Starlette's TestClient on the
real app, SQLite file, memory transport): languages, CSRF and origin, honeypot,
flood limits, field errors beside their fields, the open order's reference,
operators authenticated by the host's callable, approve and reject."""

from __future__ import annotations

import base64
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from invitations.clock import FrozenClock
from invitations.errors import ContractNumberRequired, InvitationError, NotAuthorized
from invitations.models import Company, OrderStatus
from invitations.orders import OrderService
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.transports.memory import MemoryTransport
from invitations.web import BasicOperators, OrderLimits, create_app
from invitations.web.outcomes import problem_for
from invitations.web.pages import Pages
from tests.core.helpers import KEY, START
from tests.core.helpers import OPERATOR as OPERATOR_INVITER

BASE_URL = "http://testserver"
OPERATOR = {"Authorization": "Basic " + base64.b64encode(b"olga:Operaattori-2026").decode()}
FORM = {
    "company_id": "0112038-9", "company_name": "Acme Oy", "orderer_name": "Olli Tilaaja",
    "orderer_email": "olli@acme.fi", "orderer_phone": "", "main_user_first_name": "Maija",
    "main_user_last_name": "Pääkäyttäjä", "main_user_email": "maija@acme.fi",
    "reason": "no_main_user", "smartship": "on", "order_contract": "on", "terms": "on",
    "website": "",
}


@dataclass
class Desk:
    orders: OrderService
    transport: MemoryTransport
    client: TestClient
    clock: FrozenClock

    def csrf(self, html: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, "the form has no CSRF token"
        return match.group(1)

    def send(self, lang: str = "fi", **changes: str) -> httpx.Response:
        page = self.client.get(f"/order?lang={lang}").text
        assert f'action="/order?lang={lang}"' in page
        data = {**FORM, "lang": lang, "csrf_token": self.csrf(page), **changes}
        return self.client.post(f"/order?lang={lang}", data=data)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    transport = MemoryTransport()
    store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
    clock = FrozenClock(START)
    service = InvitationService([KEY], BASE_URL, transport, store=store, clock=clock)
    orders = OrderService(service)
    app = create_app(service, session_keys=[KEY], orders=orders,
                     operators=BasicOperators({"olga": ("Operaattori-2026", "Olga Operaattori")}),
                     order_limits=OrderLimits(per_address=4, per_company=3))
    with TestClient(app, base_url=BASE_URL) as client:
        yield Desk(orders, transport, client, clock)
    store.close()


@pytest.mark.parametrize(("lang", "title", "changed"), [
    ("fi", "Tunnustilauslomake", "Pääkäyttäjä vaihdetaan"),
    ("sv", "Beställningsblankett för koder", 'Huvudanvändaren byts ("Pääkäyttäjä vaihdetaan")'),
    ("en", "Credential order form", 'The main user is changed ("Pääkäyttäjä vaihdetaan")'),
])
def test_the_form_in_three_languages(desk: Desk, lang: str, title: str, changed: str) -> None:
    page = desk.client.get(f"/order?lang={lang}")
    assert page.status_code == 200 and f"<h1>{title}</h1>" in page.text
    assert changed in page.text
    assert 'name="website"' in page.text  # the honeypot, hidden by the stylesheet
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_an_order_goes_through_and_shows_its_reference(desk: Desk) -> None:
    sent = desk.send("sv")
    assert sent.status_code == 200 and sent.url.path == "/order/done"
    assert "Din referens: TT-2026-000001" in sent.text
    assert desk.orders.get("TT-2026-000001").languages[0] == "sv"
    mail = message_from_bytes(desk.transport.outbox[-1].data, policy=policy.default)
    assert str(mail["Subject"]).startswith("Beställningen av koder har tagits emot")
    # A reload of the done page sends nothing again.
    assert desk.client.get("/order/done?lang=sv").status_code == 200
    assert len(desk.transport.outbox) == 1


def test_the_same_company_again_sees_the_open_reference(desk: Desk) -> None:
    desk.send()
    again = desk.send("en", orderer_email="other@acme.fi")
    assert again.status_code == 409
    assert "reference TT-2026-000001" in again.text
    assert len(desk.orders.list()) == 1


def test_field_errors_beside_their_fields_and_nothing_stored(desk: Desk) -> None:
    page = desk.send("fi", company_id="0112038-8", orderer_email="olli@",
                     company_name="Acme\r\nBcc: x@example.com", terms="")
    assert page.status_code == 422
    for field in ("company_id", "orderer_email", "company_name", "terms"):
        assert f'data-testid="errors-{field}"' in page.text
    assert "Y-tunnus 0112038-8 ei kelpaa" in page.text
    assert 'value="0112038-8"' in page.text  # what was typed stays in the form
    assert desk.orders.list() == [] and desk.transport.outbox == []


def test_oversized_fields_are_refused(desk: Desk) -> None:
    page = desk.send("en", orderer_name="x" * 5000)
    assert page.status_code == 422 and "at most 100 characters" in page.text
    assert desk.orders.list() == []


def test_a_huge_form_is_refused_before_it_is_read(desk: Desk) -> None:
    page = desk.send("sv", company_name="A" * 100_000)
    assert page.status_code == 413 and "Formuläret kunde inte läsas" in page.text
    token = desk.csrf(desk.client.get("/order").text)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the reader stops at the limit
        yield f"csrf_token={token}&company_name=".encode()
        for _ in range(100):
            yield b"A" * 1024

    streamed = desk.client.post("/order", content=chunks(), headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413
    assert desk.orders.list() == []


def test_csrf_and_cross_site_posts_are_refused(desk: Desk) -> None:
    missing = desk.client.post("/order", data={**FORM, "lang": "fi"})
    assert missing.status_code == 403
    token = desk.csrf(desk.client.get("/order").text)
    cross = desk.client.post("/order", data={**FORM, "csrf_token": token},
                             headers={"Origin": "https://evil.example", "Sec-Fetch-Site":
                                      "cross-site"})
    assert cross.status_code == 403
    assert desk.orders.list() == []


def test_the_honeypot_and_the_flood_limits_answer_in_the_visitor_s_language(desk: Desk
                                                                          ) -> None:
    trap = desk.send("sv", website="http://spam.example")
    assert trap.status_code == 400 and "fylldes i automatiskt" in trap.text
    assert desk.orders.list() == []
    answers = [desk.send("fi", orderer_email=f"o{n}@acme.fi").status_code for n in range(3)]
    assert answers == [200, 409, 409]  # stored, then the open order's reference twice
    company = desk.send("en", orderer_email="o4@acme.fi")  # 4th for one company (limit 3)
    assert company.status_code == 429 and "Too many orders" in company.text
    address = desk.send("sv", company_id="2077474-0")  # 5th from one address (limit 4)
    assert address.status_code == 429 and "För många beställningar" in address.text
    assert len(desk.orders.list()) == 1


def test_the_operator_pages_need_an_operator(desk: Desk) -> None:
    refused = desk.client.get("/operator/orders?lang=en")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
    wrong = {"Authorization": "Basic " + base64.b64encode(b"olga:wrong").decode()}
    assert desk.client.get("/operator/orders", headers=wrong).status_code == 401


def test_the_operator_approves_with_a_contract_number(desk: Desk) -> None:
    desk.send()
    listing = desk.client.get("/operator/orders?lang=fi", headers=OPERATOR)
    assert listing.status_code == 200 and "TT-2026-000001" in listing.text
    detail = desk.client.get("/operator/orders/TT-2026-000001?lang=fi", headers=OPERATOR)
    token = desk.csrf(detail.text)
    assert 'name="contract_number"' in detail.text
    refused = desk.client.post("/operator/orders/TT-2026-000001/approve", headers=OPERATOR,
                               data={"csrf_token": token, "lang": "fi"})
    assert refused.status_code == 422 and "sopimustunnus" in refused.text
    approved = desk.client.post("/operator/orders/TT-2026-000001/approve", headers=OPERATOR,
                                data={"csrf_token": token, "lang": "fi",
                                      "contract_number": "LOG-1"})
    assert approved.status_code == 200 and "Pääkäyttäjän kutsu lähetettiin" in approved.text
    order = desk.orders.get("TT-2026-000001")
    assert order.status is OrderStatus.APPROVED and order.decided_by == "olga"
    invitation = desk.orders.invitations.get(str(order.invitation_id))
    assert invitation.inviter.name == "Olga Operaattori"
    again = desk.client.post("/operator/orders/TT-2026-000001/approve", headers=OPERATOR,
                             data={"csrf_token": token, "lang": "en", "contract_number": "X"})
    assert again.status_code == 409 and "already been decided" in again.text


def test_the_operator_rejects_and_a_foreign_form_cannot(desk: Desk) -> None:
    desk.send("en")
    detail = desk.client.get("/operator/orders/TT-2026-000001?lang=en", headers=OPERATOR)
    token = desk.csrf(detail.text)
    forged = desk.client.post("/operator/orders/TT-2026-000001/reject", headers=OPERATOR,
                              data={"csrf_token": "x", "code": "incomplete"})
    assert forged.status_code == 403
    done = desk.client.post("/operator/orders/TT-2026-000001/reject", headers=OPERATOR,
                            data={"csrf_token": token, "code": "other", "text": "Ei näin",
                                  "lang": "en"})
    assert done.status_code == 200 and "Rejected. The orderer was told why" in done.text
    mail = message_from_bytes(desk.transport.outbox[-1].data, policy=policy.default)
    assert str(mail["Subject"]).startswith("Credential order not approved")


def test_registration_and_expired_pages_link_to_the_form(desk: Desk) -> None:
    invitation = desk.orders.invitations.send_invite(
        "maija@acme.fi", company=Company("0112038-9", "Acme Oy", "LOG-1"),
        invited_by=OPERATOR_INVITER, role="main_user")
    assert invitation.link is not None
    path = invitation.link.removeprefix(BASE_URL)
    page = desk.client.get(path + "&lang=sv")
    assert 'data-testid="no-main-user"' in page.text
    assert 'href="/order" data-testid="order-link"' in page.text
    desk.clock.advance(timedelta(days=8))
    expired = desk.client.get(path + "&lang=en")
    assert expired.status_code == 410
    assert 'data-testid="order-form-line"' in expired.text
    assert 'href="/order" data-testid="order-link"' in expired.text


@pytest.mark.parametrize("reference", ["TT-2026-999999", "x" * 200, "%0d%0aSet-Cookie:%20a=b"])
def test_an_unknown_or_garbage_reference_is_a_page_not_a_crash(desk: Desk,
                                                                reference: str) -> None:
    page = desk.client.get(f"/operator/orders/{reference}?lang=fi", headers=OPERATOR)
    assert page.status_code == 400
    assert 'data-testid="problem-title"' in page.text
    assert "a=b" not in page.headers.get("set-cookie", "")


def test_a_host_outside_the_allow_list_gets_no_page(tmp_path: Path) -> None:
    service = InvitationService([KEY], BASE_URL, MemoryTransport(),
                                store=SQLiteInvitationStore(tmp_path / "i.sqlite3"),
                                close_store=True)
    app = create_app(service, session_keys=[KEY], orders=OrderService(service),
                     allowed_hosts=["testserver", "portal.example.fi:8443"])
    with TestClient(app, base_url=BASE_URL) as client:
        assert client.get("/order").status_code == 200
        forged = client.get("/order", headers={"Host": "evil.example"})
        assert forged.status_code == 400 and "order-form" not in forged.text
        assert "Tätä osoitetta ei palvella täällä" in forged.text
        assert "Den här adressen betjänas inte här" in forged.text
        assert forged.headers["x-frame-options"] == "DENY"
        posted = client.post("/order", data=FORM, headers={"Host": "evil.example"})
        assert posted.status_code == 400
        assert client.get("/order", headers={"Host": "portal.example.fi:8443"}
                          ).status_code == 200
        assert client.get("/order", headers={"Host": "portal.example.fi"}).status_code == 400
    service.close()


@pytest.mark.parametrize(("error", "lang", "text"), [
    (ContractNumberRequired("contract_number"), "sv", "beställningsblanketten för koder"),
    (NotAuthorized("operator_required", company_id="0112038-9"), "en",
     'a new main user ("Pääkäyttäjä vaihdetaan")'),
])
def test_the_error_page_of_these_errors_links_to_the_form(error: InvitationError, lang: str,
                                                          text: str) -> None:
    problem = problem_for(error, lookup=None)  # type: ignore[arg-type]
    pages = Pages(("fi", "sv", "en"))

    async def show(request: Request) -> Response:
        return pages.render(request, problem.template, lang,
                            {**problem.context, "role": "user", "expires_at": None,
                             "confirmation": False, "customer_service_url": "https://x"})

    app = Starlette(routes=[Route("/problem", show), Mount("/static", app=Starlette(),
                                                           name="static")])
    with TestClient(app, base_url=BASE_URL) as client:
        page = client.get("/problem").text
    assert 'data-testid="order-form-line"' in page and text in page
    assert 'href="/order" data-testid="order-link"' in page
