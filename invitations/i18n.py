"""Translations and locale formatting, loaded once per process.

Catalogs are the ``.po`` files under :func:`invitations.resources.locales_dir`;
they are compiled in memory with Babel when first needed, so no ``.mo`` file
has to exist in a checkout or a wheel. A configured language whose catalog is
missing or broken is a :class:`CatalogError` at start-up (call :func:`preload`)
— never a silent fall back to English.

Other parts (the web pages) reuse :func:`language` for their own strings,
optionally from their own catalog domain (``locales/<lang>/LC_MESSAGES/<domain>.po``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

from .errors import ConfigurationError, InvitationError
from .resources import locales_dir

#: Babel locale per language: Finnish-style dates for Finnish and Swedish readers.
LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
#: Every time a person reads is Finnish time.
TIMEZONE = ZoneInfo("Europe/Helsinki")
DEFAULT_DOMAIN = "messages"

# What a .po line may be: a comment, a keyword with one quoted string, or a
# continuation string. Babel's parser accepts some broken lines silently.
_PO_LINE = re.compile(
    r'\s*(?:#.*|(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"\s*)?'
)
# A Python %-placeholder as newstyle gettext formats it: %(name)s, or %% for a literal %.
_PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<spec>[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%])?")


class CatalogError(ConfigurationError):
    """A translation catalog is missing or broken (names the file and line)."""

    code = "catalog_error"
    messages = {
        "fi": "Käännöstiedosto {where} puuttuu tai on virheellinen. Korjaa tiedosto "
        "(ks. kääntäjien ohje, make messages) tai asenna paketti uudelleen.",
        "sv": "Översättningsfilen {where} saknas eller är felaktig. Rätta filen "
        "(se översättarnas anvisning, make messages) eller installera paketet på nytt.",
        "en": "The translation catalog {where} is missing or invalid. Fix the file "
        "(see the translators' guide, make messages) or reinstall the package.",
    }

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        InvitationError.__init__(self, reason, where=where)
        self.path = path
        self.line = line
        self.reason = reason


def catalog_path(lang: str, domain: str = DEFAULT_DOMAIN) -> Path:
    """Where the ``.po`` file of ``lang`` and ``domain`` lives."""
    return locales_dir() / lang / "LC_MESSAGES" / f"{domain}.po"


def placeholders(text: str) -> tuple[list[str], list[str]]:
    """Return (named placeholders, malformed %-sequences) found in ``text``.

    ``%%`` is a literal percent sign and counts as neither. Anything else
    starting with ``%`` that is not ``%(name)s`` is malformed: newstyle
    gettext always %-formats, so it would crash (or garble) the render.
    """
    names: list[str] = []
    bad: list[str] = []
    for match in _PERCENT.finditer(text):
        token, name, spec = match.group(0), match.group("name"), match.group("spec")
        if token == "%%":
            continue
        if name and spec == "s":
            names.append(name)
        else:
            bad.append(token)
    return sorted(names), bad


def message_problems(message: Message) -> Iterator[str]:
    """Placeholder problems of one translated message (empty when fine).

    Every msgstr must use exactly the placeholders of its msgid (for plurals:
    of the plural msgid) and write a literal ``%`` as ``%%``.
    """
    ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
    strs = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    wanted, bad_id = placeholders(ids[-1])
    for token in bad_id:
        yield f"msgid uses {token!r}: write a literal percent sign as %%"
    for index, text in enumerate(strs):
        if not text:
            continue
        names, bad = placeholders(text)
        label = f"msgstr[{index}]" if len(strs) > 1 else "msgstr"
        for token in bad:
            yield f"{label} uses {token!r}: write a literal percent sign as %%"
        # A singular form may leave out the count (Finnish "yhden" for 1), nothing else.
        expected = set(wanted)
        if len(strs) > 1 and index == 0 and set(names) == expected - {"count"}:
            continue
        if set(names) != expected:
            yield (
                f"{label} has placeholders {sorted(set(names))} but msgid has "
                f"{sorted(expected)}: keep them exactly, e.g. %(company)s"
            )


def read_catalog(path: Path, lang: str, domain: str = DEFAULT_DOMAIN) -> Catalog:
    """Parse ``path`` strictly; raise :class:`CatalogError` naming file and line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError(path, "file not found; run `make messages`") from None
    except OSError as exc:
        raise CatalogError(path, f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(path, "not UTF-8", raw[: exc.start].count(b"\n") + 1) from None
    for number, line in enumerate(text.split("\n"), start=1):
        if not _PO_LINE.fullmatch(line.rstrip("\r")):
            raise CatalogError(path, f"not valid .po syntax: {line.strip()[:60]!r}", number)
    try:
        catalog = read_po(io.StringIO(text), locale=LOCALES.get(lang, lang), domain=domain,
                          abort_invalid=True)
    except PoFileError as exc:
        # Babel counts lines from 0.
        raise CatalogError(path, str(exc).rsplit(" on ", 1)[0], exc.lineno + 1) from None
    except (ValueError, IndexError, SyntaxError) as exc:
        raise CatalogError(path, f"cannot parse: {exc}") from None
    for message in catalog:
        if message.id and not message.fuzzy:
            for problem in message_problems(message):
                raise CatalogError(path, problem, message.lineno)
    return catalog


@cache
def translations(lang: str, domain: str = DEFAULT_DOMAIN) -> Translations:
    """The compiled catalog of ``lang`` (cached for the life of the process)."""
    path = catalog_path(lang, domain)
    catalog = read_catalog(path, lang, domain)
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


@cache
def _datetime_pattern(lang: str) -> str:
    # Short date and time joined the way the locale says "date at time":
    # fi "14.3.2025 klo 15.05", sv "14.3.2025 kl. 15.05", en_GB "14/03/2025 at 15:05".
    locale = babel_locale(lang)
    joiner = locale.datetime_formats_relative.get("long") or locale.datetime_formats["short"]
    date = locale.date_formats["short"].pattern
    time = locale.time_formats["short"].pattern
    return str(joiner).replace("{1}", date).replace("{0}", time)


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

    def format_datetime(self, when: datetime) -> str:
        """Exact date and minute in Finnish time, e.g. ``14.3.2025 klo 15.05``."""
        return format_datetime(
            when, _datetime_pattern(self.code), tzinfo=TIMEZONE, locale=self.locale
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


def preload(languages: Iterable[str], domains: Iterable[str] = (DEFAULT_DOMAIN,)) -> None:
    """Load every catalog now so a broken one fails start-up, not a later send."""
    for domain in domains:
        for lang in languages:
            language(lang, domain)
