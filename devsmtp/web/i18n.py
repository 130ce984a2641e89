"""The inbox UI's languages: catalogs compiled from ``.po`` at load time.

The catalogs live in ``devsmtp/locales/<lang>/LC_MESSAGES/devsmtp.po`` (no
``.mo`` in git) and are read with the toolkit's strict reader
(:func:`invitations.i18n.read_catalog`), so a broken catalog names its file
and line. The language comes from the ``?lang=`` switch, then the
``devsmtp_lang`` cookie, then ``Accept-Language``, then Finnish.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.support import Translations

from invitations.i18n import CatalogError, Language, babel_locale, read_catalog
from invitations.i18n.negotiation import negotiate

from ..errors import CatalogBroken

#: UI languages in the order the switch shows them; the first is the fallback.
LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
COOKIE = "devsmtp_lang"
DOMAIN = "devsmtp"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


@cache
def language(lang: str) -> Language:
    """gettext and formatting for ``lang``, compiled once per process."""
    catalog = read_catalog(LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", lang, DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Language(lang, babel_locale(lang), Translations(compiled, domain=DOMAIN))


def preload() -> None:
    """Compile every UI language now, so a broken catalog stops start-up, not a page.

    Raises :class:`~devsmtp.errors.CatalogBroken` naming ``file:line``.
    """
    for lang in LANGUAGES:
        try:
            language(lang)
        except CatalogError as error:
            raise CatalogBroken(error.path if error.line is None
                                else f"{error.path}:{error.line}", error.reason) from error
        except (OSError, ValueError) as error:  # write_mo / Translations on odd input
            path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            raise CatalogBroken(path, str(error)) from error


def choose_language(switch: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The UI language of one request."""
    requested = switch if switch in LANGUAGES else cookie
    return negotiate(requested, accept_language, supported=LANGUAGES)
