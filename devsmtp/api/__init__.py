"""The JSON API under ``/api`` (Starlette): routes, message detail, release.

:func:`create_app` builds the whole HTTP app (the API plus the web inbox's
routes); ``openapi.json`` beside this file describes every route.
"""

from __future__ import annotations

from .routes import ApiContext, create_app, routes

__all__ = ["ApiContext", "create_app", "routes"]
