"""Texts for people outside the mail and the pages: errors, field names, CLI lines.

They live in the gettext domain ``errors``
(``locales/<lang>/LC_MESSAGES/errors.po``, template ``locales/errors.pot``),
loaded through the one loader, :func:`invitations.i18n.runtime.language`, so
the same gate (complete, no fuzzy entry, placeholders as in the msgid, not
stale against the ``.pot``) guards them as the mail's and the pages' catalogs.

The msgid is the English text, with ``%(name)s`` placeholders (newstyle
gettext, as in the other domains). Sources mark a msgid with :func:`T_`
(the extraction keyword; Babel's default keywords are left to the
``messages`` domain) and word it for a reader with
:class:`~invitations.i18n.formatting.Text`.

English never needs a catalog: it is the msgid itself. A language whose
``errors`` catalog is missing or broken falls back to English, so the
:class:`~invitations.errors.CatalogError` that says so can always be worded,
also about ``errors.po`` itself. Catalogs are imported lazily, on the first
non-English text, so :mod:`invitations.errors` does not load them at import.
"""

from __future__ import annotations

import threading

from invitations.i18n.languages import LANGUAGES

__all__ = ["DOMAIN", "T_", "translate"]

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
        # The one call-time import upwards (the layer contract lists it): the loader
        # of every catalog raises errors whose own texts come through here.
        from invitations.i18n.runtime import language

        try:
            return language(lang, DOMAIN).gettext(msgid)
        except Exception:
            return msgid
    finally:
        _loading.active = False
