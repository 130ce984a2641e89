"""How values are named and written for people in error messages: the
languages, field labels per language and times (minute precision, explicit UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

__all__ = ["FIELD_LABELS", "LANGUAGES", "field_label", "format_time", "localized"]

LANGUAGES = ("fi", "sv", "en")


def localized(table: Mapping[str, str], lang: str) -> str:
    """``table``'s text for ``lang``, or the English one when ``lang`` has none."""
    return table.get(lang) or table["en"]


def format_time(value: object, lang: str = "en") -> str:
    """Render a datetime for people as the mail does: Finnish time to the minute,
    worded for ``lang`` (``14.3.2025 klo 15.05``, ``14/03/2025 at 15:05``)."""
    if not isinstance(value, datetime):
        return str(value)
    # Babel's locale data only, never a catalog: an error must be able to say
    # that a catalog is broken.
    from babel.dates import format_datetime

    from .i18n import TIMEZONE, _datetime_pattern, babel_locale

    code = lang if lang in LANGUAGES else "en"
    when = format_datetime(value.astimezone(UTC), _datetime_pattern(code), tzinfo=TIMEZONE,
                           locale=babel_locale(code))
    return f"{when}, {_FINNISH_TIME[code]}"


_FINNISH_TIME = {"fi": "Suomen aikaa", "sv": "finsk tid", "en": "Finnish time"}


# Field names for people, in the order of LANGUAGES: Finnish, Swedish, English.
_NAMES: Mapping[str, tuple[str, str, str]] = {
    "email": ("sähköpostiosoite", "e-postadress", "e-mail address"),
    "first_name": ("etunimi", "förnamn", "first name"),
    "last_name": ("sukunimi", "efternamn", "last name"),
    "username": ("käyttäjätunnus", "användarnamn", "username"),
    "password": ("salasana", "lösenord", "password"),
    "company_id": ("Y-tunnus", "FO-nummer", "business ID"),
    "company_name": ("yrityksen nimi", "företagets namn", "company name"),
    "contract_number": (
        "logistiikan sopimustunnus", "logistikavtalsnummer", "logistics contract number"
    ),
    "invited_by": ("kutsuja", "inbjudare", "inviter"),
    "inviter_name": ("kutsujan nimi", "inbjudarens namn", "inviter's name"),
    "role": ("rooli", "roll", "role"),
    "services": ("palvelut", "tjänster", "services"),
    "languages": ("kielet", "språk", "languages"),
    "sender": ("lähettäjä", "avsändare", "sender"),
    "to_name": ("vastaanottajan nimi", "mottagarens namn", "recipient's name"),
    "message_id": ("Message-ID", "Message-ID", "Message-ID"),
}

#: How fields are named to people; unknown fields fall back to their key.
FIELD_LABELS: Mapping[str, Mapping[str, str]] = {
    field: dict(zip(LANGUAGES, names, strict=True)) for field, names in _NAMES.items()
}


def field_label(field: str, lang: str) -> str:
    """The name of ``field`` in ``lang`` as a person would read it."""
    labels = FIELD_LABELS.get(field)
    return field if labels is None else localized(labels, lang)
