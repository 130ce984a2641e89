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

from invitations.config import parse_secret_keys

from .invitation import InvitationChecker
from .pages import InboxPages, WebConfig
from .source import store_loader

__all__ = ["STATIC", "routes", "web_config"]

STATIC = Path(__file__).resolve().parent / "static"


def _secret_keys(value: object) -> list[str]:
    if isinstance(value, str):
        return list(parse_secret_keys(value))
    if isinstance(value, list | tuple):
        return [str(key) for key in value if key]
    return []


def web_config(settings: Any) -> WebConfig:
    """Read the inbox's options from devsmtp's settings (missing ones: defaults)."""
    keys = _secret_keys(getattr(settings, "secret_keys", None)
                        or os.environ.get("INVITATIONS_SECRET_KEYS", ""))
    database = getattr(settings, "invitations_db", None)
    validity = getattr(settings, "invitation_validity", None) or timedelta(days=7)
    languages = getattr(settings, "invitation_languages", None) or ("fi", "sv", "en")
    checker = InvitationChecker(keys, database, validity=validity,
                                clock=getattr(settings, "clock", None))
    return WebConfig(checker=checker, invitation_languages=tuple(languages))


def routes(store: Any, settings: Any) -> list[BaseRoute]:
    """The inbox's routes: ``/``, ``/messages/{id}`` (+ preview, downloads), ``/static``."""
    pages = InboxPages(store_loader(store), web_config(settings))
    return [
        Route("/", pages.inbox, name="inbox"),
        Route("/messages/{message_id}", pages.message, name="message"),
        Route("/messages/{message_id}/preview", pages.preview, name="message_preview"),
        Route("/messages/{message_id}/message.eml", pages.eml, name="message_eml"),
        Route("/messages/{message_id}/attachments/{index:int}", pages.attachment,
              name="message_attachment"),
        Mount("/static", StaticFiles(directory=STATIC), name="inbox_static"),
    ]
