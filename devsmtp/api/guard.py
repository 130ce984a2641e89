"""Refuse what a browser page on another origin, or a DNS-rebinding name, could send.

* Only ``Host`` names this devsmtp serves are answered (421 otherwise): its bound host,
  ``localhost``, ``127.0.0.1``, ``[::1]`` and ``Settings.allowed_hosts``. When bound to
  every address (``0.0.0.0``/``::``), IP literals are served too: a rebinding attack
  needs a name.
* A state-changing request (anything but GET/HEAD/OPTIONS) with ``Sec-Fetch-Site``
  other than ``same-origin``/``none``, or an ``Origin`` that is not this server, is
  refused (403). Scripts and the CLI send neither header.
* JSON bodies must say so (415, see ``routes._json_body``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import CrossSiteRefused, DevSMTPError, HostNotAllowed
from ..settings import LOOPBACK, Settings

__all__ = ["RequestGuard", "host_name"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WILDCARD = frozenset({"", "0.0.0.0", "::"})


def host_name(value: str) -> str:
    """``Host``-header or URL authority without its port, brackets and case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class RequestGuard:
    """ASGI middleware: the host and cross-site checks above, before anything else."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        bound = host_name(settings.http_host)
        self.any_ip = bound in WILDCARD
        self.hosts = frozenset({*LOOPBACK, bound, *(host_name(h) for h in settings.allowed_hosts)})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1")
                       for k, v in scope.get("headers", [])}
            problem = self._problem(scope, headers)
            if problem is not None:
                answer = JSONResponse(problem.to_dict(), status_code=problem.status_code)
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope, headers: dict[str, str]) -> DevSMTPError | None:
        host = headers.get("host")
        if host is not None and not self.serves(host_name(host)):
            return HostNotAllowed()
        if scope.get("method", "GET") in SAFE_METHODS:
            return None
        site = headers.get("sec-fetch-site")
        if site is not None and site.lower() not in ("same-origin", "none"):
            return CrossSiteRefused(site[:40])
        origin = headers.get("origin")
        if origin is not None and not self._same_origin(origin, host):
            return CrossSiteRefused(origin[:100])
        return None

    def serves(self, name: str) -> bool:
        return name in self.hosts or (self.any_ip and _is_ip(name))

    @staticmethod
    def _same_origin(origin: str, host: str | None) -> bool:
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or host is None:
            return False
        return parts.netloc.lower() == host.strip().lower()
