"""Texts for people outside the mail and the pages: errors, field names, CLI lines.

They live in the gettext domain ``errors``
(``locales/<lang>/LC_MESSAGES/errors.po``, template ``locales/errors.pot``),
loaded through the one loader, :func:`invitations.i18n.runtime.language`, so
the same gate (complete, no fuzzy entry, placeholders as in the msgid, not
stale against the ``.pot``) guards them as the mail's and the pages' catalogs.

The msgid is the English text, with ``%(name)s`` placeholders (newstyle
gettext, as in the other domains). Sources mark a msgid with :func:`T_`
(the extraction keyword; Babel's default keywords are left to the
``messages`` domain) and word it for a reader with :class:`Text`.

English never needs a catalog: it is the msgid itself. A language whose
``errors`` catalog is missing or broken falls back to English, so the
:class:`~invitations.errors.CatalogError` that says so can always be worded,
also about ``errors.po`` itself. Catalogs are imported lazily, on the first
non-English text, so :mod:`invitations.errors` does not load them at import.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime

from invitations.i18n.languages import LANGUAGES, localized

__all__ = ["DOMAIN", "T_", "Text", "translate", "worded"]

#: The gettext domain of these texts.
DOMAIN = "errors"

_loading = threading.local()


def T_(msgid: str) -> str:
    """Mark ``msgid`` for the ``errors`` catalog; returns it unchanged (English)."""
    return msgid


def translate(msgid: str, lang: str) -> str:
    """``msgid`` in ``lang`` from the ``errors`` catalog, or ``msgid`` (English)."""
    if lang == "en" or lang not in LANGUAGES or getattr(_loading, "active", False):
        return msgid
    _loading.active = True  # a CatalogError raised while loading words itself in English
    try:
        from invitations.errors import InvitationError
        from invitations.i18n.runtime import language

        try:
            return language(lang, DOMAIN).gettext(msgid)
        except (InvitationError, OSError, ValueError):
            return msgid  # the catalog is broken: its CatalogError fails start-up (preload)
    finally:
        _loading.active = False


def worded(value: object, lang: str) -> object:
    """A parameter as a ``lang`` reader sees it: texts translated, times in Finnish time."""
    if isinstance(value, Text):
        return value.message(lang)
    if isinstance(value, datetime):
        from invitations.i18n.formatting import format_time

        return format_time(value, lang)
    if isinstance(value, Mapping) and value and set(value) <= set(LANGUAGES):
        return localized(value, lang)  # a text given ready in every language
    return value


class _Values(dict[str, object]):
    """Parameters for ``%``; a field nobody gave shows as itself, not a crash."""

    def __missing__(self, key: str) -> str:
        return f"%({key})s"


class Text:
    """A msgid of the ``errors`` domain and its parameters, worded on demand.

    ``Text("line %(line)s", line=3).message("fi")`` is ``"rivi 3"``; a parameter
    may itself be a :class:`Text` (worded in the same language) or a datetime.
    """

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, /, **params: object) -> None:
        self.msgid = msgid
        self.params: dict[str, object] = params

    def message(self, lang: str = "en") -> str:
        values = _Values({key: worded(value, lang) for key, value in self.params.items()})
        try:
            return translate(self.msgid, lang) % values
        except (KeyError, ValueError, TypeError):  # a slip the gate did not see: English
            return self.msgid % values

    def __str__(self) -> str:
        return self.message("en")

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Text) and other.msgid == self.msgid
                and other.params == self.params)

    def __hash__(self) -> int:
        return hash(self.msgid)
