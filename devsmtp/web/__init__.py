"""devsmtp's web inbox: the HTML pages QA people read captured mail in.

The HTTP app mounts :func:`routes` beside the JSON API. The list page is
filled by a script from the JSON API (``/api/messages``, ``/api/events``);
the message page, the invitation panel and the sandboxed preview are
rendered here.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..store import Store
from .invitation import InvitationChecker
from .pages import InboxPages, WebConfig
from .source import StoreSource

__all__ = ["STATIC", "routes", "web_config"]

STATIC = Path(__file__).resolve().parent / "static"


def _secret_keys(value: object) -> list[str]:
    if isinstance(value, str):  # "new,old", as INVITATIONS_SECRET_KEYS holds them
        return [key.strip() for key in value.split(",") if key.strip()]
    if isinstance(value, list | tuple):
        return [str(key) for key in value if key]
    return []


def _option(settings: Any, name: str) -> Any:
    web = getattr(settings, "web", None)
    if isinstance(web, dict) and web.get(name) is not None:
        return web[name]
    return getattr(settings, name, None)


def web_config(settings: Any) -> WebConfig:
    """Read the inbox's options from ``settings.web`` (a dict) or ``settings`` itself.

    Options: ``secret_keys`` (``"new,old"`` or a list; else the environment's
    ``INVITATIONS_SECRET_KEYS``), ``invitations_db`` (the service's SQLite file),
    ``invitation_validity`` (timedelta, default 7 days), ``invitation_languages``
    (default fi, sv, en) and ``clock`` (an object with ``now()``, e.g. an
    ``invitations.clock.Clock``).
    """
    keys = _secret_keys(_option(settings, "secret_keys")
                        or os.environ.get("INVITATIONS_SECRET_KEYS", ""))
    validity = _option(settings, "invitation_validity") or timedelta(days=7)
    languages = _option(settings, "invitation_languages") or ("fi", "sv", "en")
    checker = InvitationChecker(keys, _option(settings, "invitations_db"), validity=validity,
                                clock=_option(settings, "clock"))
    return WebConfig(checker=checker, invitation_languages=tuple(languages))


def routes(store: Store, settings: Any) -> list[BaseRoute]:
    """The inbox's routes: ``/``, ``/messages/{id}`` (+ preview, downloads), ``/static``."""
    pages = InboxPages(StoreSource(store), web_config(settings))
    return [
        Route("/", pages.inbox, name="inbox"),
        Route("/sessions", pages.sessions, name="sessions"),
        Route("/messages/{message_id}", pages.message, name="message"),
        Route("/messages/{message_id}/preview", pages.preview, name="message_preview"),
        Route("/messages/{message_id}/message.eml", pages.eml, name="message_eml"),
        Route("/messages/{message_id}/attachments/{index:int}", pages.attachment,
              name="message_attachment"),
        Mount("/static", StaticFiles(directory=STATIC), name="inbox_static"),
    ]
