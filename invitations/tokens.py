"""Signed, timestamped link tokens (itsdangerous), read through an injectable clock.

A token carries only an invitation id and a per-issue nonce: links end up in
logs, proxies and mail scanners, so they must not reveal who was invited.
The store keeps only a hash of the nonce (:func:`hash_nonce`), so a leaked
key alone mints no working link.

Two token formats, both ``payload "." timestamp "." signature`` signed by
itsdangerous's ``TimestampSigner`` with the same keys, salts and rotation:

* **compact** (what :meth:`TokenSigner.sign` writes): the payload is binary,
  URL-safe base64 without padding; its first byte is the format version.

  - version 1 (``0x01``): ``0x01 | id (16 bytes) | nonce (8 bytes)``, for an
    id of 32 lowercase hex digits (a UUID's ``.hex``, what the service makes)
    and a nonce of 8 bytes written as 11 URL-safe base64 characters
    (:func:`new_nonce`). 25 bytes: the payload segment is 34 characters and
    starts with ``A``.
  - version 2 (``0x02``): ``0x02 | len(id) (1 byte) | id (UTF-8) | nonce (UTF-8)``,
    for any other id or nonce.

  The timestamp is itsdangerous's (big-endian seconds, base64) and the
  signature HMAC-SHA1 (20 bytes), so a registration link on
  ``https://portal.example.fi`` is 110 characters.
* **legacy** (before compact tokens): itsdangerous's ``URLSafeTimedSerializer``
  of the JSON list ``[id, nonce]``; its payload segment starts with ``W`` (``[``)
  or, compressed, the token with ``.``. Such links keep working until they expire.

:func:`peek_payload` decodes either without a key (nothing is verified).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast, overload

from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int
from itsdangerous.timed import TimestampSigner

from invitations.clock import Clock, SystemClock
from invitations.errors import ConfigurationError, TokenMalformed, TokenTampered, WeakSecretKey

INVITATION_SALT = "invitations.invitation.v1"
CONFIRMATION_SALT = "invitations.confirm-email.v1"
#: Keys shorter than this are refused: HMAC-SHA1 keys should carry >= 256 bits.
MIN_KEY_BYTES = 32
#: Fewer different bytes than this is not a random key (``"a" * 64``, ``"abab..."``).
#: Not 16: a random hex key (``openssl rand -hex 32``) has fewer than 16 of its 16
#: possible characters one time in four, but fewer than 8 practically never (< 1e-6).
MIN_KEY_DISTINCT_BYTES = 8


def _repeats(key: bytes) -> bool:
    """True for a key that is one shorter text written again and again (``"secret" * 6``)."""
    return (key + key).find(key, 1) < len(key)
#: A token signed this far in the future (servers' clocks disagree) is still accepted.
DEFAULT_SKEW = timedelta(seconds=60)

# payload "." timestamp "." signature, base64url; a leading "." marks compression.
_TOKEN_SHAPE = re.compile(r"\.?[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+")
_MAX_TOKEN = 512


#: Random bytes in a nonce: beside the signature, 64 bits are plenty (see the module doc).
NONCE_BYTES = 8
COMPACT_V1, COMPACT_V2 = 1, 2
_HEX_ID = re.compile(r"[0-9a-f]{32}")


def new_nonce() -> str:
    """A fresh random nonce: 8 bytes as 11 URL-safe base64 characters."""
    return secrets.token_urlsafe(NONCE_BYTES)


def _packed_nonce(nonce: str) -> bytes | None:
    """The nonce's 8 bytes if it is exactly :func:`new_nonce`'s spelling of them."""
    if len(nonce) != 11:
        return None
    try:
        raw = base64_decode(nonce)
    except BadData:
        return None
    return raw if len(raw) == NONCE_BYTES and base64_encode(raw).decode() == nonce else None


def encode_payload(invitation_id: str, nonce: str) -> bytes:
    """The compact payload's bytes (version 1 when it fits, else version 2)."""
    packed = _packed_nonce(nonce)
    if packed is not None and _HEX_ID.fullmatch(invitation_id):
        return bytes((COMPACT_V1,)) + bytes.fromhex(invitation_id) + packed
    ident = invitation_id.encode("utf-8")
    if len(ident) > 255:
        raise ValueError("an invitation id in a token is at most 255 bytes")
    return bytes((COMPACT_V2, len(ident))) + ident + nonce.encode("utf-8")


def decode_payload(raw: bytes) -> tuple[str, str]:
    """``(invitation id, nonce)`` of a compact payload; ``ValueError`` if it is none."""
    if raw[:1] == bytes((COMPACT_V1,)) and len(raw) == 1 + 16 + NONCE_BYTES:
        return raw[1:17].hex(), base64_encode(raw[17:]).decode("ascii")
    if raw[:1] == bytes((COMPACT_V2,)) and len(raw) >= 2:
        end = 2 + raw[1]
        ident, nonce = raw[2:end].decode("utf-8"), raw[end:].decode("utf-8")
        if len(raw) >= end and ident and nonce:
            return ident, nonce
    raise ValueError("not a compact invitation token payload")


@dataclass(frozen=True)
class PeekedToken:
    """What a token says without its key: format, invitation id, signing time."""

    format: str  # "compact-v1", "compact-v2" or "legacy"
    invitation_id: str
    signed_at: datetime


def peek_payload(token: str) -> PeekedToken:
    """Decode ``token`` *without* checking its signature (for QA tools and logs).

    Raises ``ValueError`` when it is not an invitation token of either format.
    """
    try:
        payload, stamp, _signature = token.strip().split(".")[-3:]
        compressed = token.strip().startswith(".")
        raw = base64_decode(payload)
        signed_at = datetime.fromtimestamp(bytes_to_int(base64_decode(stamp)), UTC)
        if not compressed and raw[:1] in (bytes((COMPACT_V1,)), bytes((COMPACT_V2,))):
            ident, _nonce = decode_payload(raw)
            version = "compact-v1" if raw[0] == COMPACT_V1 else "compact-v2"
            return PeekedToken(version, ident, signed_at)
        data = json.loads(zlib.decompress(raw) if compressed else raw)
    except (BadData, ValueError, zlib.error, OverflowError, OSError) as exc:
        raise ValueError(f"not an invitation token: {exc}") from None
    if not isinstance(data, list) or len(data) != 2 or not isinstance(data[0], str):
        raise ValueError("not an invitation token: unexpected legacy payload")
    return PeekedToken("legacy", data[0], signed_at)


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
        if len(set(key)) < MIN_KEY_DISTINCT_BYTES or _repeats(key):
            raise WeakSecretKey(position, MIN_KEY_BYTES, MIN_KEY_DISTINCT_BYTES)
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
        # The very signer the serializer uses: same keys, salt, rotation and clock.
        self._signer = cast(_ClockSigner, self._serializer.make_signer())

    def sign(self, invitation_id: str, nonce: str) -> str:
        """A compact token for ``(invitation_id, nonce)`` (see the module doc)."""
        payload = base64_encode(encode_payload(invitation_id, nonce))
        return self._signer.sign(payload).decode("ascii")

    def sign_legacy(self, invitation_id: str, nonce: str) -> str:
        """A token in the format used before compact tokens (for tests of old links)."""
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
        # A compact payload's first byte is a small version number: base64 "A".
        compact = token[0] == "A"
        max_age = int(self.max_age.total_seconds())
        try:
            if compact:
                value, signed_at = self._signer.unsign(token, max_age=max_age,
                                                       return_timestamp=True)
                return self._compact_payload(value, signed_at)
            data, signed_at = self._serializer.loads(token, max_age=max_age,
                                                     return_timestamp=True)
        except SignatureExpired as exc:  # before BadSignature: it is a subclass
            payload = self._payload(exc.payload, exc.date_signed, compact=compact)
            raise TokenExpired(payload, payload.signed_at + self.max_age) from None
        except _FutureToken as exc:
            raise TokenTampered(str(exc)) from None
        except BadSignature:
            raise TokenTampered("signature does not match any configured key") from None
        except BadData:
            raise TokenMalformed("the token's content cannot be decoded") from None
        return self._payload_from_data(data, signed_at)

    @staticmethod
    def _compact_payload(value: bytes, signed_at: datetime) -> TokenPayload:
        try:
            invitation_id, nonce = decode_payload(base64_decode(value))
        except (BadData, ValueError):
            raise TokenMalformed("the token's content is not an invitation reference") from None
        return TokenPayload(invitation_id, nonce, signed_at.astimezone(UTC))

    def _payload(self, raw: object, signed_at: datetime | None, *, compact: bool
                 ) -> TokenPayload:
        if not isinstance(raw, bytes) or signed_at is None:
            raise TokenMalformed("expired token without a readable payload")
        if compact:
            return self._compact_payload(raw, signed_at)
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
