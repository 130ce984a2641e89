"""Issue 12, item 8: keys of obviously low entropy are refused, with how to make one."""

from __future__ import annotations

import secrets

import pytest

from invitations.config import Settings
from invitations.errors import ConfigurationError, WeakSecretKey
from invitations.tokens import check_secret_keys

WEAK = [
    "a" * 64,  # one repeated character
    "ab" * 32,
    "0123456789abcd" * 4,  # one shorter text repeated
    "abcdefg" * 5,  # 7 distinct bytes
    "password" * 8,
]


@pytest.mark.parametrize("key", WEAK)
def test_low_entropy_keys_are_refused(key: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_secret_keys([secrets.token_urlsafe(48), key])
    assert isinstance(raised.value, WeakSecretKey)
    message = str(raised.value)
    assert "number 2" in message
    assert "secrets.token_urlsafe(48)" in message
    for lang in ("fi", "sv"):
        assert "secrets.token_urlsafe(48)" in raised.value.message(lang)
        assert raised.value.message(lang) != message


def test_settings_refuse_a_weak_key_at_start_up() -> None:
    with pytest.raises(WeakSecretKey):
        Settings.from_env({"INVITATIONS_SECRET_KEYS": "x" * 40,
                           "INVITATIONS_BASE_URL": "https://example.fi"})


def test_random_keys_pass() -> None:
    keys = [secrets.token_urlsafe(48), secrets.token_hex(16), secrets.token_hex(32)]
    assert check_secret_keys(keys) == [k.encode() for k in keys]
