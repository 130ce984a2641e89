"""Configuration from the environment and the module-level one-liner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import invitations
from invitations.config import Settings, parse_secret_keys
from invitations.errors import ConfigurationError
from invitations.models import DeliveryState
from tests.core.helpers import ACME, BOSS, KEY, OLD_KEY, token_of


def test_parse_secret_keys() -> None:
    assert parse_secret_keys(f" {KEY} , {OLD_KEY},, ") == (KEY, OLD_KEY)
    assert parse_secret_keys("") == ()


def test_settings_from_env(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "INVITATIONS_SECRET_KEYS": f"{KEY},{OLD_KEY}",
        "INVITATIONS_BASE_URL": "https://portal.example.fi",
        "INVITATIONS_DB": str(tmp_path / "x.db"),
        "INVITATIONS_LANGUAGES": "sv,fi",
        "INVITATIONS_PASSWORD_POLICY": "nist",
    })
    assert settings.secret_keys == (KEY, OLD_KEY)
    assert settings.transport == "console://" and settings.languages == ("sv", "fi")
    with settings.service() as service:
        assert service.password_policy.name == "nist"
        assert service.languages == ("sv", "fi")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "no secret key"),
        ({"INVITATIONS_SECRET_KEYS": "abc"}, "at least 32 bytes"),
        ({"INVITATIONS_SECRET_KEYS": KEY}, "INVITATIONS_BASE_URL is not set"),
        ({"INVITATIONS_SECRET_KEYS": KEY, "INVITATIONS_BASE_URL": "x",
          "INVITATIONS_PASSWORD_POLICY": "weak"}, "unknown password policy"),
    ],
)
def test_settings_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env(env)


@pytest.fixture
def default_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("INVITATIONS_SECRET_KEYS", KEY)
    monkeypatch.setenv("INVITATIONS_BASE_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("INVITATIONS_TRANSPORT", f"file://{tmp_path / 'mail'}")
    monkeypatch.setenv("INVITATIONS_DB", str(tmp_path / "default.db"))
    invitations.reset_default_service()
    yield tmp_path
    invitations.reset_default_service()


def test_module_level_send_invite(default_env: Path) -> None:
    inv = invitations.send_invite("matti@acme.fi", company=ACME, invited_by=BOSS)
    assert inv.delivery_state is DeliveryState.SENT
    assert len(list((default_env / "mail").glob("*.eml"))) == 1
    assert invitations.default_service().verify(token_of(inv.link or "")).id == inv.id
    assert invitations.default_service() is invitations.default_service()


def test_public_names_resolve() -> None:
    for name in invitations.__all__:
        assert getattr(invitations, name) is not None
    with pytest.raises(AttributeError):
        invitations.no_such_thing  # noqa: B018
