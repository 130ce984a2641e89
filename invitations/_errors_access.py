"""Why a link or an action is refused: invalid, expired, used or withdrawn
invitations, and inviters without the authority to act.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar

from ._errors_base import InvitationError, _PerLanguageParams
from ._labels import localized


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

