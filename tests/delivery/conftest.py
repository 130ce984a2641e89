"""Fixtures for delivery tests: a real service on a SQLite file and real SMTP servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from invitations.clock import FrozenClock
from invitations.models import Company, Invitation, Inviter, Role
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.transports import Transport
from tests.core.conftest import no_invitations_environment  # noqa: F401  (fixture)
from tests.transports.conftest import smtp_server  # noqa: F401  (fixture)

KEY = "delivery-tests-secret-key-0123456789abcdef"
BASE_URL = "https://portal.example.fi"
COMPANY = Company("0112038-9", "Testi Oy", "LOG-1234")
MAIN_USER = Inviter("paula@testi.fi", "Paula Pääkäyttäjä", Role.MAIN_USER, "0112038-9")

ServiceFactory = Callable[..., InvitationService]


def invite(service: InvitationService, n: int) -> Invitation:
    return service.send_invite(
        f"user{n}@testi.fi", company=COMPANY, invited_by=MAIN_USER, first_name="Anna",
        last_name="Virtanen",
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "invitations.db"


@pytest.fixture
def service_factory(db: Path, clock: FrozenClock) -> Iterator[ServiceFactory]:
    """``service_factory(transport, **options)``: a service on the test database."""
    services: list[InvitationService] = []

    def make(transport: Transport | str | None, **options: Any) -> InvitationService:
        service = InvitationService(
            [KEY], BASE_URL, transport, store=SQLiteInvitationStore(db), clock=clock,
            close_store=True, **options,
        )
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()
        if service.transport is not None:
            service.transport.close()
