"""One exception hierarchy for the whole toolkit.

Every error has a stable ``code`` (for APIs, logs and tests) and a message in
Finnish, Swedish and English (for people). ``str(error)`` is the English text
so that tracebacks stay readable for developers.

The classes, by subject: the root and how messages are worded; why a link or
an action is refused; values and forms that are not acceptable; what the
operator must fix (configuration, delivery); why a bulk CSV file as a whole
cannot be used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from invitations.i18n.formatting import format_time
from invitations.i18n.labels import field_label
from invitations.i18n.languages import LANGUAGES, Reason, localized

__all__ = [
    "CSVFormatError",
    "CatalogError",
    "ConfigurationError",
    "ConfirmationExpired",
    "ContractNumberRequired",
    "DeliveryFailed",
    "FieldCountMismatch",
    "FieldError",
    "FieldRequired",
    "FieldTooLong",
    "HeaderInjection",
    "InvalidAddress",
    "InvalidBusinessId",
    "InvalidChoice",
    "InvalidInput",
    "InvitationError",
    "InvitationExpired",
    "InvitationInvalid",
    "InvitationNotFound",
    "InvitationRevoked",
    "InvitationSuperseded",
    "InvitationUsed",
    "NotAuthorized",
    "RegistrationRejected",
    "TokenMalformed",
    "TokenTampered",
    "csv_format_error",
]


# -- The root, and how every error words its message -------------------------------------------

class InvitationError(Exception):
    """Base class of every error raised by :mod:`invitations`."""

    code: ClassVar[str] = "invitation_error"
    #: Message templates per language; ``str.format`` fields come from ``params``.
    messages: ClassVar[Mapping[str, str]] = {
        "fi": "Kutsun käsittely epäonnistui.",
        "sv": "Inbjudan kunde inte behandlas.",
        "en": "The invitation could not be processed.",
    }

    def __init__(self, detail: str | None = None, **params: object) -> None:
        self.detail = detail
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """Return the message for a person reading ``lang`` (``fi``, ``sv`` or ``en``)."""
        template = self._template(lang)
        text = template.format(**self._params_for(lang)) if self.params else template
        if self.detail and lang == "en":
            text = f"{text} ({self.detail})"
        return text

    def _template(self, lang: str) -> str:
        """The template for ``lang``; subclasses may choose another table."""
        return localized(self.messages, lang)

    def _params_for(self, lang: str) -> Mapping[str, object]:
        """The template's fields for ``lang``; subclasses may word them per language."""
        return self.params

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description: code, messages in every language, parameters."""
        return {
            "code": self.code,
            "message": {lang: self.message(lang) for lang in LANGUAGES},
            "detail": self.detail,
            "params": {k: _english(v) for k, v in self.params.items()},
        }


def _english(value: object) -> str:
    if isinstance(value, Mapping) and set(value) <= set(LANGUAGES):
        return localized(value, "en")
    return str(value)


class _PerLanguageParams(InvitationError):
    """An error whose parameters are worded per language: a field's label, times."""

    def _params_for(self, lang: str) -> dict[str, object]:
        params = dict(self.params)
        if "field" in params:
            params["label"] = field_label(str(params["field"]), lang)
        for key, value in params.items():
            if isinstance(value, datetime):
                params[key] = format_time(value, lang)
            elif isinstance(value, Mapping) and set(value) <= set(LANGUAGES):
                params[key] = localized(value, lang)  # a reason worded per language
        return params


# -- Why a link or an action is refused --------------------------------------------------------

class InvitationInvalid(InvitationError):
    """The link is not a valid invitation; subclasses say why (for logs/tests)."""

    code = "invitation_invalid"
    messages = {
        "fi": "Linkki ei ole voimassa. Tarkista, että käytit koko linkkiä uusimmasta "
        "kutsuviestistä, tai pyydä uusi kutsu yrityksesi pääkäyttäjältä.",
        "sv": "Länken är inte giltig. Kontrollera att du använde hela länken i det senaste "
        "inbjudningsmeddelandet, eller be ditt företags huvudanvändare om en ny inbjudan.",
        "en": "This link is not valid. Check that you used the whole link from the latest "
        "invitation e-mail, or ask your company's main user for a new invitation.",
    }


class TokenMalformed(InvitationInvalid):
    """The token is not shaped like one of ours (truncated, mangled by a mail client)."""

    code = "token_malformed"


class TokenTampered(InvitationInvalid):
    """The signature does not match: changed bytes or a key we do not hold."""

    code = "token_tampered"


class InvitationSuperseded(InvitationInvalid):
    """A newer invitation e-mail replaced this link (resend)."""

    code = "invitation_superseded"
    messages = {
        "fi": "Tämä linkki on korvattu uudemmalla kutsulla. Käytä uusimman kutsuviestin linkkiä.",
        "sv": "Den här länken har ersatts av en nyare inbjudan. Använd länken i det senaste "
        "inbjudningsmeddelandet.",
        "en": "This link has been replaced by a newer invitation. Use the link in the latest "
        "invitation e-mail.",
    }


class InvitationNotFound(InvitationInvalid):
    """No invitation with this id exists."""

    code = "invitation_not_found"
    messages = {
        "fi": "Kutsua {invitation_id} ei löydy. Tarkista tunniste.",
        "sv": "Inbjudan {invitation_id} finns inte. Kontrollera identifieraren.",
        "en": "Invitation {invitation_id} does not exist. Check the identifier.",
    }


class InvitationExpired(_PerLanguageParams):
    """The invitation's validity ended; whom to contact depends on the invited role."""

    code = "invitation_expired"
    messages = {
        "fi": "Kutsu on vanhentunut ({expires_at}). Ole yhteydessä yrityksesi "
        "pääkäyttäjään ja pyydä uusi kutsu.",
        "sv": "Inbjudan har gått ut ({expires_at}). Kontakta ditt företags huvudanvändare "
        "och be om en ny inbjudan.",
        "en": "The invitation has expired ({expires_at}). Contact your company's main user "
        "and ask for a new invitation.",
    }
    #: For an invited main user: there is nobody above them but customer service.
    main_user_messages: ClassVar[Mapping[str, str]] = {
        "fi": "Kutsu on vanhentunut ({expires_at}). Ota yhteyttä Postin asiakaspalveluun; "
        "nopeimmin apua saat asiakaspalvelun chatin kautta.",
        "sv": "Inbjudan har gått ut ({expires_at}). Kontakta Postis kundtjänst; snabbast "
        "får du hjälp via kundtjänstens chatt.",
        "en": "The invitation has expired ({expires_at}). Contact Posti customer service; "
        "the customer service chat is the fastest way to get help.",
    }

    def __init__(
        self,
        *,
        signed_at: datetime | None,
        expires_at: datetime,
        role: str = "user",
        invitation_id: str | None = None,
    ) -> None:
        self.signed_at = signed_at
        self.expires_at = expires_at
        self.role = role
        self.invitation_id = invitation_id
        super().__init__(
            None, signed_at=signed_at or "-", expires_at=expires_at, role=role
        )

    def _template(self, lang: str) -> str:
        table = self.main_user_messages if self.role == "main_user" else self.messages
        return localized(table, lang)


class ConfirmationExpired(_PerLanguageParams):
    """The e-mail confirmation link is older than its (short) validity."""

    code = "confirmation_expired"
    messages = {
        "fi": "Sähköpostiosoitteen vahvistuslinkki on vanhentunut ({expires_at}). Pyydä "
        "yrityksesi pääkäyttäjältä uusi kutsu.",
        "sv": "Länken för att bekräfta e-postadressen har gått ut ({expires_at}). Be ditt "
        "företags huvudanvändare om en ny inbjudan.",
        "en": "The e-mail confirmation link has expired ({expires_at}). Ask your company's "
        "main user for a new invitation.",
    }

    def __init__(self, *, signed_at: datetime | None, expires_at: datetime) -> None:
        self.signed_at = signed_at
        self.expires_at = expires_at
        super().__init__(None, signed_at=signed_at or "-", expires_at=expires_at)


class InvitationUsed(InvitationError):
    """The invitation was already redeemed (single use)."""

    code = "invitation_used"
    messages = {
        "fi": "Kutsu on jo käytetty. Kirjaudu sisään luomillasi tunnuksilla, tai pyydä "
        "yrityksesi pääkäyttäjältä uusi kutsu.",
        "sv": "Inbjudan har redan använts. Logga in med de uppgifter du skapade, eller be "
        "ditt företags huvudanvändare om en ny inbjudan.",
        "en": "This invitation has already been used. Sign in with the credentials you "
        "created, or ask your company's main user for a new invitation.",
    }


class InvitationRevoked(InvitationError):
    """The inviter or customer service withdrew the invitation."""

    code = "invitation_revoked"
    messages = {
        "fi": "Kutsu on peruttu. Ole yhteydessä yrityksesi pääkäyttäjään.",
        "sv": "Inbjudan har återkallats. Kontakta ditt företags huvudanvändare.",
        "en": "This invitation has been withdrawn. Contact your company's main user.",
    }


# -- authorization ----------------------------------------------------------


class NotAuthorized(InvitationError):
    """The inviter may not do this; ``reason`` picks the explanation."""

    code = "not_authorized"
    reasons: ClassVar[Mapping[str, Mapping[str, str]]] = {
        "main_user_required": {
            "fi": "Vain yrityksen {company_id} pääkäyttäjä voi kutsua käyttäjiä. Pyydä "
            "yrityksesi pääkäyttäjää lähettämään kutsu.",
            "sv": "Endast huvudanvändaren för företaget {company_id} kan bjuda in användare. "
            "Be företagets huvudanvändare att skicka inbjudan.",
            "en": "Only a main user of company {company_id} can invite users. Ask your "
            "company's main user to send the invitation.",
        },
        "operator_required": {
            "fi": "Pääkäyttäjän kutsun lähettää vain Postin asiakaspalvelu. Täytä "
            "tunnustilauslomake (valitse tarvittaessa \"Pääkäyttäjä vaihdetaan\").",
            "sv": "Endast Postis kundtjänst skickar inbjudan till en huvudanvändare. Fyll i "
            "beställningsblanketten för användaruppgifter.",
            "en": "Only Posti customer service invites a main user. Fill in the credential "
            "order form (choose \"Pääkäyttäjä vaihdetaan\" to change the main user).",
        },
    }
    messages = reasons["main_user_required"]

    def __init__(self, reason: str, **params: object) -> None:
        self.reason = reason
        super().__init__(None, reason=reason, **params)

    def _template(self, lang: str) -> str:
        return localized(self.reasons.get(self.reason, self.messages), lang)


# -- Values and forms that are not acceptable --------------------------------------------------

class InvalidInput(_PerLanguageParams):
    """A value given to the toolkit is not acceptable; ``field`` names which."""

    code = "invalid_input"
    messages = {
        "fi": "Kentän {label} arvo ei kelpaa: {reason}.",
        "sv": "Värdet i fältet {label} är ogiltigt: {reason}.",
        "en": "The value of {label} is not valid: {reason}.",
    }

    def __init__(self, field: str, detail: str | None = None, **params: object) -> None:
        self.field = field
        params.setdefault("reason", detail or "-")
        super().__init__(detail, field=field, **params)


class FieldRequired(InvalidInput):
    """A required field is empty."""

    code = "field_required"
    messages = {
        "fi": "Täytä kenttä: {label}.",
        "sv": "Fyll i fältet: {label}.",
        "en": "Fill in the field: {label}.",
    }


class FieldTooLong(InvalidInput):
    """A field is longer than ``limit`` characters."""

    code = "field_too_long"
    messages = {
        "fi": "Kenttä {label} on liian pitkä: enintään {limit} merkkiä.",
        "sv": "Fältet {label} är för långt: högst {limit} tecken.",
        "en": "The {label} is too long: at most {limit} characters.",
    }


class HeaderInjection(InvalidInput):
    """CR or LF in a value that can reach a mail header."""

    code = "header_injection"
    messages = {
        "fi": "Kentässä {label} on rivinvaihto. Poista rivinvaihdot ja yritä uudelleen.",
        "sv": "Fältet {label} innehåller en radbrytning. Ta bort radbrytningarna och försök "
        "igen.",
        "en": "The {label} contains a line break. Remove the line breaks and try again.",
    }


class InvalidAddress(InvalidInput):
    """Not a valid e-mail address; ``value`` is what was given."""

    code = "invalid_address"
    messages = {
        "fi": "Sähköpostiosoite {value} ei kelpaa. Tarkista osoite (muoto nimi@esimerkki.fi).",
        "sv": "E-postadressen {value} är ogiltig. Kontrollera adressen (formen "
        "namn@exempel.fi).",
        "en": "The e-mail address {value} is not valid. Check the address (form "
        "name@example.fi).",
    }


class InvalidBusinessId(InvalidInput):
    """Not a valid Finnish business ID (Y-tunnus); ``value`` is what was given."""

    code = "invalid_business_id"
    messages = {
        "fi": "Y-tunnus {value} ei kelpaa. Anna Y-tunnus muodossa 1234567-8 "
        "(tarkistusmerkki mukaan lukien).",
        "sv": "FO-numret {value} är ogiltigt. Ange FO-numret i formen 1234567-8 "
        "(med kontrollsiffra).",
        "en": "The business ID {value} is not valid. Give the Finnish business ID "
        "(Y-tunnus) as 1234567-8, check digit included.",
    }


class ContractNumberRequired(InvalidInput):
    """SmartShip was asked for without a logistics contract number."""

    code = "contract_number_required"
    messages = {
        "fi": "SmartShipin käyttö edellyttää logistiikan sopimustunnusta. Anna yrityksen "
        "sopimustunnus tai tilaa sopimus tunnustilauslomakkeella.",
        "sv": "SmartShip kräver ett logistikavtalsnummer. Ange företagets avtalsnummer "
        "eller beställ ett avtal med beställningsblanketten.",
        "en": "SmartShip requires the company's logistics contract number. Give the "
        "contract number, or order a contract with the credential order form.",
    }


class InvalidChoice(InvalidInput):
    """``value`` is not one of the ``allowed`` choices."""

    code = "invalid_choice"
    messages = {
        "fi": "Kentän {label} arvo {value} ei kelpaa. Sallitut arvot: {allowed}.",
        "sv": "Värdet {value} i fältet {label} är ogiltigt. Tillåtna värden: {allowed}.",
        "en": "The value {value} for {label} is not valid. Allowed: {allowed}.",
    }


# -- registration -----------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """One problem with one form field, already worded in every language."""

    field: str
    code: str
    messages: Mapping[str, str]

    def message(self, lang: str = "en") -> str:
        """The message for a person reading ``lang``."""
        return localized(self.messages, lang)

    def to_dict(self) -> dict[str, object]:
        return {"field": self.field, "code": self.code, "message": dict(self.messages)}

    @classmethod
    def from_error(cls, error: InvitationError, field: str | None = None) -> FieldError:
        """Turn a single-field error (e.g. :class:`InvalidInput`) into a form error."""
        name = field or str(error.params.get("field", ""))
        return cls(name, error.code, {lang: error.message(lang) for lang in LANGUAGES})


class RegistrationRejected(InvitationError):
    """The registration form has problems; ``errors`` lists every one of them."""

    code = "registration_rejected"
    messages = {
        "fi": "Rekisteröitymistä ei voitu hyväksyä. Korjaa merkityt kentät: {fields}.",
        "sv": "Registreringen kunde inte godkännas. Rätta de markerade fälten: {fields}.",
        "en": "The registration could not be accepted. Correct the marked fields: {fields}.",
    }

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__(None, fields=", ".join(dict.fromkeys(e.field for e in self.errors)))

    def _params_for(self, lang: str) -> Mapping[str, object]:
        fields = dict.fromkeys(field_label(e.field, lang) for e in self.errors)
        return {"fields": ", ".join(fields)}

    def for_field(self, field: str) -> list[FieldError]:
        return [e for e in self.errors if e.field == field]

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data["errors"] = [e.to_dict() for e in self.errors]
        return data



class FieldCountMismatch(InvalidInput):
    """A CSV row has more or fewer fields than the header has columns, so the values
    would land in the wrong columns (typically an unquoted value with the separator)."""

    code = "field_count"
    messages = {
        "fi": "Rivillä on {count} kenttää, mutta otsikkorivillä on {expected} saraketta. "
        "Jos arvossa on erotinmerkki (esim. pilkku), laita arvo lainausmerkkeihin: "
        "\"Acme, Oy\".",
        "sv": "Raden har {count} fält men rubrikraden har {expected} kolumner. Om ett värde "
        "innehåller avgränsaren (t.ex. kommatecken), sätt värdet inom citattecken: "
        "\"Acme, Ab\".",
        "en": "The row has {count} fields but the header has {expected}; quote a value that "
        "contains the separator (e.g. a comma): \"Acme, Oy\".",
    }
    #: When the row has fewer fields than the header.
    fewer = {
        "fi": "Rivillä on {count} kenttää, mutta otsikkorivillä on {expected} saraketta. "
        "Anna jokaiselle sarakkeelle arvo tai tyhjä kenttä (erotinmerkki paikallaan).",
        "sv": "Raden har {count} fält men rubrikraden har {expected} kolumner. Ge varje "
        "kolumn ett värde eller ett tomt fält (med avgränsaren på plats).",
        "en": "The row has {count} fields but the header has {expected}; give every column a "
        "value or an empty field (keep the separators).",
    }

    def __init__(self, count: int, expected: int) -> None:
        self.count, self.expected = count, expected
        super().__init__("csv", count=count, expected=expected)

    def _template(self, lang: str) -> str:
        return localized(self.fewer if self.count < self.expected else self.messages, lang)


# -- What the operator must fix: configuration and delivery ------------------------------------

class ConfigurationError(InvitationError):
    """The toolkit is configured wrongly; raised at start-up, never later."""

    code = "configuration_error"
    messages = {
        "fi": "Virheellinen asetus: {what}",
        "sv": "Felaktig inställning: {what}",
        "en": "Invalid configuration: {what}",
    }

    def __init__(self, what: str) -> None:
        super().__init__(what=what)


class DeliveryFailed(InvitationError):
    """Raised only on request: the mail server refused or could not be reached."""

    code = "delivery_failed"
    messages = {
        "fi": "Viestin lähetys osoitteeseen {recipient} epäonnistui: {reply}. Viesti on "
        "tallessa; ylläpito voi lähettää sen uudelleen.",
        "sv": "Meddelandet till {recipient} kunde inte skickas: {reply}. Meddelandet är "
        "sparat; administratören kan skicka det igen.",
        "en": "The message to {recipient} could not be sent: {reply}. It is kept; an "
        "operator can send it again.",
    }


class CatalogError(ConfigurationError):
    """A translation catalog is missing or broken (names the file and line).

    ``kind`` says what is wrong (stable, for tests and logs): ``not_found``,
    ``unsupported_language``, ``unreadable``, ``encoding``, ``syntax``,
    ``plural_forms``, ``fuzzy``, ``untranslated``, ``missing``, ``obsolete``,
    ``stale`` or ``placeholder``. Every language's message carries the detail
    and what to do about it.
    """

    code = "catalog_error"
    messages = {
        "fi": "Käännöstiedostoa {where} ei voi käyttää: {reason}.",
        "sv": "Översättningsfilen {where} kan inte användas: {reason}.",
        "en": "The translation catalog {where} cannot be used: {reason}.",
    }

    def __init__(
        self, path: Path, reason: str | Reason, line: int | None = None, *,
        kind: str = "invalid", msgid: str | None = None,
    ) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        self.reasons: dict[str, str] = (
            {"en": reason} if isinstance(reason, str) else dict(reason)
        )
        self.path = path
        self.line = line
        self.kind = kind
        self.msgid = msgid
        self.reason = self.reasons["en"]
        InvitationError.__init__(self, None, where=where, reason=self.reason)

    def _params_for(self, lang: str) -> dict[str, object]:
        return {**self.params, "reason": localized(self.reasons, lang).rstrip(".")}


# -- Why a bulk CSV file as a whole cannot be used ---------------------------------------------

class CSVFormatError(InvalidInput):
    """The file itself is unusable: empty, no rows, a bad header row (missing, unknown,
    duplicate or unnamed columns), not UTF-8, an unterminated quote.

    ``problems`` are ``(key, params)`` pairs, each worded per language from
    :attr:`reasons`; ``reason=`` gives a ready text instead (any language).
    """

    code = "csv_format"
    messages = {
        "fi": "CSV-tiedostoa ei voi käyttää: {reason}.",
        "sv": "CSV-filen kan inte användas: {reason}.",
        "en": "The CSV file cannot be used: {reason}.",
    }
    reasons = {
        "unreadable": {
            "fi": "tiedostoa {path} ei voi lukea ({error})",
            "sv": "filen {path} kan inte läsas ({error})",
            "en": "{path} cannot be read ({error})",
        },
        "empty": {
            "fi": "tiedosto on tyhjä. Ensimmäiselle riville tulevat sarakkeiden nimet "
            "({required}), sen jälkeen rivi kutakin kutsuttavaa kohden",
            "sv": "filen är tom. Den första raden ska ha kolumnernas namn ({required}), "
            "sedan en rad per person som ska bjudas in",
            "en": "the file is empty. The first line names the columns ({required}), then "
            "one row follows for each person to invite",
        },
        "no_rows": {
            "fi": "tiedostossa on vain otsikkorivi eikä yhtään riviä. Lisää rivi kutakin "
            "kutsuttavaa kohden",
            "sv": "filen har bara rubrikraden och inga rader. Lägg till en rad per person "
            "som ska bjudas in",
            "en": "the file has a header row but no rows. Add one row for each person to "
            "invite",
        },
        "missing": {
            "fi": "otsikkoriviltä (rivi {line}) puuttuu sarake {columns}. Ensimmäisellä "
            "rivillä pitää olla sarakkeiden nimet; pakolliset ovat {required}",
            "sv": "rubrikraden (rad {line}) saknar kolumnen {columns}. Den första raden ska "
            "ha kolumnernas namn; obligatoriska är {required}",
            "en": "the header row (line {line}) lacks the column(s) {columns}. The first line "
            "names the columns; required are {required}",
        },
        "unknown": {
            "fi": "tuntematon sarake {columns}. Korjaa sarakkeen nimi; tunnetut sarakkeet "
            "ovat {known}",
            "sv": "okänd kolumn {columns}. Rätta kolumnens namn; kända kolumner är {known}",
            "en": "unknown column(s) {columns}. Correct the column name; the known columns "
            "are {known}",
        },
        "duplicate": {
            "fi": "sarake {column} on otsikkorivillä kahdesti (sarakkeet {first} ja {second}). "
            "Poista tai nimeä uudelleen toinen niistä",
            "sv": "kolumnen {column} finns två gånger på rubrikraden (kolumnerna {first} och "
            "{second}). Ta bort eller byt namn på den ena",
            "en": "the column {column} appears twice in the header row (columns {first} and "
            "{second}). Delete or rename one of them",
        },
        "unnamed": {
            "fi": "otsikkorivin sarakkeella {position} ei ole nimeä. Anna sille nimi tai "
            "poista sarake",
            "sv": "kolumn {position} på rubrikraden har inget namn. Ge den ett namn eller ta "
            "bort kolumnen",
            "en": "column {position} of the header row has no name. Name it or delete the "
            "column",
        },
        "not_utf8": {
            "fi": "rivillä {line} on tavu {byte}, joka ei ole UTF-8-tekstiä. Tallenna tiedosto "
            "muodossa CSV UTF-8",
            "sv": "rad {line} har byten {byte} som inte är UTF-8-text. Spara filen som "
            "CSV UTF-8",
            "en": "line {line} has a byte ({byte}) that is not UTF-8 text. Save the file as "
            "CSV UTF-8",
        },
        "unterminated": {
            "fi": "päättymätön lainausmerkki rivin {line} arvossa: arvo jatkuu tiedoston "
            "loppuun. Lisää puuttuva lainausmerkki (\") tai poista ylimääräinen",
            "sv": "citattecknet i värdet på rad {line} avslutas aldrig: värdet fortsätter till "
            "filens slut. Lägg till det saknade citattecknet (\") eller ta bort det "
            "överflödiga",
            "en": "unterminated quote starting on line {line}: the value runs to the end of "
            "the file. Add the missing closing quote (\") or remove the stray one",
        },
        "runaway": {
            "fi": "päättymätön lainausmerkki rivin {line} arvossa: arvo jatkuu riville {end} "
            "ja nielee välissä olevat rivit. Lisää puuttuva lainausmerkki (\") tai poista "
            "ylimääräinen",
            "sv": "citattecknet i värdet på rad {line} avslutas inte: värdet fortsätter till "
            "rad {end} och sväljer raderna däremellan. Lägg till det saknade citattecknet "
            "(\") eller ta bort det överflödiga",
            "en": "unterminated quote starting on line {line}: the value runs on to line {end} "
            "and takes in the rows between. Add the missing closing quote (\") or remove "
            "the stray one",
        },
        "unreadable_line": {
            "fi": "riviä {line} ei voi lukea CSV-muodossa ({error}). Tallenna tiedosto "
            "muodossa CSV UTF-8",
            "sv": "rad {line} kan inte läsas som CSV ({error}). Spara filen som CSV UTF-8",
            "en": "line {line} cannot be read as CSV ({error}). Save the file as CSV UTF-8",
        },
    }
    #: How an unknown column with a close known name is shown.
    suggestion = {
        "fi": "{name} (tarkoititko {known}?)",
        "sv": "{name} (menade du {known}?)",
        "en": "{name} (did you mean {known}?)",
    }

    def __init__(
        self,
        field: str = "csv",
        detail: str | None = None,
        *,
        problems: Sequence[tuple[str, Mapping[str, object]]] = (),
        **params: object,
    ) -> None:
        self.problems = tuple((key, dict(values)) for key, values in problems)
        if self.problems:
            params.setdefault("problem", ", ".join(key for key, _ in self.problems))
            if len(self.problems) == 1:
                params = {**self.problems[0][1], **params}
        super().__init__(field, detail, **params)
        if self.problems:  # for to_dict(): the reason in English
            self.params["reason"] = self._params_for("en")["reason"]

    def _params_for(self, lang: str) -> dict[str, object]:
        params = super()._params_for(lang)
        if self.problems:
            params["reason"] = "; ".join(
                localized(self.reasons[key], lang).format(**self._worded(values, lang))
                for key, values in self.problems
            )
        return params

    def _worded(self, values: Mapping[str, object], lang: str) -> dict[str, object]:
        worded = dict(values)
        if "unknown" in values:  # ((name, closest known name or ""), ...)
            unknown = values["unknown"]
            assert isinstance(unknown, tuple)
            worded["columns"] = ", ".join(
                localized(self.suggestion, lang).format(name=name, known=close)
                if close else name
                for name, close in unknown
            )
        return worded


def csv_format_error(*problems: tuple[str, Mapping[str, object]]) -> CSVFormatError:
    return CSVFormatError("csv", problems=problems)


# -- The database behind the store (PostgreSQL): unreachable, refused, read-only ---------------

class StoreUnavailable(InvitationError):
    """The database could not be reached or the connection broke during an operation.

    Retryable: the transaction was rolled back, nothing of it was written; the same
    call may be made again (the delivery workers do so with backoff).
    """

    code = "store_unavailable"
    retryable: ClassVar[bool] = True
    messages = {
        "fi": "Kutsutietokantaan {where} ei juuri nyt saada yhteyttä, eikä mitään tallennettu. "
        "Yritä hetken päästä uudelleen.",
        "sv": "Inbjudningsdatabasen {where} kan inte nås just nu, och inget sparades. "
        "Försök igen om en stund.",
        "en": "The invitations database {where} cannot be reached right now; nothing was "
        "saved. Try again in a moment.",
    }

    def __init__(self, where: str, detail: str | None = None) -> None:
        InvitationError.__init__(self, detail, where=where)


class DatabaseUnreachable(StoreUnavailable):
    """No PostgreSQL server answers at the configured host and port (at start)."""

    code = "database_unreachable"
    messages = {
        "fi": "PostgreSQL-palvelimeen {host}:{port} ei saada yhteyttä ({reason}). Tarkista, "
        "että palvelin on käynnissä ja kuuntelee tässä osoitteessa ja portissa, ettei palomuuri "
        "estä yhteyttä ja että INVITATIONS_DB on oikein.",
        "sv": "Det går inte att ansluta till PostgreSQL-servern {host}:{port} ({reason}). "
        "Kontrollera att servern körs och lyssnar på den adressen och porten, att ingen "
        "brandvägg stoppar anslutningen och att INVITATIONS_DB är rätt.",
        "en": "Cannot connect to the PostgreSQL server at {host}:{port} ({reason}). Check that "
        "the server is running and listening on that host and port, that no firewall blocks "
        "it, and that INVITATIONS_DB is right.",
    }

    def __init__(self, host: str, port: str, reason: str) -> None:
        InvitationError.__init__(self, None, host=host, port=port, reason=reason,
                                 where=f"{host}:{port}")


class DatabaseAuthFailed(ConfigurationError):
    """The server refused the user: a wrong or missing password."""

    code = "database_auth_failed"
    messages = {
        "fi": "PostgreSQL-palvelin {where} ei hyväksynyt käyttäjää {user}: salasana on väärä "
        "tai puuttuu. Tarkista salasana (INVITATIONS_DB, PGPASSWORD tai ~/.pgpass); sitä ei "
        "koskaan tulosteta.",
        "sv": "PostgreSQL-servern {where} godtog inte användaren {user}: lösenordet är fel "
        "eller saknas. Kontrollera lösenordet (INVITATIONS_DB, PGPASSWORD eller ~/.pgpass); "
        "det skrivs aldrig ut.",
        "en": "The PostgreSQL server at {where} refused user {user}: the password is wrong or "
        "missing. Check the password (INVITATIONS_DB, PGPASSWORD or ~/.pgpass); it is never "
        "printed.",
    }

    def __init__(self, where: str, user: str) -> None:
        InvitationError.__init__(self, None, where=where, user=user)


class DatabaseMissing(ConfigurationError):
    """The server runs, but the named database does not exist."""

    code = "database_missing"
    messages = {
        "fi": "PostgreSQL-palvelimella {where} ei ole tietokantaa {database}. Luo se "
        "(createdb {database}) tai korjaa nimi INVITATIONS_DB-asetuksessa.",
        "sv": "PostgreSQL-servern {where} har ingen databas {database}. Skapa den "
        "(createdb {database}) eller rätta namnet i INVITATIONS_DB.",
        "en": "The PostgreSQL server at {where} has no database {database}. Create it "
        "(createdb {database}) or correct the name in INVITATIONS_DB.",
    }

    def __init__(self, where: str, database: str) -> None:
        InvitationError.__init__(self, None, where=where, database=database)


class DatabaseReadOnly(ConfigurationError):
    """The server accepts only reads: a standby (replica) or a read-only default."""

    code = "database_read_only"
    messages = {
        "fi": "PostgreSQL-palvelin {where} on vain luku -tilassa (varapalvelin tai "
        "default_transaction_read_only). Osoita INVITATIONS_DB pääpalvelimelle, esim. "
        "lisäämällä target_session_attrs=read-write.",
        "sv": "PostgreSQL-servern {where} tar bara emot läsningar (en standby-server eller "
        "default_transaction_read_only). Peka INVITATIONS_DB mot primärservern, t.ex. med "
        "target_session_attrs=read-write.",
        "en": "The PostgreSQL server at {where} is read-only (a standby replica, or "
        "default_transaction_read_only). Point INVITATIONS_DB at the primary, e.g. by adding "
        "target_session_attrs=read-write.",
    }

    def __init__(self, where: str) -> None:
        InvitationError.__init__(self, None, where=where)


__all__ += [
    "DatabaseAuthFailed",
    "DatabaseMissing",
    "DatabaseReadOnly",
    "DatabaseUnreachable",
    "StoreUnavailable",
]
