"""Who may use the operator pages: the host application decides.

``create_app(..., operators=...)`` takes a callable that gets the request and
returns the operator (an :class:`~invitations.models.Inviter`) or ``None``. If
it has a ``challenge`` attribute, a refused request is answered ``401`` with that
``WWW-Authenticate`` value (the browser asks for credentials), else ``403``.

:class:`BasicOperators` is such a callable for HTTP Basic authentication against
a fixed table (the demo's operator; tests).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping

from starlette.requests import Request

from invitations.models import Inviter, Role

__all__ = ["BasicOperators", "OperatorAuth"]

#: The host's check: the request's operator, or ``None``.
OperatorAuth = Callable[[Request], Inviter | None]


class BasicOperators:
    """HTTP Basic authentication for operators: ``{username: (password, name)}``."""

    challenge = 'Basic realm="Posti customer service", charset="UTF-8"'

    def __init__(self, table: Mapping[str, tuple[str, str]]) -> None:
        # Only digests are kept, compared in constant time.
        self._table = {user: (_digest(password), name) for user, (password, name)
                       in table.items()}

    def __call__(self, request: Request) -> Inviter | None:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        known = self._table.get(user)
        # Compare against something even for an unknown user (no timing difference).
        expected = known[0] if known else _digest("\x00unknown")
        if not hmac.compare_digest(expected, _digest(password)) or known is None:
            return None
        return Inviter(user, known[1], Role.OPERATOR)


def _digest(password: str) -> bytes:
    return hashlib.sha256(password.encode()).digest()
