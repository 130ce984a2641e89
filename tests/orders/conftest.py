"""Fixtures of the credential order tests: an order service on either backend
(``backend`` is SQLite and PostgreSQL, as in the store tests), a recording
transport and a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from invitations.clock import FrozenClock
from invitations.events import Event
from invitations.orders import OrderForm, OrderService
from invitations.service import InvitationService
from tests.core.conftest import clock, transport  # noqa: F401  (fixtures)
from tests.core.helpers import KEY, RecordingTransport
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)
from tests.store.conftest import Backend, backend  # noqa: F401  (fixture)

#: A complete form: a company with no main user, SmartShip and a contract ordered.
FORM = OrderForm(
    company_id="0112038-9", company_name="Acme Oy", orderer_name="Olli Tilaaja",
    orderer_email="olli@acme.fi", orderer_phone="+358 40 123 4567",
    main_user_first_name="Maija", main_user_last_name="Pääkäyttäjä",
    main_user_email="maija@acme.fi", reason="no_main_user", smartship=True,
    order_contract=True, terms=True,
)
#: "Pääkäyttäjä vaihdetaan": the previous main user left.
CHANGE = replace(FORM, reason="main_user_changed", main_user_email="uusi@acme.fi",
                 main_user_first_name="Uuno", main_user_last_name="Uusi",
                 order_contract=False, contract_number="LOG-123",
                 previous_main_user_name="Vanha Pääkäyttäjä",
                 previous_main_user_email="vanha@acme.fi")


class Recorder:
    """Every event of the order flow (``order.*``, ``main_user.*``), in order."""

    def __init__(self, service: InvitationService) -> None:
        self.seen: list[Event] = []
        service.events.subscribe(self.record)

    def record(self, event: Event) -> None:
        if event.name.startswith(("order.", "main_user.")):
            self.seen.append(event)

    def names(self) -> list[str]:
        return [event.name for event in self.seen]


@pytest.fixture
def invitations(backend: Backend, clock: FrozenClock,  # noqa: F811
                transport: RecordingTransport,  # noqa: F811
                ) -> Iterator[InvitationService]:
    with InvitationService([KEY], "http://127.0.0.1:8000", transport, store=backend.open(),
                           clock=clock, close_store=True) as service:
        yield service


@pytest.fixture
def recorder(invitations: InvitationService) -> Recorder:
    return Recorder(invitations)


@pytest.fixture
def orders(invitations: InvitationService) -> OrderService:
    return OrderService(invitations)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the `invitations` command line reads (English unless a test
    asks for another language)."""
    values = {
        "INVITATIONS_SECRET_KEYS": KEY,
        "INVITATIONS_BASE_URL": "http://127.0.0.1:8000",
        "INVITATIONS_TRANSPORT": f"file://{tmp_path / 'mail'}",
        "INVITATIONS_DB": str(tmp_path / "invitations.db"),
        "INVITATIONS_LANG": "en",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values
