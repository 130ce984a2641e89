"""Translations and locale formatting, loaded once per process.

Catalogs are the ``.po`` files under :func:`invitations.resources.locales_dir`;
they are compiled in memory with Babel when first needed, so no ``.mo`` file
has to exist in a checkout or a wheel. A configured language whose catalog is
missing or broken is a :class:`CatalogError` at start-up (call :func:`preload`)
— never a silent fall back to English. "Broken" includes what would show a
sentence in English: a message of the domain's ``.pot`` template (beside the
language folders) with no entry, only an obsolete ``#~`` one, a fuzzy entry or
an empty msgstr (any plural form), and an unusable Plural-Forms header. Every
error names ``file:line`` and says what to do, in Finnish, Swedish and English.

Other parts (the web pages) reuse :func:`language` for their own strings,
optionally from their own catalog domain (``locales/<lang>/LC_MESSAGES/<domain>.po``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.support import Translations

from invitations.errors import ConfigurationError
from invitations.i18n.catalogs import DEFAULT_DOMAIN, clear_template_cache, read_catalog
from invitations.i18n.formatting import datetime_pattern
from invitations.i18n.languages import LOCALES, TIMEZONE
from invitations.resources import locales_dir

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "Language",
    "babel_locale",
    "catalog_path",
    "clear_cache",
    "language",
    "preload",
    "template_path",
    "translations",
]

def catalog_path(lang: str, domain: str = DEFAULT_DOMAIN) -> Path:
    """Where the ``.po`` file of ``lang`` and ``domain`` lives."""
    return locales_dir() / lang / "LC_MESSAGES" / f"{domain}.po"


def template_path(domain: str = DEFAULT_DOMAIN) -> Path:
    """Where the ``.pot`` template of ``domain`` lives (beside the language folders)."""
    return locales_dir() / f"{domain}.pot"


@cache
def translations(lang: str, domain: str = DEFAULT_DOMAIN) -> Translations:
    """The compiled catalog of ``lang`` (cached for the life of the process)."""
    path = catalog_path(lang, domain)
    catalog = read_catalog(path, lang, domain, template=template_path(domain))
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


@cache
def babel_locale(lang: str) -> Locale:
    """The Babel locale used to format dates and numbers for ``lang``."""
    try:
        return Locale.parse(LOCALES.get(lang, lang))
    except (ValueError, UnknownLocaleError):
        raise ConfigurationError(
            f"unknown language {lang!r}: use a language code such as fi, sv or en"
        ) from None


@dataclass(frozen=True)
class Language:
    """gettext, ngettext and date formatting for one language, bound together."""

    code: str
    locale: Locale
    translations: Translations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def install(self, env: jinja2.Environment) -> jinja2.Environment:
        """Let ``env``'s templates speak this language: newstyle gettext with
        trimmed messages (as ``babel.cfg`` extracts them) and the ``when`` filter.

        ``env`` must have been built with the ``jinja2.ext.i18n`` extension.
        """
        env.policies["ext.i18n.trimmed"] = True
        env.install_gettext_translations(  # type: ignore[attr-defined]
            self.translations, newstyle=True
        )
        env.filters["when"] = self.format_datetime
        return env

    def format_datetime(self, when: datetime) -> str:
        """Exact date and minute in Finnish time, e.g. ``14.3.2025 klo 15.05``."""
        return format_datetime(
            when, datetime_pattern(self.code), tzinfo=TIMEZONE, locale=self.locale
        )


@cache
def language(lang: str, domain: str = DEFAULT_DOMAIN) -> Language:
    """Everything needed to speak ``lang``; cached, raises :class:`CatalogError`."""
    catalog = translations(lang, domain)  # first: a missing file is the clearer error
    return Language(lang, babel_locale(lang), catalog)


def clear_cache() -> None:
    """Forget every loaded catalog (tests; a long-running preview after editing)."""
    language.cache_clear()
    translations.cache_clear()
    clear_template_cache()


def preload(languages: Iterable[str], domains: Iterable[str] = (DEFAULT_DOMAIN,)) -> None:
    """Load every catalog now so a broken one fails start-up, not a later send."""
    for domain in domains:
        for lang in languages:
            language(lang, domain)
