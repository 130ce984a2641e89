"""Fixtures of the events suite: a service on real SMTP (devsmtp) whose events are
recorded, with an inviter who has an address and an operator mailbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devsmtp.testing import Capture
from invitations import Company, Event, InvitationService, Inviter
from invitations.clock import FrozenClock
from invitations.store import SQLiteInvitationStore
from invitations.transports import transport_from_url

KEYS = ["events-test-key-Hq3vN8zRt2wLc6YpK9mXb4Ds7Fj1Ge5"]

ServiceFactory = Callable[..., InvitationService]


@pytest.fixture
def company() -> Company:
    return Company("0112038-9", "Testi & Kumpp. Oy", contract_number="LC-1234")


@pytest.fixture
def main_user(smtp_capture: Capture) -> Inviter:
    """Maija, a main user whose own mailbox is in this test's devsmtp domain."""
    return Inviter("maija-1", "Maija Mäkelä", role="main_user", company_id="0112038-9",
                   email=smtp_capture.address("maija"))


@pytest.fixture
def operator_box(smtp_capture: Capture) -> str:
    return smtp_capture.address("asiakaspalvelu")


@pytest.fixture
def received() -> list[Event]:
    """Every event the ``service`` emitted, in order."""
    return []


@pytest.fixture
def make_service(smtp_capture: Capture, clock: FrozenClock, tmp_path: Path,
                 received: list[Event], operator_box: str) -> Iterator[ServiceFactory]:
    """``make_service(**options)``: a service on devsmtp recording its events in
    ``received``; SQLite in ``tmp_path``; closed afterwards."""
    made: list[tuple[InvitationService, Any]] = []

    def make(**options: Any) -> InvitationService:
        transport = transport_from_url(smtp_capture.smtp_url)
        store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
        options.setdefault("operator_address", operator_box)
        options.setdefault("on_event", received.append)
        service = InvitationService(KEYS, "http://localhost", transport, store=store,
                                    clock=clock, close_store=True, **options)
        made.append((service, transport))
        return service

    yield make
    for service, transport in made:
        service.close()
        transport.close()


@pytest.fixture
def service(make_service: ServiceFactory) -> InvitationService:
    return make_service()
