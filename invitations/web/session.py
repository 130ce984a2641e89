"""A small signed-cookie session and the CSRF token bound to it.

The session keeps the invitation token out of the address bar: the first GET
moves it here and redirects to a token-less URL. The cookie is signed (not
encrypted: it holds nothing the person does not already have in their mail),
``HttpOnly`` and ``SameSite=Lax`` so that the link from the e-mail (a
cross-site top-level navigation) still carries it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE_NAME = "invitations_session"
#: Long enough to fill in the form at leisure; the invitation's own expiry still applies.
DEFAULT_MAX_AGE = 12 * 60 * 60


@dataclass
class Session:
    """What one browser is doing: its invitation token, CSRF secret and last outcome."""

    data: dict[str, Any] = field(default_factory=dict)
    #: True when :meth:`SessionCodec.save` must send a new cookie.
    modified: bool = False

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any) -> None:
        if self.data.get(key) != value:
            self.data[key] = value
            self.modified = True

    def pop(self, key: str) -> Any:
        if key in self.data:
            self.modified = True
        return self.data.pop(key, None)

    def csrf_token(self) -> str:
        """The session's CSRF token, created on first use."""
        token = self.data.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            self.set("csrf", token)
        return token

    def csrf_matches(self, submitted: str | None) -> bool:
        """Constant-time comparison of a submitted token with the session's."""
        expected = self.data.get("csrf")
        if not isinstance(expected, str) or not submitted:
            return False
        return hmac.compare_digest(expected.encode(), submitted.encode())


class SessionCodec:
    """Reads and writes :class:`Session` cookies signed with the given keys.

    ``secret_keys`` is newest first, like the service's: the newest signs and
    every key verifies, so rotating keys does not log anyone out.
    """

    def __init__(
        self,
        secret_keys: Sequence[bytes],
        *,
        max_age: int = DEFAULT_MAX_AGE,
        cookie_name: str = COOKIE_NAME,
    ) -> None:
        if not secret_keys:
            raise ValueError("the web session needs at least one secret key")
        # itsdangerous takes its key list oldest first and signs with the last.
        self._serializer = URLSafeTimedSerializer(
            list(reversed(secret_keys)), salt="invitations.web.session"
        )
        self.max_age = max_age
        self.cookie_name = cookie_name

    def load(self, request: Request) -> Session:
        raw = request.cookies.get(self.cookie_name)
        if not raw:
            return Session()
        try:
            data = self._serializer.loads(raw, max_age=self.max_age)
        except BadSignature:
            # A stale or forged cookie is simply no session.
            return Session(modified=True)
        return Session(data if isinstance(data, dict) else {})

    def save(self, request: Request, response: Response, session: Session) -> None:
        """Write the cookie when the session changed (or delete it when empty)."""
        if not session.modified:
            return
        path = request.scope.get("root_path") or "/"
        secure = request.url.scheme == "https"
        if not session.data:
            response.delete_cookie(
                self.cookie_name, path=path, secure=secure, httponly=True, samesite="lax"
            )
            return
        response.set_cookie(
            self.cookie_name,
            self._serializer.dumps(session.data),
            max_age=self.max_age,
            path=path,
            secure=secure,
            httponly=True,
            samesite="lax",
        )
