"""Fixtures for the registration pages: a real service (SQLite file, memory transport,
frozen clock) and Starlette's TestClient on the app built from it."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

with warnings.catch_warnings():
    # Starlette 1.x suggests httpx2 for its TestClient; httpx is what is installed.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from invitations.clock import FrozenClock
from invitations.models import Company, Invitation, Inviter
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.transports.memory import MemoryTransport
from invitations.web import create_app

KEY = "web-tests-secret-key-0123456789abcdef"
BASE_URL = "http://testserver"
COMPANY = Company("0112038-9", "Esimerkki Oy", contract_number="LOG-123456")
MAIN_USER = Inviter("maija@example.com", "Maija Pääkäyttäjä", "main_user", "0112038-9")
OPERATOR = Inviter("asiakaspalvelu@posti.fi", "Postin asiakaspalvelu", "operator")
GOOD_PASSWORD = "Vahva2024+Kala"


@dataclass
class Site:
    """The service, its outbox and a browser-like client on the pages."""

    service: InvitationService
    clock: FrozenClock
    transport: MemoryTransport
    client: TestClient

    def invite(self, email: str = "uusi.kayttaja@example.com", **kwargs: object) -> Invitation:
        kwargs.setdefault("company", COMPANY)
        kwargs.setdefault("invited_by", MAIN_USER)
        return self.service.send_invite(email, **kwargs)  # type: ignore[arg-type]

    def open_link(self, link: str | None, **headers: str) -> httpx.Response:
        """Follow a link from the mail like a browser (redirects followed)."""
        assert link is not None
        parts = urlsplit(link)
        return self.client.get(f"{parts.path}?{parts.query}", headers=headers)

    def csrf(self, html: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, "the form has no CSRF token"
        return match.group(1)

    def last_link(self, path: str) -> str:
        """The link to ``path`` in the newest mail of the outbox."""
        assert self.transport.outbox, "no mail was sent"
        mail = message_from_bytes(self.transport.outbox[-1].data, policy=policy.default)
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        match = re.search(rf"https?://\S+/{path}\?token=[\w.\-]+", text)
        assert match, f"no /{path} link in the mail:\n{text}"
        return match.group(0)


def registration(**overrides: str) -> dict[str, str]:
    data = {
        "first_name": "Matti",
        "last_name": "Virtanen",
        "email": "uusi.kayttaja@example.com",
        "username": "uusi.kayttaja@example.com",
        "password": GOOD_PASSWORD,
        "lang": "fi",
    }
    data.update(overrides)
    return data


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    clock = FrozenClock(datetime(2025, 3, 7, 13, 5, tzinfo=UTC))
    transport = MemoryTransport()
    store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
    service = InvitationService([KEY], BASE_URL, transport, store=store, clock=clock)
    app = create_app(service, session_keys=[KEY])
    with TestClient(app, base_url=BASE_URL) as client:
        yield Site(service, clock, transport, client)
    store.close()
