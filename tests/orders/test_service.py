"""The order flow on both backends: receive (acknowledged by mail, one open order
per company), approve (a main-user invitation linked to the order, the contract
number when SmartShip needs one, "Pääkäyttäjä vaihdetaan"), reject (a mail saying
why and what to do)."""

from __future__ import annotations

import email
import threading
from dataclasses import replace
from datetime import timedelta
from email import policy

import pytest

from invitations.errors import (
    ContractNumberRequired,
    FieldRequired,
    InvalidChoice,
    NotAuthorized,
    OrderDecided,
    OrderNotFound,
    OrderOpen,
    OrderRejected,
)
from invitations.models import InvitationStatus, MessageKind, OrderStatus, Role
from invitations.orders import OrderService
from invitations.service import InvitationService
from tests.core.helpers import ACME, BOSS, OPERATOR, START, RecordingTransport
from tests.orders.conftest import CHANGE, FORM, Recorder


def text_of(data: bytes) -> tuple[str, str]:
    """Subject and plain text of a message."""
    parsed = email.message_from_bytes(data, policy=policy.default)
    body = parsed.get_body(("plain",))
    assert body is not None
    return str(parsed["Subject"]), body.get_content()


def test_an_order_is_stored_acknowledged_and_announced(
        orders: OrderService, transport: RecordingTransport, recorder: Recorder) -> None:
    order = orders.submit(FORM, lang="sv")
    assert order.reference == "TT-2026-000001" and order.status is OrderStatus.RECEIVED
    assert orders.get("tt-2026-000001") == order
    [mail] = transport.sent
    assert mail.recipients == ("olli@acme.fi",)
    subject, text = text_of(mail.data)
    assert subject == ("Beställningen av koder har tagits emot / Tunnustilaus vastaanotettu / "
                       "Credential order received")
    assert text.index("Referens: TT-2026-000001") < text.index("Viite: TT-2026-000001")
    assert "Tilasit myös logistiikan sopimuksen" in text
    [row] = orders.invitations.store.outbox()
    assert row.invitation_id is None and row.order_number == order.number
    assert row.kind is MessageKind.ORDER_RECEIVED
    assert recorder.names() == ["order.received"]
    assert dict(recorder.seen[0].detail) == {"order": order.reference,
                                             "company_id": "0112038-9",
                                             "reason": "no_main_user"}
    assert recorder.seen[0].invitation is None


@pytest.mark.parametrize(("validity", "sentence"), [
    (timedelta(days=7), "The registration link is valid for 7 days."),
    (timedelta(days=3), "The registration link is valid for 3 days."),
    (timedelta(hours=36), "The registration link is valid for 36 hours."),
])
def test_the_acknowledgement_states_the_services_validity(
        invitations: InvitationService, orders: OrderService, transport: RecordingTransport,
        validity: timedelta, sentence: str) -> None:
    invitations.validity = validity
    orders.submit(FORM, lang="en")
    _, text = text_of(transport.sent[0].data)
    assert sentence in " ".join(text.split())
    assert "one week" not in text


def test_a_second_order_of_the_company_shows_the_open_one(
        orders: OrderService, transport: RecordingTransport) -> None:
    first = orders.submit(FORM)
    with pytest.raises(OrderOpen) as caught:
        orders.submit(replace(FORM, orderer_email="toinen@acme.fi"))
    assert caught.value.params["reference"] == first.reference
    assert first.reference in caught.value.message("fi")
    assert len(orders.list()) == 1 and len(transport.sent) == 1


def test_orders_sent_at_once_for_one_company_store_one(orders: OrderService) -> None:
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def submit(n: int) -> None:
        barrier.wait()
        try:
            outcomes.append(orders.submit(replace(FORM, orderer_email=f"o{n}@acme.fi")))
        except OrderOpen as error:
            outcomes.append(error)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 4
    assert sum(1 for o in outcomes if isinstance(o, OrderOpen)) == 3
    assert len(orders.list()) == 1


def test_a_bad_form_stores_nothing(orders: OrderService, transport: RecordingTransport) -> None:
    with pytest.raises(OrderRejected):
        orders.submit(replace(FORM, company_id="1234567-8", terms=False))
    assert orders.list() == [] and transport.sent == []
    assert orders.invitations.store.outbox() == []


def test_approve_needs_the_contract_number_then_invites_the_main_user(
        orders: OrderService, transport: RecordingTransport, recorder: Recorder) -> None:
    order = orders.submit(FORM)
    with pytest.raises(ContractNumberRequired):
        orders.approve(order.reference, by=OPERATOR)
    assert orders.get(order.reference).status is OrderStatus.RECEIVED
    approved, invitation = orders.approve(order.reference, by=OPERATOR,
                                          contract_number="LOG-555")
    assert approved.status is OrderStatus.APPROVED and approved.invitation_id == invitation.id
    assert approved.decided_by == OPERATOR.id and approved.company.contract_number == "LOG-555"
    assert invitation.role is Role.MAIN_USER and invitation.email == "maija@acme.fi"
    assert invitation.company.contract_number == "LOG-555"
    assert invitation.first_name == "Maija" and invitation.services == ("smartship",)
    subject, _ = text_of(transport.sent[-1].data)
    assert subject.startswith("Kutsu käyttäjäksi")
    assert recorder.names() == ["order.received", "order.approved"]
    with pytest.raises(OrderDecided):
        orders.approve(order.reference, by=OPERATOR, contract_number="LOG-555")


def test_only_an_operator_decides(orders: OrderService) -> None:
    order = orders.submit(FORM)
    with pytest.raises(NotAuthorized):
        orders.approve(order.reference, by=BOSS, contract_number="LOG-1")
    with pytest.raises(NotAuthorized):
        orders.reject(order.reference, by=BOSS, code="incomplete")
    assert orders.get(order.reference).status is OrderStatus.RECEIVED


def test_main_user_changed_revokes_the_previous_main_user_and_fires_the_event(
        orders: OrderService, invitations: InvitationService, recorder: Recorder) -> None:
    old = invitations.send_invite("vanha@acme.fi", company=ACME, invited_by=OPERATOR,
                                  role=Role.MAIN_USER)
    colleague = invitations.send_invite("kollega@acme.fi", company=ACME, invited_by=BOSS)
    order = orders.submit(CHANGE, lang="fi")
    approved, invitation = orders.approve(order.reference, by=OPERATOR)
    assert approved.company.contract_number == "LOG-123"  # the one given in the form
    assert invitations.get(old.id).status is InvitationStatus.REVOKED
    assert invitations.get(colleague.id).status is InvitationStatus.PENDING
    assert invitations.get(invitation.id).status is InvitationStatus.PENDING
    replaced = recorder.seen[1]
    assert replaced.name == "main_user.replaced"
    assert replaced.invitation is not None and replaced.invitation.id == invitation.id
    assert dict(replaced.detail) == {
        "order": approved.reference, "company_id": "0112038-9", "operator": OPERATOR.id,
        "previous_name": "Vanha Pääkäyttäjä", "previous_email": "vanha@acme.fi",
        "revoked": old.id}
    assert recorder.names()[-1] == "order.approved"


def test_reject_tells_the_orderer_why_and_what_to_do(
        orders: OrderService, transport: RecordingTransport, recorder: Recorder) -> None:
    order = orders.submit(FORM, lang="en")
    with pytest.raises(InvalidChoice):
        orders.reject(order.reference, by=OPERATOR, code="because")
    with pytest.raises(FieldRequired):
        orders.reject(order.reference, by=OPERATOR, code="other")
    rejected = orders.reject(order.reference, by=OPERATOR, code="has_main_user")
    assert rejected.status is OrderStatus.REJECTED and rejected.rejection_code == "has_main_user"
    subject, text = text_of(transport.sent[-1].data)
    assert subject.startswith("Credential order not approved / Tunnustilausta ei hyväksytty")
    assert "The company already has a main user." in text
    assert '"Pääkäyttäjä vaihdetaan"' in text
    assert "http://127.0.0.1:8000/order" in text
    assert recorder.names() == ["order.received", "order.rejected"]
    # The company may order again once the open order is decided.
    assert orders.submit(FORM).reference == "TT-2026-000002"


def test_reject_with_a_written_reason(orders: OrderService, transport: RecordingTransport
                                      ) -> None:
    order = orders.submit(FORM)
    orders.reject(order.reference, by=OPERATOR, code="other",
                  text="Yrityksen tiedot eivät täsmää.")
    _, text = text_of(transport.sent[-1].data)
    assert text.count("Yrityksen tiedot eivät täsmää.") == 3  # once in each language


def test_unknown_references(orders: OrderService) -> None:
    order = orders.submit(FORM)
    assert order.created_at == START
    for reference in ("TT-2025-000001", "TT-2026-000002", "123", "TT-2026-"):
        with pytest.raises(OrderNotFound):
            orders.get(reference)


def test_a_failed_invitation_leaves_the_order_open(
        orders: OrderService, invitations: InvitationService,
        monkeypatch: pytest.MonkeyPatch) -> None:
    order = orders.submit(FORM)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(invitations, "send_invite", broken)
    with pytest.raises(RuntimeError):
        orders.approve(order.reference, by=OPERATOR, contract_number="LOG-1")
    again = orders.get(order.reference)
    assert again.status is OrderStatus.RECEIVED and again.decided_by is None


def test_two_operators_approving_at_once_issue_one_invitation(
        orders: OrderService, invitations: InvitationService) -> None:
    order = orders.submit(FORM)
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def approve(name: str) -> None:
        barrier.wait()
        try:
            outcomes.append(orders.approve(order.reference, contract_number="LOG-9",
                                           by=replace(OPERATOR, id=name))[1])
        except OrderDecided as error:
            outcomes.append(error)

    threads = [threading.Thread(target=approve, args=(f"op{n}@posti.fi",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(type(o).__name__ for o in outcomes) == ["Invitation", "OrderDecided"]
    main_users = [i for i in invitations.list() if i.role is Role.MAIN_USER]
    assert len(main_users) == 1
    assert orders.get(order.reference).invitation_id == main_users[0].id
