"""Tokens: signing, expiry through the injectable clock, rotation, tampering."""

from __future__ import annotations

import base64
import json
import string
from datetime import timedelta

import pytest

from invitations.clock import FrozenClock
from invitations.errors import ConfigurationError, TokenMalformed, TokenTampered
from invitations.tokens import (
    CONFIRMATION_SALT,
    TokenExpired,
    TokenSigner,
    check_secret_keys,
    hash_nonce,
    new_nonce,
)
from tests.core.helpers import KEY, OLD_KEY, START

WEEK = timedelta(days=7)


def signer(clock: FrozenClock, keys: list[str] | None = None, **kw: object) -> TokenSigner:
    return TokenSigner(keys or [KEY], max_age=WEEK, clock=clock, **kw)  # type: ignore[arg-type]


def test_round_trip_carries_only_id_and_nonce(clock: FrozenClock) -> None:
    s = signer(clock)
    token = s.sign("inv-1", "nonce-1")
    payload = s.load(token)
    assert (payload.invitation_id, payload.nonce, payload.signed_at) == ("inv-1", "nonce-1", START)
    body = token.split(".")[0]
    decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert decoded == ["inv-1", "nonce-1"]


def test_expiry_boundary_uses_the_clock(clock: FrozenClock) -> None:
    s = signer(clock)
    token = s.sign("inv-1", "n")
    clock.advance(WEEK - timedelta(seconds=1))
    assert s.load(token).invitation_id == "inv-1"
    clock.advance(seconds=2)
    with pytest.raises(TokenExpired) as info:
        s.load(token)
    assert info.value.payload.signed_at == START
    assert info.value.expires_at == START + WEEK


def test_small_future_skew_is_accepted_large_is_not(clock: FrozenClock) -> None:
    ahead = FrozenClock(START + timedelta(seconds=59))
    token = signer(ahead).sign("inv-1", "n")
    assert signer(clock).load(token).invitation_id == "inv-1"
    far = FrozenClock(START + timedelta(seconds=61))
    with pytest.raises(TokenTampered):
        signer(clock).load(signer(far).sign("inv-1", "n"))


def test_rotation_newest_signs_all_verify(clock: FrozenClock) -> None:
    old_token = signer(clock, [OLD_KEY]).sign("inv-1", "n")
    rotated = signer(clock, [KEY, OLD_KEY])
    assert rotated.load(old_token).invitation_id == "inv-1"
    new_token = rotated.sign("inv-2", "n")
    # Signed with the newest key: the new key alone verifies it, the old one does not.
    assert signer(clock, [KEY]).load(new_token).invitation_id == "inv-2"
    with pytest.raises(TokenTampered):
        signer(clock, [OLD_KEY]).load(new_token)
    # After the old key is dropped, its tokens die.
    with pytest.raises(TokenTampered):
        signer(clock, [KEY]).load(old_token)


def test_every_changed_byte_is_refused(clock: FrozenClock) -> None:
    s = signer(clock)
    token = s.sign("inv-1", new_nonce())
    alphabet = string.ascii_letters + string.digits + "-_."
    for index, char in enumerate(token):
        replacement = alphabet[(alphabet.index(char) + 1) % len(alphabet)]
        changed = token[:index] + replacement + token[index + 1:]
        with pytest.raises((TokenTampered, TokenMalformed)):
            s.load(changed)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "..", "x" * 600, "a.b.c\n.d", "ä.b.c"])
def test_malformed_tokens(clock: FrozenClock, token: str) -> None:
    with pytest.raises(TokenMalformed):
        signer(clock).load(token)


def test_wrong_salt_is_refused(clock: FrozenClock) -> None:
    token = signer(clock).sign("inv-1", "n")
    with pytest.raises(TokenTampered):
        signer(clock, salt=CONFIRMATION_SALT).load(token)


def test_unknown_key_is_refused(clock: FrozenClock) -> None:
    token = signer(clock, ["z" * 40]).sign("inv-1", "n")
    with pytest.raises(TokenTampered):
        signer(clock).load(token)


def test_valid_signature_with_foreign_payload_is_malformed() -> None:
    from itsdangerous import URLSafeTimedSerializer

    from invitations.tokens import INVITATION_SALT

    foreign = URLSafeTimedSerializer(KEY, salt=INVITATION_SALT).dumps({"email": "x@y.fi"})
    with pytest.raises(TokenMalformed):
        signer(FrozenClock()).load(foreign)  # the real "now": itsdangerous signed with it


def test_keys_are_required_and_long_enough() -> None:
    with pytest.raises(ConfigurationError, match="no secret key"):
        check_secret_keys([])
    with pytest.raises(ConfigurationError, match="number 2 is 5 bytes"):
        check_secret_keys([KEY, "short"])
    assert check_secret_keys(KEY) == [KEY.encode()]


def test_nonce_hash_is_not_the_nonce() -> None:
    nonce = new_nonce()
    assert hash_nonce(nonce) != nonce and len(hash_nonce(nonce)) == 64
    assert new_nonce() != nonce
