"""The lifecycle and the document's rules, end to end through the service."""

from __future__ import annotations

import email
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest

from invitations.clock import FrozenClock
from invitations.errors import (
    ConfigurationError,
    ContractNumberRequired,
    FieldTooLong,
    HeaderInjection,
    InvalidAddress,
    InvalidBusinessId,
    InvalidChoice,
    InvitationExpired,
    InvitationInvalid,
    InvitationNotFound,
    InvitationRevoked,
    InvitationSuperseded,
    InvitationUsed,
    NotAuthorized,
    TokenMalformed,
    TokenTampered,
)
from invitations.models import (
    Company,
    DeliveryState,
    InvitationStatus,
    Inviter,
    Role,
)
from invitations.service import InvitationService
from invitations.store.outbox import scrub
from tests.core.helpers import (
    ACME,
    BOSS,
    OPERATOR,
    OTHER,
    START,
    STRONG,
    RecordingTransport,
    invite,
    link_in,
    registration,
    token_of,
)

WEEK = timedelta(days=7)


def rows(db_path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(f"SELECT * FROM {table}").fetchall()


# -- issuing ------------------------------------------------------------------


def test_send_invite_records_queues_and_delivers(
    service: InvitationService, transport: RecordingTransport
) -> None:
    inv = invite(service, first_name="Matti", last_name="Meikäläinen")
    assert inv.status is InvitationStatus.PENDING
    assert inv.expires_at == START + WEEK
    assert inv.delivery_state is DeliveryState.SENT and inv.attempts == 1
    assert inv.link is not None and inv.link.startswith("http://127.0.0.1:8000/register?token=")
    [message] = transport.sent
    assert message.recipients == ("matti@acme.fi",)
    assert message.message_id.endswith("@posti.fi>")
    assert link_in(message.data) == inv.link
    parsed = email.message_from_bytes(message.data, policy=policy.default)
    assert parsed["Message-ID"] == message.message_id
    assert "Posti" in str(parsed["From"])
    stored = service.store.outbox(invitation_id=inv.id)
    # Delivered: only the scrubbed record stays (no body, no link).
    assert [r.data for r in stored] == [scrub(message.data)]
    assert inv.link.encode() not in stored[0].data


def test_the_token_reveals_no_personal_data(service: InvitationService, db_path: Path) -> None:
    import base64

    inv = invite(service, first_name="Matti", last_name="Meikäläinen")
    token = token_of(inv.link or "")
    body = token.split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    decoded = raw.decode("latin-1")
    assert "matti" not in decoded.lower() and "acme" not in decoded.lower()
    nonce = __import__("invitations.tokens").tokens.decode_payload(raw)[1]
    assert nonce not in str(rows(db_path, "invitations"))  # only its hash is stored


def test_only_a_main_user_of_the_same_company_invites_users(service: InvitationService,
                                                             db_path: Path) -> None:
    stranger = Inviter("boss@muu.fi", None, Role.MAIN_USER, OTHER.business_id)
    with pytest.raises(NotAuthorized) as info:
        invite(service, invited_by=stranger)
    assert info.value.reason == "main_user_required"
    assert "0112038-9" in info.value.message("fi")
    with pytest.raises(NotAuthorized):
        invite(service, invited_by=Inviter("ceo@acme.fi", None, Role.MAIN_USER, None))
    with pytest.raises(NotAuthorized):
        invite(service, invited_by=OPERATOR)  # the document: users are invited by main users
    assert rows(db_path, "invitations") == [] and rows(db_path, "outbox") == []


def test_main_user_invitations_only_by_an_operator(service: InvitationService) -> None:
    with pytest.raises(NotAuthorized) as info:
        invite(service, "uusi@acme.fi", role="main_user")
    assert info.value.reason == "operator_required"
    assert "Pääkäyttäjä vaihdetaan" in info.value.message("fi")
    inv = invite(service, "uusi@acme.fi", role="main_user", invited_by=OPERATOR)
    assert inv.role is Role.MAIN_USER and inv.inviter.role is Role.OPERATOR


def test_smartship_needs_a_contract_number(service: InvitationService, db_path: Path) -> None:
    no_contract = Company(ACME.business_id, ACME.name)
    with pytest.raises(ContractNumberRequired) as info:
        invite(service, company=no_contract)
    assert "sopimustunnus" in info.value.message("fi")
    inv = invite(service, company=no_contract, services=("other_service",))
    assert inv.services == ("other_service",)


@pytest.mark.parametrize("business_id", ["0112038-8", "2077474-1", "1234567", "abc", "12-3"])
def test_business_id_check_digit(service: InvitationService, business_id: str,
                                 db_path: Path) -> None:
    company = Company(business_id, "X Oy", "C")
    inviter = Inviter("b@x.fi", None, Role.MAIN_USER, business_id)
    with pytest.raises(InvalidBusinessId):
        invite(service, company=company, invited_by=inviter)
    assert rows(db_path, "invitations") == []


def test_remainder_one_is_never_a_valid_business_id() -> None:
    from invitations.validation import business_id_check_digit

    # 0000010: 4 * 1 ... find a prefix whose weighted sum is 1 mod 11
    prefix = next(f"{n:07d}" for n in range(1000, 100000)
                  if sum(int(d) * w for d, w in zip(f"{n:07d}", (7, 9, 10, 5, 8, 4, 2),
                                                    strict=True)) % 11 == 1)
    assert business_id_check_digit(prefix) is None
    assert business_id_check_digit("0112038") == 9
    assert business_id_check_digit("2077474") == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"address": "not-an-address"}, InvalidAddress),
        ({"address": "a@b.fi\r\nBcc: victim@example.fi"}, HeaderInjection),
        ({"first_name": "Matti\nBcc: x@y.fi"}, HeaderInjection),
        ({"last_name": "x" * 101}, FieldTooLong),
        ({"address": ("a" * 250) + "@acme.fi"}, FieldTooLong),
        ({"company": Company("0112038-9", "Acme\r\nX-Evil: 1", "C")}, HeaderInjection),
        ({"invited_by": Inviter("boss@acme.fi", "B\rX", Role.MAIN_USER, "0112038-9")},
         HeaderInjection),
        ({"role": "operator"}, InvalidChoice),
        ({"languages": "fi,de"}, InvalidChoice),
    ],
)
def test_bad_input_writes_nothing(service: InvitationService, db_path: Path,
                                  transport: RecordingTransport, kwargs: dict[str, object],
                                  error: type[Exception]) -> None:
    address = str(kwargs.pop("address", "matti@acme.fi"))
    with pytest.raises(error):
        invite(service, address, **kwargs)
    assert rows(db_path, "invitations") == [] and rows(db_path, "outbox") == []
    assert transport.sent == []


def test_sql_looking_input_is_stored_verbatim(service: InvitationService) -> None:
    name = "Robert'); DROP TABLE invitations;--"
    company = Company(ACME.business_id, "Acme'; DELETE FROM outbox; --", "C-1' OR '1'='1")
    inv = invite(service, "o'brien@acme.fi", company=company, first_name=name)
    again = service.get(inv.id)
    assert again.first_name == name and again.company == company
    assert again.email == "o'brien@acme.fi"
    assert len(service.list()) == 1


def test_reinviting_a_pending_address_resends(service: InvitationService,
                                              transport: RecordingTransport,
                                              clock: FrozenClock) -> None:
    first = invite(service)
    clock.advance(days=3)
    second = invite(service, "MATTI@acme.fi")
    assert second.id == first.id and second.resend_count == 1
    assert second.expires_at == START + timedelta(days=3) + WEEK
    assert len(service.list()) == 1 and len(transport.sent) == 2
    with pytest.raises(InvitationSuperseded):
        service.verify(token_of(first.link or ""))
    assert service.verify(token_of(second.link or "")).id == first.id
    # Another company may invite the same address separately.
    other_boss = Inviter("boss@muu.fi", None, Role.MAIN_USER, OTHER.business_id)
    third = invite(service, company=OTHER, invited_by=other_boss)
    assert third.id != first.id


def test_reinviting_with_another_role_replaces_the_open_invitation(
    service: InvitationService,
) -> None:
    as_user = invite(service)
    as_main = invite(service, role="main_user", invited_by=OPERATOR)
    assert as_main.id != as_user.id and as_main.role is Role.MAIN_USER
    assert service.get(as_user.id).status is InvitationStatus.REVOKED
    with pytest.raises(InvitationRevoked):
        service.verify(token_of(as_user.link or ""))
    # A main user cannot turn a pending main-user invitation into a user invitation.
    with pytest.raises(NotAuthorized):
        invite(service)
    assert service.get(as_main.id).status is InvitationStatus.PENDING


# -- verify -------------------------------------------------------------------


def test_verify_is_read_only(service: InvitationService, db_path: Path) -> None:
    inv = invite(service)
    before = (rows(db_path, "invitations"), rows(db_path, "outbox"))
    for _ in range(3):
        assert service.verify(token_of(inv.link or "")).status is InvitationStatus.PENDING
    assert (rows(db_path, "invitations"), rows(db_path, "outbox")) == before


def test_seven_day_boundary(service: InvitationService, clock: FrozenClock) -> None:
    inv = invite(service)
    token = token_of(inv.link or "")
    clock.set(START + WEEK - timedelta(seconds=1))
    assert service.verify(token).id == inv.id
    clock.set(START + WEEK + timedelta(seconds=1))
    with pytest.raises(InvitationExpired) as info:
        service.verify(token)
    assert info.value.signed_at == START and info.value.expires_at == START + WEEK
    assert service.get(inv.id).status is InvitationStatus.EXPIRED
    with pytest.raises(InvitationExpired):
        service.redeem(token, registration())
    assert service.get(inv.id).status is InvitationStatus.EXPIRED


def test_expired_message_names_whom_to_contact(service: InvitationService,
                                               clock: FrozenClock) -> None:
    user = invite(service)
    main = invite(service, "uusi@acme.fi", role="main_user", invited_by=OPERATOR)
    clock.advance(WEEK + timedelta(seconds=1))
    with pytest.raises(InvitationExpired) as as_user:
        service.verify(token_of(user.link or ""))
    with pytest.raises(InvitationExpired) as as_main:
        service.verify(token_of(main.link or ""))
    assert "pääkäyttäjään" in as_user.value.message("fi")
    assert "main user" in as_user.value.message("en")
    assert "huvudanvändare" in as_user.value.message("sv")
    assert "chatin" in as_main.value.message("fi")
    assert "chat" in as_main.value.message("en") and "chatt" in as_main.value.message("sv")
    assert as_main.value.to_dict()["code"] == "invitation_expired"


def test_tampered_and_garbage_tokens(service: InvitationService) -> None:
    token = token_of(invite(service).link or "")
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises(TokenTampered):
        service.verify(flipped)
    with pytest.raises(TokenMalformed):
        service.verify("hello")
    with pytest.raises(InvitationInvalid):  # the family a page catches
        service.verify(flipped)


def test_token_for_an_unknown_invitation(service: InvitationService,
                                         make_service: Callable[..., InvitationService],
                                         tmp_path: Path) -> None:
    from invitations.store import SQLiteInvitationStore

    elsewhere = make_service(store=SQLiteInvitationStore(tmp_path / "other.db"),
                             close_store=True)
    token = token_of(invite(elsewhere).link or "")
    with pytest.raises(InvitationInvalid) as info:
        service.verify(token)
    assert info.value.code == "invitation_invalid"


def test_key_rotation_through_the_service(make_service: Callable[..., InvitationService]) -> None:
    from tests.core.helpers import KEY, OLD_KEY

    old = make_service(secret_keys=[OLD_KEY])
    token = token_of(invite(old).link or "")
    rotated = make_service(secret_keys=[KEY, OLD_KEY])
    assert rotated.verify(token).email == "matti@acme.fi"
    dropped = make_service(secret_keys=[KEY])
    with pytest.raises(TokenTampered):
        dropped.verify(token)


# -- redeem -------------------------------------------------------------------


def test_redeem_once(service: InvitationService, db_path: Path) -> None:
    inv = invite(service)
    token = token_of(inv.link or "")
    done = service.redeem(token, registration(first_name="  Matti ", username=""))
    assert done.status is InvitationStatus.ACCEPTED and done.accepted_at == START
    assert done.registered_username == "matti@acme.fi"
    assert done.registered_first_name == "Matti"
    assert STRONG not in str(rows(db_path, "invitations"))  # never the password
    with pytest.raises(InvitationUsed):
        service.redeem(token, registration())
    with pytest.raises(InvitationUsed):
        service.verify(token)


def test_redeem_rejects_bad_registration_and_writes_nothing(service: InvitationService,
                                                            db_path: Path) -> None:
    from invitations.errors import RegistrationRejected

    token = token_of(invite(service).link or "")
    before = rows(db_path, "invitations")
    with pytest.raises(RegistrationRejected) as info:
        service.redeem(token, registration(first_name="", password="meika", username="ab"))
    fields = {e.field for e in info.value.errors}
    assert fields == {"first_name", "username", "password"}
    codes = {e.code for e in info.value.for_field("password")}
    assert {"too_short", "missing_upper", "missing_digit", "contains_name"} <= codes
    data = info.value.to_dict()
    assert data["code"] == "registration_rejected"
    assert data["errors"] == [e.to_dict() for e in info.value.errors]
    assert rows(db_path, "invitations") == before
    assert service.verify(token).status is InvitationStatus.PENDING


def test_changed_email_needs_confirmation(service: InvitationService,
                                          transport: RecordingTransport,
                                          clock: FrozenClock) -> None:
    inv = invite(service)
    token = token_of(inv.link or "")
    pending = service.redeem(token, registration("matti.m@gmail.example"))
    assert pending.status is InvitationStatus.AWAITING_CONFIRMATION
    assert pending.email == "matti@acme.fi"
    assert pending.registered_email == "matti.m@gmail.example"
    confirmation = transport.sent[-1]
    assert confirmation.recipients == ("matti.m@gmail.example",)
    link = link_in(confirmation.data)
    assert link.startswith("http://127.0.0.1:8000/confirm-email?token=")
    with pytest.raises(InvitationUsed):
        service.redeem(token, registration())
    with pytest.raises(TokenTampered):  # a confirmation token is not an invitation token
        service.verify(token_of(link))
    clock.advance(hours=23)
    done = service.confirm_email(token_of(link))
    assert done.status is InvitationStatus.ACCEPTED and done.email_confirmed_at is not None
    assert (done.email, done.registered_email) == ("matti@acme.fi", "matti.m@gmail.example")
    with pytest.raises(InvitationUsed):
        service.confirm_email(token_of(link))


def test_confirmation_link_expires(service: InvitationService, transport: RecordingTransport,
                                   clock: FrozenClock) -> None:
    from invitations.errors import ConfirmationExpired

    token = token_of(invite(service).link or "")
    service.redeem(token, registration("toinen@acme.fi"))
    link = link_in(transport.sent[-1].data)
    clock.advance(hours=24, seconds=1)
    with pytest.raises(ConfirmationExpired) as info:
        service.confirm_email(token_of(link))
    assert "vahvistuslinkki" in info.value.message("fi")


# -- resend, revoke, list -----------------------------------------------------


def test_resend_kills_the_old_link_and_opens_a_new_window(
    service: InvitationService, clock: FrozenClock, transport: RecordingTransport
) -> None:
    inv = invite(service)
    clock.advance(days=8)  # expired
    assert service.get(inv.id).status is InvitationStatus.EXPIRED
    again = service.resend(inv.id, by=BOSS)
    assert again.status is InvitationStatus.PENDING and again.resend_count == 1
    assert again.expires_at == clock.now() + WEEK
    with pytest.raises(InvitationSuperseded):
        service.verify(token_of(inv.link or ""))
    with pytest.raises(InvitationSuperseded):
        service.redeem(token_of(inv.link or ""), registration())
    assert service.redeem(token_of(again.link or ""), registration()).status == "accepted"
    assert len(transport.sent) == 2
    with pytest.raises(InvitationUsed):
        service.resend(inv.id, by=BOSS)


def test_resend_and_revoke_authorization(service: InvitationService) -> None:
    inv = invite(service)
    stranger = Inviter("boss@muu.fi", None, Role.MAIN_USER, OTHER.business_id)
    with pytest.raises(NotAuthorized):
        service.resend(inv.id, by=stranger)
    with pytest.raises(NotAuthorized):
        service.revoke(inv.id, by=stranger)
    assert service.resend(inv.id, by=OPERATOR).resend_count == 1  # customer service helps


def test_revoke(service: InvitationService) -> None:
    inv = invite(service)
    revoked = service.revoke(inv.id, by=BOSS)
    assert revoked.status is InvitationStatus.REVOKED and revoked.revoked_by == BOSS.id
    with pytest.raises(InvitationRevoked):
        service.verify(token_of(inv.link or ""))
    with pytest.raises(InvitationRevoked):
        service.resend(inv.id, by=BOSS)
    assert service.revoke(inv.id, by=BOSS).status is InvitationStatus.REVOKED  # idempotent
    # Re-inviting the address after a revoke issues a fresh invitation.
    assert invite(service).id != inv.id


def test_get_unknown(service: InvitationService) -> None:
    with pytest.raises(InvitationNotFound) as info:
        service.get("nope")
    assert "nope" in info.value.message("sv")


def test_list_filters(service: InvitationService, clock: FrozenClock) -> None:
    a = invite(service, "a@acme.fi")
    b = invite(service, "b@acme.fi")
    other_boss = Inviter("boss@muu.fi", None, Role.MAIN_USER, OTHER.business_id)
    c = invite(service, "c@muu.fi", company=OTHER, invited_by=other_boss)
    service.revoke(b.id, by=BOSS)
    clock.advance(WEEK + timedelta(seconds=1))
    assert [i.id for i in service.list()] == [a.id, b.id, c.id]
    assert [i.id for i in service.list(company=ACME)] == [a.id, b.id]
    assert [i.id for i in service.list(company="2077474-0")] == [c.id]
    assert [i.id for i in service.list(status="expired")] == [a.id, c.id]
    assert [i.id for i in service.list(status=InvitationStatus.REVOKED)] == [b.id]
    assert service.list(status="pending") == []
    with pytest.raises(InvalidChoice):
        service.list(status="bogus")
    with pytest.raises(InvalidBusinessId):
        service.list(company="123")


# -- delivery -----------------------------------------------------------------


def test_temporary_failure_stays_queued_permanent_fails(service: InvitationService,
                                                        transport: RecordingTransport,
                                                        clock: FrozenClock) -> None:
    from invitations.transports.base import SendResult, SendStatus

    transport.script = [SendResult(SendStatus.TEMPORARY_FAILURE, 451, "4.3.0 try later")]
    inv = invite(service)  # does not raise
    assert inv.delivery_state is DeliveryState.QUEUED and inv.attempts == 1
    assert inv.last_error == "451 4.3.0 try later"
    [row] = service.store.outbox(invitation_id=inv.id)
    assert row.next_attempt_at > clock.now()
    assert service.deliver_queued() == 0  # not due yet
    clock.advance(minutes=5)
    assert service.deliver_queued() == 1
    assert service.get(inv.id).delivery_state is DeliveryState.SENT
    transport.script = [SendResult(SendStatus.PERMANENT_FAILURE, 550, "5.1.1 no such user")]
    bad = invite(service, "ghost@acme.fi")
    assert bad.delivery_state is DeliveryState.FAILED and "550" in (bad.last_error or "")


def test_transport_exception_is_a_temporary_failure(
    make_service: Callable[..., InvitationService],
) -> None:
    from invitations.transports.base import BaseTransport, OutgoingMessage, SendResult

    class Down(BaseTransport):
        def send(self, messages: list[OutgoingMessage]) -> list[SendResult]:  # type: ignore[override]
            raise ConnectionRefusedError("connection refused")

    inv = invite(make_service(transport=Down()))
    assert inv.delivery_state is DeliveryState.QUEUED
    assert "ConnectionRefusedError" in (inv.last_error or "")


def test_no_transport_only_queues(make_service: Callable[..., InvitationService]) -> None:
    inv = invite(make_service(transport=None))
    assert inv.delivery_state is DeliveryState.QUEUED and inv.attempts == 0


def test_deliver_false_queues_for_a_later_batch(service: InvitationService,
                                                transport: RecordingTransport) -> None:
    inv = invite(service, deliver=False)
    assert inv.delivery_state is DeliveryState.QUEUED and transport.sent == []
    assert service.deliver_queued() == 1
    assert service.get(inv.id).delivery_state is DeliveryState.SENT


def test_raise_on_delivery_failure(make_service: Callable[..., InvitationService],
                                   transport: RecordingTransport) -> None:
    from invitations.errors import DeliveryFailed
    from invitations.transports.base import SendResult, SendStatus

    strict = make_service(raise_on_delivery_failure=True)
    transport.script = [SendResult(SendStatus.PERMANENT_FAILURE, 550, "5.1.1 unknown")]
    with pytest.raises(DeliveryFailed) as info:
        invite(strict)
    assert "550 5.1.1 unknown" in info.value.message("fi")
    assert len(strict.list()) == 1  # the invitation and its mail are kept


def test_real_smtp_round_trip(make_service: Callable[..., InvitationService],
                              smtp_sink: object) -> None:
    port = smtp_sink.port  # type: ignore[attr-defined]
    service = make_service(transport=f"smtp://127.0.0.1:{port}?starttls=off")
    inv = invite(service, "matti@acme.fi")
    assert inv.delivery_state is DeliveryState.SENT
    [(mail_from, rcpts, data)] = smtp_sink.handler.messages  # type: ignore[attr-defined]
    assert (mail_from, rcpts) == ("noreply@posti.fi", ["matti@acme.fi"])
    token = token_of(link_in(data))
    assert service.redeem(token, registration()).status is InvitationStatus.ACCEPTED


# -- configuration --------------------------------------------------------------


def test_configuration_is_checked(make_service: Callable[..., InvitationService]) -> None:
    with pytest.raises(ConfigurationError, match="32 bytes"):
        make_service(secret_keys=["short"])
    with pytest.raises(ConfigurationError, match="no secret key"):
        make_service(secret_keys=[])
    with pytest.raises(ConfigurationError, match="http"):
        make_service(base_url="portal.example.fi")
    with pytest.raises(ConfigurationError, match="sender"):
        make_service(sender="Posti <nobody>")
