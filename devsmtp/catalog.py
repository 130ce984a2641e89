"""devsmtp's one catalog: the fi/sv/en texts of the inbox, the API and the errors.

The catalogs live in ``devsmtp/locales/<lang>/LC_MESSAGES/devsmtp.po`` (no
``.mo`` in git). They are read with Babel and compiled in memory on first
use; :func:`preload` (called at start-up) refuses a catalog that would show
English or break a page: a syntax error, a fuzzy header or entry, an empty
translation, a message of ``devsmtp.pot`` missing, or no entries at all, each
as :class:`~devsmtp.errors.CatalogBroken` naming ``file:line``.

Sources mark a text with :func:`N_` (the extraction keyword); English is the
msgid itself and needs no catalog, so an error can always be worded, also the
one that says a catalog is broken.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

from .errors import N_, CatalogBroken

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALES_DIR",
    "NAMES",
    "N_",
    "TIMEZONE",
    "Language",
    "language",
    "preload",
    "read_ui_catalog",
    "translate",
]


#: UI languages in the order the switch shows them; the first is the fallback.
LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
#: The Babel locale each UI language formats dates and sizes with.
BABEL_LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
DOMAIN = "devsmtp"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
#: Every time the inbox shows is Finnish time.
TIMEZONE = ZoneInfo("Europe/Helsinki")

#: A ``.po`` line that opens or continues a quoted string must close it.
_STRING_LINE = re.compile(
    r'(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"')


@dataclass(frozen=True)
class Language:
    """One UI language: its code, its Babel locale and its compiled catalog.

    ``gettext``/``ngettext`` are the catalog's own (bound) functions.
    """

    code: str
    locale: Locale
    translations: Translations

    @property
    def gettext(self) -> Callable[[str], str]:
        return self.translations.gettext

    @property
    def ngettext(self) -> Callable[[str, str, int], str]:
        return self.translations.ngettext

    def format_datetime(self, when: datetime) -> str:
        """Date and minute in Finnish time as the locale joins them: ``14.3.2025 klo 15.05``."""
        locale = self.locale
        pattern = str(locale.datetime_formats_relative.get("long")
                      or locale.datetime_formats["short"])
        pattern = pattern.replace("{1}", locale.date_formats["short"].pattern)
        pattern = pattern.replace("{0}", locale.time_formats["short"].pattern)
        return format_datetime(when, pattern, tzinfo=TIMEZONE, locale=locale)


def _template_ids() -> set[object]:
    template = LOCALES_DIR / f"{DOMAIN}.pot"
    if not template.is_file():
        return set()
    with template.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def read_ui_catalog(path: Path, lang: str) -> Catalog:
    """Read ``path`` strictly: anything that would show English raises CatalogBroken."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogBroken(path, f"cannot be read as UTF-8 ({error})") from error
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith(("msg", '"')) and not _STRING_LINE.fullmatch(stripped):
            raise CatalogBroken(f"{path}:{number}",
                                f"not valid .po syntax: {stripped[:60]!r} (a text must be in "
                                "double quotes after msgid/msgstr)")
    try:
        catalog = read_po(io.StringIO(text), locale=BABEL_LOCALES.get(lang, lang),
                          domain=DOMAIN, abort_invalid=True)
    except PoFileError as error:  # Babel counts lines from 0
        raise CatalogBroken(f"{path}:{error.lineno + 1}", str(error)) from error
    except (ValueError, LookupError) as error:
        raise CatalogBroken(path, f"cannot be parsed ({error})") from error
    if catalog.fuzzy:
        raise CatalogBroken(path, "the header is marked fuzzy; check it and remove the flag")
    entries = [message for message in catalog if message.id]
    if not entries:
        raise CatalogBroken(path, "the catalog has no messages")
    for message in entries:
        strings = message.string if isinstance(message.string, list | tuple) else (
            message.string,)
        where = f"{path}:{message.lineno}"
        if message.fuzzy:
            raise CatalogBroken(where, f"{message.id!r} is marked fuzzy (unchecked)")
        if not all(isinstance(s, str) and s.strip() for s in strings):
            raise CatalogBroken(where, f"{message.id!r} has an empty translation")
    missing = _template_ids() - {message.id for message in entries}
    if missing:
        raise CatalogBroken(path, f"no entry for {sorted(map(str, missing))[:3]} "
                                  f"of {DOMAIN}.pot")
    return catalog


@cache
def language(lang: str) -> Language:
    """gettext and formatting for ``lang``, compiled once per process."""
    catalog = read_ui_catalog(LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Language(lang, Locale.parse(BABEL_LOCALES.get(lang, lang)),
                    Translations(compiled, domain=DOMAIN))


def preload() -> None:
    """Compile every UI language now, so a broken catalog stops start-up, not a page.

    Raises :class:`~devsmtp.errors.CatalogBroken` naming ``file:line``.
    """
    for lang in LANGUAGES:
        try:
            language(lang)
        except (OSError, ValueError) as error:  # write_mo / Translations on odd input
            path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            raise CatalogBroken(path, str(error)) from error



_loading = threading.local()


def translate(msgid: str, lang: str) -> str:
    """``msgid`` in ``lang``, or ``msgid`` itself (English) when the catalog is broken."""
    if lang == "en" or lang not in LANGUAGES or getattr(_loading, "active", False):
        return msgid
    _loading.active = True  # a CatalogBroken raised while loading words itself in English
    try:
        return language(lang).gettext(msgid)
    except Exception:
        return msgid
    finally:
        _loading.active = False
