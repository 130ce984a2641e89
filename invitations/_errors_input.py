"""Values and forms that are not acceptable: one field at a time
(:class:`InvalidInput`) or a whole registration form (:class:`RegistrationRejected`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._errors_base import InvitationError, _PerLanguageParams
from ._labels import LANGUAGES, field_label, localized


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
