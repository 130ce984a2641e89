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

from invitations.i18n import Language, babel_locale, read_catalog
from invitations.web.i18n import negotiate

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


def choose_language(switch: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The UI language of one request."""
    requested = switch if switch in LANGUAGES else cookie
    return negotiate(requested, accept_language, supported=LANGUAGES)
