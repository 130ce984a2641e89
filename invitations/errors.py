"""One exception hierarchy for the whole toolkit.

Every error has a stable ``code`` (for APIs, logs and tests) and a message in
Finnish, Swedish and English (for people). ``str(error)`` is the English text
so that tracebacks stay readable for developers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from ._labels import FIELD_LABELS as FIELD_LABELS
from ._labels import field_label as field_label
from ._labels import format_time

LANGUAGES = ("fi", "sv", "en")


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
        template = self.messages.get(lang) or self.messages["en"]
        text = template.format(**self.params) if self.params else template
        if self.detail and lang == "en":
            text = f"{text} ({self.detail})"
        return text

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description: code, messages in every language, parameters."""
        return {
            "code": self.code,
            "message": {lang: self.message(lang) for lang in LANGUAGES},
            "detail": self.detail,
            "params": {k: str(v) for k, v in self.params.items()},
        }


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


class _PerLanguageParams(InvitationError):
    """An error whose parameters must be rendered per language (labels, times)."""

    def _params_for(self, lang: str) -> dict[str, object]:
        params = dict(self.params)
        if "field" in params:
            params["label"] = field_label(str(params["field"]), lang)
        for key, value in params.items():
            if isinstance(value, datetime):
                params[key] = format_time(value)
        return params

    def _template(self, lang: str) -> str:
        return self.messages.get(lang) or self.messages["en"]

    def message(self, lang: str = "en") -> str:
        text = self._template(lang).format(**self._params_for(lang))
        if self.detail and lang == "en":
            text = f"{text} ({self.detail})"
        return text


# -- links and tokens -------------------------------------------------------


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
        return table.get(lang) or table["en"]


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

    def message(self, lang: str = "en") -> str:
        table = self.reasons.get(self.reason, self.messages)
        return (table.get(lang) or table["en"]).format(**self.params)


# -- input ------------------------------------------------------------------


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
    code = "field_required"
    messages = {
        "fi": "Täytä kenttä: {label}.",
        "sv": "Fyll i fältet: {label}.",
        "en": "Fill in the field: {label}.",
    }


class FieldTooLong(InvalidInput):
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
    code = "invalid_address"
    messages = {
        "fi": "Sähköpostiosoite {value} ei kelpaa. Tarkista osoite (muoto nimi@esimerkki.fi).",
        "sv": "E-postadressen {value} är ogiltig. Kontrollera adressen (formen "
        "namn@exempel.fi).",
        "en": "The e-mail address {value} is not valid. Check the address (form "
        "name@example.fi).",
    }


class InvalidBusinessId(InvalidInput):
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
        return self.messages.get(lang) or self.messages["en"]

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

    def message(self, lang: str = "en") -> str:
        fields = dict.fromkeys(field_label(e.field, lang) for e in self.errors)
        template = self.messages.get(lang) or self.messages["en"]
        return template.format(fields=", ".join(fields))

    def for_field(self, field: str) -> list[FieldError]:
        return [e for e in self.errors if e.field == field]

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data["errors"] = [e.to_dict() for e in self.errors]
        return data


# -- delivery ---------------------------------------------------------------


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
