"""How values are named and written for people in error messages: field labels
per language and times (minute precision, explicit UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

__all__ = ["FIELD_LABELS", "field_label", "format_time"]


def format_time(value: object) -> str:
    """Render a datetime for people: minute precision, explicit UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


#: How fields are named to people; unknown fields fall back to their key.
FIELD_LABELS: Mapping[str, Mapping[str, str]] = {
    "email": {"fi": "sähköpostiosoite", "sv": "e-postadress", "en": "e-mail address"},
    "first_name": {"fi": "etunimi", "sv": "förnamn", "en": "first name"},
    "last_name": {"fi": "sukunimi", "sv": "efternamn", "en": "last name"},
    "username": {"fi": "käyttäjätunnus", "sv": "användarnamn", "en": "username"},
    "password": {"fi": "salasana", "sv": "lösenord", "en": "password"},
    "company_id": {"fi": "Y-tunnus", "sv": "FO-nummer", "en": "business ID"},
    "company_name": {"fi": "yrityksen nimi", "sv": "företagets namn", "en": "company name"},
    "contract_number": {
        "fi": "logistiikan sopimustunnus",
        "sv": "logistikavtalsnummer",
        "en": "logistics contract number",
    },
    "invited_by": {"fi": "kutsuja", "sv": "inbjudare", "en": "inviter"},
    "inviter_name": {"fi": "kutsujan nimi", "sv": "inbjudarens namn", "en": "inviter's name"},
    "role": {"fi": "rooli", "sv": "roll", "en": "role"},
    "services": {"fi": "palvelut", "sv": "tjänster", "en": "services"},
    "languages": {"fi": "kielet", "sv": "språk", "en": "languages"},
    "sender": {"fi": "lähettäjä", "sv": "avsändare", "en": "sender"},
    "to_name": {"fi": "vastaanottajan nimi", "sv": "mottagarens namn", "en": "recipient's name"},
    "message_id": {"fi": "Message-ID", "sv": "Message-ID", "en": "Message-ID"},
}


def field_label(field: str, lang: str) -> str:
    """The name of ``field`` in ``lang`` as a person would read it."""
    labels = FIELD_LABELS.get(field)
    if labels is None:
        return field
    return labels.get(lang) or labels["en"]
