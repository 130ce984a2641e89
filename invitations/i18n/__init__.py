"""Languages, catalogs and formatting: the one translation path of the toolkit.

- :mod:`~invitations.i18n.languages`: the one list of languages and their names,
  the Babel locales and the time zone people read times in.
- :mod:`~invitations.i18n.catalogs`: the one strict ``.po`` loader and its gate
  (every domain: ``messages`` for mail, ``web`` for pages, ``errors`` ...).
- :mod:`~invitations.i18n.runtime`: compiled catalogs per language and
  domain (:func:`language`), loaded once per process.
- :mod:`~invitations.i18n.formatting`: dates and times in Finnish time.
- :mod:`~invitations.i18n.labels`: field names for people.
- :mod:`~invitations.i18n.negotiation`: choosing a page's language.

Names are loaded on first use, so that the error hierarchy can import the
low modules (languages, labels, formatting) without loading Babel's catalog
machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from invitations.errors import CatalogError
    from invitations.i18n.catalogs import DEFAULT_DOMAIN, read_catalog
    from invitations.i18n.checks import message_problems, placeholders
    from invitations.i18n.formatting import format_time
    from invitations.i18n.labels import FIELD_LABELS, field_label
    from invitations.i18n.languages import (
        LANGUAGE_NAMES,
        LANGUAGES,
        LOCALES,
        TIMEZONE,
        Reason,
        localized,
    )
    from invitations.i18n.negotiation import negotiate
    from invitations.i18n.runtime import (
        Language,
        babel_locale,
        catalog_path,
        clear_cache,
        language,
        preload,
        template_path,
        translations,
    )

_LAZY: dict[str, str] = {
    "CatalogError": "invitations.errors",
    "DEFAULT_DOMAIN": "invitations.i18n.catalogs",
    "read_catalog": "invitations.i18n.catalogs",
    "message_problems": "invitations.i18n.checks",
    "placeholders": "invitations.i18n.checks",
    "format_time": "invitations.i18n.formatting",
    "FIELD_LABELS": "invitations.i18n.labels",
    "field_label": "invitations.i18n.labels",
    "LANGUAGES": "invitations.i18n.languages",
    "LANGUAGE_NAMES": "invitations.i18n.languages",
    "LOCALES": "invitations.i18n.languages",
    "TIMEZONE": "invitations.i18n.languages",
    "Reason": "invitations.i18n.languages",
    "localized": "invitations.i18n.languages",
    "negotiate": "invitations.i18n.negotiation",
    "Language": "invitations.i18n.runtime",
    "babel_locale": "invitations.i18n.runtime",
    "catalog_path": "invitations.i18n.runtime",
    "clear_cache": "invitations.i18n.runtime",
    "language": "invitations.i18n.runtime",
    "preload": "invitations.i18n.runtime",
    "template_path": "invitations.i18n.runtime",
    "translations": "invitations.i18n.runtime",
}

__all__ = [
    "DEFAULT_DOMAIN",
    "FIELD_LABELS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALES",
    "TIMEZONE",
    "CatalogError",
    "Language",
    "Reason",
    "babel_locale",
    "catalog_path",
    "clear_cache",
    "field_label",
    "format_time",
    "language",
    "localized",
    "message_problems",
    "negotiate",
    "placeholders",
    "preload",
    "read_catalog",
    "template_path",
    "translations",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
