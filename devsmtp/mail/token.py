"""Peek into an invitation token without its key: who, when signed, until when.

The signature is *not* checked here (whoever reads a captured mail has no
business holding the service's keys); the inbox panel checks it separately
when it is given the keys.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int
from itsdangerous.exc import BadData

__all__ = ["MAX_PAYLOAD", "MAX_TOKEN_LENGTH", "InvitationToken", "TokenUnreadable", "peek_token"]

#: Invitation tokens are well under 300 characters; anything this long is not one.
MAX_TOKEN_LENGTH = 2048
#: At most this many bytes are inflated from a compressed payload (a zlib bomb stops here).
MAX_PAYLOAD = 8192


class TokenUnreadable(ValueError):
    """The text is not an itsdangerous timed token."""


@dataclass(frozen=True)
class InvitationToken:
    """What an invitation token says without its key: who, when signed, until when."""

    id: str
    payload: Any
    signed_at: datetime
    expires_at: datetime


def _compact(data: bytes) -> list[str] | None:
    """The payload of a compact token (invitations' short links), or None.

    Version 1: ``0x01 | invitation id (16 bytes, shown as hex) | nonce (8 bytes)``;
    version 2: ``0x02 | id length | id (UTF-8) | nonce (UTF-8)``. Both read as
    ``[id, nonce]``, the shape of the older JSON payload.
    """
    if data[:1] == b"\x01" and len(data) == 25:
        return [data[1:17].hex(), base64_encode(data[17:]).decode("ascii")]
    if data[:1] == b"\x02" and len(data) > 2 + data[1]:
        end = 2 + data[1]
        return [data[2:end].decode("utf-8"), data[end:].decode("utf-8")]
    return None


def _inflate(data: bytes) -> bytes:
    """``data`` decompressed, refusing more than :data:`MAX_PAYLOAD` bytes of output."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, MAX_PAYLOAD)
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError(f"the compressed payload is cut or inflates beyond {MAX_PAYLOAD} bytes")
    return out


def peek_token(token: str, validity_days: float = 7) -> InvitationToken:
    """Read an itsdangerous timed token's payload and timestamp without its key.

    Raises :class:`TokenUnreadable` when ``token`` is not such a token: also when it
    is longer than :data:`MAX_TOKEN_LENGTH`, inflates beyond :data:`MAX_PAYLOAD` or
    nests too deep to decode.
    """
    compressed = token.startswith(".")
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError(f"{len(token)} characters is too long for an invitation token")
        payload_b64, ts_b64, _sig = token.lstrip(".").rsplit(".", 2)
        data = base64_decode(payload_b64)
        payload = (None if compressed else _compact(data)) or json.loads(
            _inflate(data) if compressed else data)
        signed = datetime.fromtimestamp(bytes_to_int(base64_decode(ts_b64)), UTC)
    except (ValueError, zlib.error, BadData, OverflowError, OSError, RecursionError) as exc:
        raise TokenUnreadable(
            f"token {token[:40]!r}... is not an itsdangerous token: {str(exc)[:200]}") from None
    if isinstance(payload, Mapping):
        ident = next((payload[k] for k in ("id", "invitation_id", "i") if k in payload), "")
    elif isinstance(payload, Sequence) and not isinstance(payload, str) and payload:
        ident = payload[0]
    else:
        ident = payload
    return InvitationToken(str(ident), payload, signed, signed + timedelta(days=validity_days))
