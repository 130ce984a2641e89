"""Checks of a captured message for its reader: HTML compatibility, links, spam score.

- :func:`html_compatibility` (``compat``): caniemail.com data (a vendored
  snapshot, offline) applied to the HTML part, a score per client family and
  the unsupported features with their source lines.
- :func:`check_links` (``links``): every link and image, whether it is under
  the base URL, whether it answers (loopback and allowed hosts only), the
  invitation token's state.
- :func:`spam_score` (``spam``): SpamAssassin's local tests (``spamassassin -L``
  or ``spamc`` to a spamd), the score and the rules hit.

Names are imported lazily (the links check pulls in httpx when it fetches).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compat import CLIENTS, ClientScore, CompatReport, Feature, html_compatibility
    from .links import LinkCheck, LinksReport, TokenChecker, TokenState, check_links
    from .spam import SpamReport, SpamRule, spam_score

_WHERE = {
    "CLIENTS": ".compat",
    "ClientScore": ".compat",
    "CompatReport": ".compat",
    "Feature": ".compat",
    "html_compatibility": ".compat",
    "LinkCheck": ".links",
    "LinksReport": ".links",
    "TokenChecker": ".links",
    "TokenState": ".links",
    "check_links": ".links",
    "SpamReport": ".spam",
    "SpamRule": ".spam",
    "spam_score": ".spam",
}

__all__ = [
    "CLIENTS",
    "ClientScore",
    "CompatReport",
    "Feature",
    "LinkCheck",
    "LinksReport",
    "SpamReport",
    "SpamRule",
    "TokenChecker",
    "TokenState",
    "check_links",
    "html_compatibility",
    "spam_score",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module 'devsmtp.checks' has no attribute {name!r}")
