"""Signed, timestamped link tokens (itsdangerous), read through an injectable clock.

A token carries only an invitation id and a per-issue nonce: links end up in
logs, proxies and mail scanners, so they must not reveal who was invited.
The store keeps only a hash of the nonce (:func:`hash_nonce`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, overload

from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode
from itsdangerous.timed import TimestampSigner

from invitations.clock import Clock, SystemClock
from invitations.errors import ConfigurationError, TokenMalformed, TokenTampered

INVITATION_SALT = "invitations.invitation.v1"
CONFIRMATION_SALT = "invitations.confirm-email.v1"
#: Keys shorter than this are refused: HMAC-SHA1 keys should carry >= 256 bits.
MIN_KEY_BYTES = 32
#: A token signed this far in the future (servers' clocks disagree) is still accepted.
DEFAULT_SKEW = timedelta(seconds=60)

# payload "." timestamp "." signature, base64url; a leading "." marks compression.
_TOKEN_SHAPE = re.compile(r"\.?[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")
_MAX_TOKEN = 512


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def hash_nonce(nonce: str) -> str:
    """What the store keeps instead of the nonce (a stolen database mints no links)."""
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def check_secret_keys(secret_keys: str | bytes | Sequence[str | bytes]) -> list[bytes]:
    """Validate keys given newest first; return them as bytes, newest first."""
    if isinstance(secret_keys, str | bytes):
        secret_keys = [secret_keys]
    keys = [k.encode("utf-8") if isinstance(k, str) else bytes(k) for k in secret_keys]
    if not keys:
        raise ConfigurationError(
            "no secret key: set INVITATIONS_SECRET_KEYS to a random value of at least "
            f"{MIN_KEY_BYTES} bytes, e.g. the output of "
            "`python -c \"import secrets; print(secrets.token_urlsafe(48))\"`"
        )
    for position, key in enumerate(keys, start=1):
        if len(key) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"secret key number {position} is {len(key)} bytes long; every key needs "
                f"at least {MIN_KEY_BYTES} bytes (generate one with "
                "`python -c \"import secrets; print(secrets.token_urlsafe(48))\"`)"
            )
    return keys


def _canonical(token: str) -> bool:
    try:
        return all(
            base64_encode(base64_decode(segment)).decode("ascii") == segment
            for segment in token.lstrip(".").split(".")
        )
    except BadData:
        return False


class _FutureToken(Exception):
    """Signed (validly) further in the future than the allowed clock skew."""


class _ClockSigner(TimestampSigner):
    """A timestamp signer whose "now" is the service clock, with skew tolerance."""

    def __init__(self, *args: Any, clock: Clock, skew: timedelta, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock
        self.skew = skew

    def get_timestamp(self) -> int:
        return int(self.clock.now().timestamp())

    @overload
    def unsign(
        self, signed_value: str | bytes, max_age: int | None = None,
        return_timestamp: Literal[False] = False,
    ) -> bytes: ...

    @overload
    def unsign(
        self, signed_value: str | bytes, max_age: int | None = None,
        return_timestamp: Literal[True] = True,
    ) -> tuple[bytes, datetime]: ...

    def unsign(
        self, signed_value: str | bytes, max_age: int | None = None,
        return_timestamp: bool = False,
    ) -> tuple[bytes, datetime] | bytes:
        # itsdangerous fails any future timestamp as "expired"; servers' clocks
        # drift, so check the age here and allow a little negative age.
        value, signed_at = super().unsign(signed_value, None, True)
        if max_age is not None:
            age = self.get_timestamp() - int(signed_at.timestamp())
            if age > max_age:
                raise SignatureExpired(
                    f"signature age {age} > {max_age} seconds",
                    payload=value, date_signed=signed_at,
                )
            if age < -self.skew.total_seconds():
                raise _FutureToken(f"signed {-age} seconds in the future")
        return (value, signed_at) if return_timestamp else value


@dataclass(frozen=True)
class TokenPayload:
    invitation_id: str
    nonce: str
    signed_at: datetime


class TokenExpired(Exception):
    """Internal: the signature is good but too old; the caller words the error."""

    def __init__(self, payload: TokenPayload, expires_at: datetime) -> None:
        super().__init__(f"token signed {payload.signed_at} expired {expires_at}")
        self.payload = payload
        self.expires_at = expires_at


class TokenSigner:
    """Signs and checks ``(invitation id, nonce)`` tokens for one purpose (salt)."""

    def __init__(
        self,
        secret_keys: str | bytes | Sequence[str | bytes],
        *,
        salt: str = INVITATION_SALT,
        max_age: timedelta,
        clock: Clock | None = None,
        skew: timedelta = DEFAULT_SKEW,
    ) -> None:
        keys = check_secret_keys(secret_keys)
        self.clock = clock or SystemClock()
        self.max_age = max_age
        # Configuration lists keys newest first; itsdangerous signs with the last.
        self._serializer = URLSafeTimedSerializer(
            list(reversed(keys)),
            salt=salt,
            signer=_ClockSigner,
            signer_kwargs={"clock": self.clock, "skew": skew},
        )

    def sign(self, invitation_id: str, nonce: str) -> str:
        token = self._serializer.dumps([invitation_id, nonce])
        assert isinstance(token, str)
        return token

    def load(self, token: str) -> TokenPayload:
        """Check ``token``; raise :class:`TokenExpired`, ``TokenTampered`` or ``TokenMalformed``."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN:
            raise TokenMalformed("not a token of a plausible length")
        token = token.strip()
        if not _TOKEN_SHAPE.fullmatch(token):
            raise TokenMalformed("not shaped like an invitation token")
        if not _canonical(token):
            # base64 leaves spare bits in a segment's last character; a changed
            # spare bit decodes to the same bytes, so insist on the one spelling.
            raise TokenTampered("not the canonical encoding of a token")
        max_age = int(self.max_age.total_seconds())
        try:
            data, signed_at = self._serializer.loads(token, max_age=max_age,
                                                     return_timestamp=True)
        except SignatureExpired as exc:  # before BadSignature: it is a subclass
            payload = self._payload(exc.payload, exc.date_signed)
            signed = payload.signed_at
            raise TokenExpired(payload, signed + self.max_age) from None
        except _FutureToken as exc:
            raise TokenTampered(str(exc)) from None
        except BadSignature:
            raise TokenTampered("signature does not match any configured key") from None
        except BadData:
            raise TokenMalformed("the token's content cannot be decoded") from None
        return self._payload_from_data(data, signed_at)

    def _payload(self, raw: object, signed_at: datetime | None) -> TokenPayload:
        if not isinstance(raw, bytes) or signed_at is None:
            raise TokenMalformed("expired token without a readable payload")
        try:
            data = self._serializer.load_payload(raw)
        except BadData:
            raise TokenMalformed("the token's content cannot be decoded") from None
        return self._payload_from_data(data, signed_at)

    @staticmethod
    def _payload_from_data(data: object, signed_at: datetime) -> TokenPayload:
        if (
            not isinstance(data, list)
            or len(data) != 2
            or not all(isinstance(part, str) and part for part in data)
        ):
            raise TokenMalformed("the token's content is not an invitation reference")
        return TokenPayload(data[0], data[1], signed_at.astimezone(UTC))
