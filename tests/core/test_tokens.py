"""Tokens: signing, expiry through the injectable clock, rotation, tampering."""

from __future__ import annotations

import base64
import json
import secrets
import string
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from invitations.clock import FrozenClock
from invitations.errors import (
    ConfigurationError,
    InvitationExpired,
    TokenMalformed,
    TokenTampered,
)
from invitations.models import InvitationStatus
from invitations.service import InvitationService
from invitations.tokens import (
    CONFIRMATION_SALT,
    TokenExpired,
    TokenSigner,
    check_secret_keys,
    hash_nonce,
    new_nonce,
    peek_payload,
)
from tests.core.helpers import KEY, OLD_KEY, START, invite, registration, token_of

WEEK = timedelta(days=7)


def signer(clock: FrozenClock, keys: list[str] | None = None, **kw: object) -> TokenSigner:
    return TokenSigner(keys or [KEY], max_age=WEEK, clock=clock, **kw)  # type: ignore[arg-type]


def test_round_trip_carries_only_id_and_nonce(clock: FrozenClock) -> None:
    s = signer(clock)
    token = s.sign("inv-1", "nonce-1")
    payload = s.load(token)
    assert (payload.invitation_id, payload.nonce, payload.signed_at) == ("inv-1", "nonce-1", START)
    body = token.split(".")[0]
    decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    # Compact version 2 (any id): version, id length, id, nonce; nothing else.
    assert decoded == b"\x02\x05inv-1nonce-1"


def test_service_ids_give_compact_v1_and_a_110_character_link(clock: FrozenClock) -> None:
    s = signer(clock)
    invitation_id, nonce = uuid.uuid4().hex, new_nonce()
    token = s.sign(invitation_id, nonce)
    body = token.split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert raw == b"\x01" + bytes.fromhex(invitation_id) + base64.urlsafe_b64decode(nonce + "=")
    assert len(raw) == 25 and len(body) == 34 and body[0] == "A"
    assert len(f"https://portal.example.fi/register?token={token}") <= 110
    payload = s.load(token)
    assert (payload.invitation_id, payload.nonce) == (invitation_id, nonce)
    peeked = peek_payload(token)
    assert (peeked.format, peeked.invitation_id, peeked.signed_at) == (
        "compact-v1", invitation_id, START)


def test_nonce_has_64_random_bits() -> None:
    nonces = {new_nonce() for _ in range(1000)}
    assert len(nonces) == 1000
    for nonce in nonces:
        assert len(nonce) == 11 and len(base64.urlsafe_b64decode(nonce + "=")) == 8


def test_legacy_tokens_keep_working_until_they_expire(clock: FrozenClock) -> None:
    """A link mailed before compact tokens: same keys, salt and rotation; old expiry."""
    invitation_id = uuid.uuid4().hex
    old_nonce = secrets.token_urlsafe(16)  # the old nonces: 16 bytes, 22 characters
    legacy = signer(clock, [OLD_KEY]).sign_legacy(invitation_id, old_nonce)
    body = legacy.split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))) == [
        invitation_id, old_nonce]
    rotated = signer(clock, [KEY, OLD_KEY])
    clock.advance(WEEK - timedelta(seconds=1))
    payload = rotated.load(legacy)
    assert (payload.invitation_id, payload.nonce, payload.signed_at) == (
        invitation_id, old_nonce, START)
    assert peek_payload(legacy).format == "legacy"
    clock.advance(seconds=2)
    with pytest.raises(TokenExpired) as info:
        rotated.load(legacy)
    assert info.value.expires_at == START + WEEK
    with pytest.raises(TokenTampered):
        signer(clock, [KEY]).load(legacy)


def test_compact_token_expires_like_the_legacy_one(clock: FrozenClock) -> None:
    s = signer(clock)
    token = s.sign(uuid.uuid4().hex, new_nonce())
    clock.advance(WEEK + timedelta(seconds=1))
    with pytest.raises(TokenExpired) as info:
        s.load(token)
    assert info.value.payload.signed_at == START


@pytest.mark.parametrize("raw", [b"\x01" + b"x" * 10, b"\x02", b"\x02\x09abc", b"\x03abc",
                                 b"\x02\x01\xff\xfe"])
def test_signed_compact_garbage_is_malformed(clock: FrozenClock, raw: bytes) -> None:
    s = signer(clock)
    forged = s._signer.sign(base64.urlsafe_b64encode(raw).rstrip(b"=")).decode()
    with pytest.raises(TokenMalformed):
        s.load(forged)


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


@pytest.mark.parametrize("legacy", [False, True])
def test_every_changed_byte_is_refused(clock: FrozenClock, legacy: bool) -> None:
    s = signer(clock)
    token = (s.sign_legacy if legacy else s.sign)(uuid.uuid4().hex, new_nonce())
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
    token = signer(clock, ["unknown-key-Hc4Wq8Zt1Lm6Pv3Rb9Ny2Kx5Js7Dg"]).sign("inv-1", "n")
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


def test_links_mailed_in_the_legacy_format_work_through_the_service(
    make_service: Callable[..., InvitationService], clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An invitation mailed by the previous release (legacy token, 16-byte nonce) is
    still verified and redeemed by this one until it expires; a compact one too."""
    service = make_service()
    with monkeypatch.context() as patch:  # the previous release's signing
        patch.setattr(TokenSigner, "sign", TokenSigner.sign_legacy)
        patch.setattr("invitations.service.new_nonce", lambda: secrets.token_urlsafe(16))
        old = invite(service, "vanha@acme.fi")
        expiring = invite(service, "toinen@acme.fi")
    old_token, expiring_token = token_of(old.link or ""), token_of(expiring.link or "")
    assert peek_payload(old_token).format == "legacy" and old_token[0] in "W."
    new = invite(service, "uusi@acme.fi")
    assert peek_payload(token_of(new.link or "")).format == "compact-v1"
    assert len(new.link or "") < len(old.link or "")

    clock.advance(WEEK - timedelta(minutes=1))
    assert service.verify(old_token).id == old.id
    redeemed = service.redeem(old_token, registration("vanha@acme.fi"))
    assert redeemed.status is InvitationStatus.ACCEPTED
    clock.advance(minutes=2)
    with pytest.raises(InvitationExpired):
        service.verify(expiring_token)
