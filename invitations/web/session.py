"""A small signed-cookie session and the CSRF token bound to it.

The session keeps the invitation token out of the address bar: the first GET
moves it here and redirects to a token-less URL. The cookie is signed (not
encrypted: it holds nothing the person does not already have in their mail),
``HttpOnly`` and ``SameSite=Lax`` so that the link from the e-mail (a
cross-site top-level navigation) still carries it.
"""

from __future__ import annotations

import base64
import hashlib
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

    def csrf_token(self, purpose: str = "form", subject: str = "") -> str:
        """The CSRF token of one form: bound to what it is for (``purpose``) and to what
        it acts on (``subject``, e.g. the invitation's id), so that a form shown for one
        invitation can never be sent for another. The session's secret is created on
        first use and replaced by :meth:`renew_csrf`."""
        secret = self.data.get("csrf")
        if not isinstance(secret, str):
            secret = secrets.token_urlsafe(32)
            self.set("csrf", secret)
        return _bound(secret, purpose, subject)

    def csrf_matches(self, submitted: str | None, purpose: str = "form",
                     subject: str = "") -> bool:
        """Constant-time comparison of a submitted token with this session's token for
        ``purpose`` and ``subject``."""
        secret = self.data.get("csrf")
        if not isinstance(secret, str) or not submitted:
            return False
        expected = _bound(secret, purpose, subject)
        return hmac.compare_digest(expected.encode(), submitted.encode())

    def renew_csrf(self) -> None:
        """Forget the CSRF secret: every form shown before stops working."""
        self.pop("csrf")


def _bound(secret: str, purpose: str, subject: str) -> str:
    message = f"{purpose}\x00{subject}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


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
