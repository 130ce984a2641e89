"""create_app's configuration: keys, key rotation, languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from invitations.errors import ConfigurationError
from invitations.password import PasswordPolicy
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.transports.memory import MemoryTransport
from invitations.web import create_app

from .conftest import BASE_URL, COMPANY, KEY, MAIN_USER, TestClient

NEW_KEY = "a-newer-web-session-key-0123456789abcdef"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[InvitationService]:
    store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
    with InvitationService(
        [KEY], BASE_URL, MemoryTransport(), store=store, close_store=True
    ) as svc:
        yield svc


def test_short_or_missing_session_key_is_refused(service: InvitationService) -> None:
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        create_app(service, session_keys=["short"])
    with pytest.raises(ConfigurationError, match="no secret key"):
        create_app(service, session_keys=[])


def test_unknown_language_is_refused(service: InvitationService) -> None:
    with pytest.raises(ConfigurationError, match="no catalog for de"):
        create_app(service, session_keys=[KEY], languages=("fi", "de"))


def test_rotating_session_keys_keeps_sessions(service: InvitationService) -> None:
    invitation = service.send_invite("uusi@example.com", company=COMPANY, invited_by=MAIN_USER)
    assert invitation.link is not None
    with TestClient(create_app(service, session_keys=[KEY]), base_url=BASE_URL) as old:
        old.get(invitation.link, follow_redirects=False)
        cookie = old.cookies["invitations_session"]
    rotated = create_app(service, session_keys=[NEW_KEY, KEY])
    with TestClient(rotated, base_url=BASE_URL, cookies={"invitations_session": cookie}) as new:
        assert new.get("/register").status_code == 200
    retired = create_app(service, session_keys=[NEW_KEY])
    with TestClient(retired, base_url=BASE_URL, cookies={"invitations_session": cookie}) as new:
        page = new.get("/register")
        assert page.status_code == 400 and 'data-testid="page-session"' in page.text


def test_single_language_pages(service: InvitationService) -> None:
    invitation = service.send_invite("uusi@example.com", company=COMPANY, invited_by=MAIN_USER)
    assert invitation.link is not None
    app = create_app(service, session_keys=KEY, languages=("sv",))
    with TestClient(app, base_url=BASE_URL) as client:
        page = client.get(invitation.link, headers={"accept-language": "fi"})
        assert '<html lang="sv">' in page.text
        assert 'data-testid="lang-fi"' not in page.text


def test_rules_shown_follow_the_service_policy(tmp_path: Path) -> None:
    store = SQLiteInvitationStore(tmp_path / "nist.sqlite3")
    with InvitationService(
        [KEY], BASE_URL, MemoryTransport(), store=store, close_store=True,
        password_policy=PasswordPolicy.nist(),
    ) as service:
        invitation = service.send_invite("uusi@example.com", company=COMPANY, invited_by=MAIN_USER)
        assert invitation.link is not None
        with TestClient(create_app(service, session_keys=[KEY]), base_url=BASE_URL) as client:
            page = client.get(invitation.link, headers={"accept-language": "fi"})
    assert "vähintään 15 merkkiä" in page.text
    assert "iso kirjain" not in page.text and "! @ # $ % + / ." not in page.text
