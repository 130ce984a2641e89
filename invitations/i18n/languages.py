"""The toolkit's languages: which there are, what they are called, and how a
text given in every language is read.

This module imports nothing else of the toolkit, so that the error hierarchy
and the catalog loader can both stand on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "LOCALES", "TIMEZONE", "Reason", "localized"]

#: Every supported language, in the document's order: Finnish, Swedish, English.
LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")

#: Each language's name in itself, as a language switch shows it.
LANGUAGE_NAMES: Mapping[str, str] = {"fi": "Suomi", "sv": "Svenska", "en": "English"}

#: Babel locale per language: Finnish-style dates for Finnish and Swedish readers.
LOCALES: Mapping[str, str] = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}

#: Every time a person reads is Finnish time.
TIMEZONE = ZoneInfo("Europe/Helsinki")

#: A text in every language: ``{"fi": ..., "sv": ..., "en": ...}``.
Reason = Mapping[str, str]


def localized(table: Mapping[str, str], lang: str) -> str:
    """``table``'s text for ``lang``, or the English one when ``lang`` has none."""
    return table.get(lang) or table["en"]
