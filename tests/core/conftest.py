"""Fixtures for the foundation tests: a frozen clock, a recording transport,
a service on a real SQLite file, and a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from invitations.clock import FrozenClock
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from tests.core.helpers import KEY, START, RecordingTransport, SMTPSink


@pytest.fixture(autouse=True)
def no_invitations_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's own INVITATIONS_* variables never reach the code under test:
    click's CliRunner and the subprocesses here start from ``os.environ``."""
    for name in [n for n in os.environ if n.startswith("INVITATIONS_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "invitations.db"


@pytest.fixture
def make_service(
    clock: FrozenClock, transport: RecordingTransport, db_path: Path
) -> Iterator[Callable[..., InvitationService]]:
    made: list[InvitationService] = []

    def make(**kwargs: Any) -> InvitationService:
        kwargs.setdefault("secret_keys", [KEY])
        kwargs.setdefault("base_url", "http://127.0.0.1:8000/")
        kwargs.setdefault("transport", transport)
        kwargs.setdefault("clock", clock)
        if "store" not in kwargs:
            kwargs["store"] = SQLiteInvitationStore(db_path)
            kwargs["close_store"] = True
        service = InvitationService(**kwargs)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


@pytest.fixture
def service(make_service: Callable[..., InvitationService]) -> InvitationService:
    return make_service()


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    sink = SMTPSink().start()
    yield sink
    sink.stop()
