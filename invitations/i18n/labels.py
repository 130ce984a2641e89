"""How fields are named for people in messages, per language."""

from __future__ import annotations

from collections.abc import Mapping

from invitations.i18n.languages import LANGUAGES, localized

__all__ = ["FIELD_LABELS", "field_label"]

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
