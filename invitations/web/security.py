"""Security headers on every response of the registration pages, and the host
allow-list."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invitations.i18n.runtime import language
from invitations.web.pages import DOMAIN
from invitations.web.views import N_

#: No scripts at all, styles only from our own stylesheet, forms post only to us.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # The token must never leak to another site through the Referer header.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` and ``Cache-Control: no-store`` to HTTP responses.

    ``no-store`` keeps pages that show personal data or carry a CSRF token out
    of shared and back-button caches; static files keep their own caching.
    """

    def __init__(self, app: ASGIApp, *, static_prefix: str = "/static/") -> None:
        self.app = app
        self.static_prefix = static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = str(scope.get("path", "")).startswith(
            str(scope.get("root_path", "")) + self.static_prefix
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not is_static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: The answer to a request for another site's name.
UNKNOWN_HOST = N_("This address is not served here. Check the address of the page.")


class HostAllowList:
    """Answer ``400`` to a request whose ``Host`` is not one of ``hosts`` (names, or
    ``name:port``), before any page runs: links and redirects are built from the Host
    header, so a forged one must not reach them. The answer names the problem in
    every language of the pages (it comes before the visitor's language is known)."""

    def __init__(self, app: ASGIApp, *, hosts: Sequence[str], languages: Sequence[str]
                 ) -> None:
        self.app = app
        self.hosts = frozenset(h.strip().lower() for h in hosts if h.strip())
        body = "".join(f'<p lang="{lang}">{language(lang, DOMAIN).gettext(UNKNOWN_HOST)}</p>'
                       for lang in languages)
        self.page = f"<!doctype html><title>400</title>{body}".encode()

    def allowed(self, host: str) -> bool:
        host = host.strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return host in self.hosts or name in self.hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope.get("headers") or ()).get(b"host", b"").decode("latin-1")
            if not self.allowed(host):
                headers = [(b"content-type", b"text/html; charset=utf-8"),
                           *((k.lower().encode(), v.encode())
                             for k, v in SECURITY_HEADERS.items()),
                           (b"cache-control", b"no-store")]
                await send({"type": "http.response.start", "status": 400,
                            "headers": headers})
                await send({"type": "http.response.body", "body": self.page})
                return
        await self.app(scope, receive, send)

