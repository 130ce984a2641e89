"""One exception hierarchy for the whole toolkit.

Every error has a stable ``code`` (for APIs, logs and tests) and a message in
Finnish, Swedish and English (for people). ``str(error)`` is the English text
so that tracebacks stay readable for developers.

The English text is the msgid of the ``errors`` gettext catalog
(``locales/<lang>/LC_MESSAGES/errors.po``, see :mod:`invitations.i18n.texts`);
Finnish and Swedish come from the catalog when a message is worded, never at
import. English needs no catalog, so a broken catalog can still be reported.

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

from invitations.i18n.formatting import Text, worded
from invitations.i18n.labels import field_label
from invitations.i18n.languages import LANGUAGES, Reason, localized
from invitations.i18n.texts import T_

__all__ = [
    "FIELD_TEXTS",
    "CSVFormatError",
    "CatalogError",
    "ConfigurationError",
    "ConfirmationExpired",
    "ContractChoiceRequired",
    "ContractNumberRequired",
    "DatabaseAuthFailed",
    "DatabaseMissing",
    "DatabaseReadOnly",
    "DatabaseUnreachable",
    "DeliveryFailed",
    "FieldCountMismatch",
    "FieldError",
    "FieldRequired",
    "FieldTooLong",
    "FormRejected",
    "HeaderInjection",
    "HeaderNotOneAddress",
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
    "OrderDecided",
    "OrderNotFound",
    "OrderOpen",
    "OrderRejected",
    "RegistrationInProgress",
    "RegistrationRejected",
    "StoreUnavailable",
    "TermsNotAccepted",
    "TokenMalformed",
    "TokenTampered",
    "WeakSecretKey",
    "csv_format_error",
]


# -- The root, and how every error words its message -------------------------------------------

class InvitationError(Exception):
    """Base class of every error raised by :mod:`invitations`."""

    code: ClassVar[str] = "invitation_error"
    #: The message's msgid in the ``errors`` catalog (its English text);
    #: ``%(name)s`` fields come from ``params``.
    text: ClassVar[str] = T_("The invitation could not be processed.")

    def __init__(self, detail: str | None = None, **params: object) -> None:
        self.detail = detail
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """Return the message for a person reading ``lang`` (``fi``, ``sv`` or ``en``)."""
        text = Text(self._msgid(), **self._params_for(lang)).message(lang)
        if self.detail and lang == "en":
            text = f"{text} ({self.detail})"
        return text

    def _msgid(self) -> str:
        """The msgid of the message; subclasses may choose another one."""
        return self.text

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
    if isinstance(value, Text) or (isinstance(value, Mapping) and set(value) <= set(LANGUAGES)):
        return str(worded(value, "en"))
    return str(value)


class _PerLanguageParams(InvitationError):
    """An error whose parameters are worded per language: a field's label (times and
    reasons given as :class:`~invitations.i18n.texts.Text` are worded by every error)."""

    def _params_for(self, lang: str) -> dict[str, object]:
        params = dict(self.params)
        if "field" in params:
            params["label"] = field_label(str(params["field"]), lang)
        return params


# -- Why a link or an action is refused --------------------------------------------------------

class InvitationInvalid(InvitationError):
    """The link is not a valid invitation; subclasses say why (for logs/tests)."""

    code = "invitation_invalid"
    text = T_(
        "This link is not valid. Check that you used the whole link from the latest invitation "
        "e-mail, or ask your company's main user for a new invitation."
    )


class TokenMalformed(InvitationInvalid):
    """The token is not shaped like one of ours (truncated, mangled by a mail client)."""

    code = "token_malformed"


class TokenTampered(InvitationInvalid):
    """The signature does not match: changed bytes or a key we do not hold."""

    code = "token_tampered"


class InvitationSuperseded(InvitationInvalid):
    """A newer invitation e-mail replaced this link (resend)."""

    code = "invitation_superseded"
    text = T_(
        "This link has been replaced by a newer invitation. Use the link in the latest "
        "invitation e-mail."
    )


class InvitationNotFound(InvitationInvalid):
    """No invitation with this id exists."""

    code = "invitation_not_found"
    text = T_("Invitation %(invitation_id)s does not exist. Check the identifier.")


class InvitationExpired(_PerLanguageParams):
    """The invitation's validity ended; whom to contact depends on the invited role."""

    code = "invitation_expired"
    text = T_(
        "The invitation has expired (%(expires_at)s). Contact your company's main user and ask "
        "for a new invitation."
    )
    #: For an invited main user: there is nobody above them but customer service.
    main_user_text: ClassVar[str] = T_(
        "The invitation has expired (%(expires_at)s). Contact Posti customer service; the "
        "customer service chat is the fastest way to get help."
    )

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

    def _msgid(self) -> str:
        return self.main_user_text if self.role == "main_user" else self.text


class ConfirmationExpired(_PerLanguageParams):
    """The e-mail confirmation link is older than its (short) validity."""

    code = "confirmation_expired"
    text = T_(
        "The e-mail confirmation link has expired (%(expires_at)s). Ask your company's main "
        "user for a new invitation."
    )

    def __init__(self, *, signed_at: datetime | None, expires_at: datetime) -> None:
        self.signed_at = signed_at
        self.expires_at = expires_at
        super().__init__(None, signed_at=signed_at or "-", expires_at=expires_at)


class InvitationUsed(InvitationError):
    """The invitation was already redeemed (single use)."""

    code = "invitation_used"
    text = T_(
        "This invitation has already been used. Sign in with the credentials you created, or "
        "ask your company's main user for a new invitation."
    )


class InvitationRevoked(InvitationError):
    """The inviter or customer service withdrew the invitation."""

    code = "invitation_revoked"
    text = T_("This invitation has been withdrawn. Contact your company's main user.")


# -- authorization ----------------------------------------------------------


class NotAuthorized(InvitationError):
    """The inviter may not do this; ``reason`` picks the explanation."""

    code = "not_authorized"
    reasons: ClassVar[Mapping[str, str]] = {
        "main_user_required": T_(
            "Only a main user of company %(company_id)s can invite users. Ask your company's "
            "main user to send the invitation."
        ),
        "operator_required": T_(
            "Only Posti customer service invites a main user. Fill in the credential order "
            "form (choose \"Pääkäyttäjä vaihdetaan\" to change the main user)."
        ),
    }
    text = reasons["main_user_required"]

    def __init__(self, reason: str, **params: object) -> None:
        self.reason = reason
        super().__init__(None, reason=reason, **params)

    def _msgid(self) -> str:
        return self.reasons.get(self.reason, self.text)


# -- Values and forms that are not acceptable --------------------------------------------------

class InvalidInput(_PerLanguageParams):
    """A value given to the toolkit is not acceptable; ``field`` names which."""

    code = "invalid_input"
    text = T_("The value of %(label)s is not valid: %(reason)s.")

    def __init__(self, field: str, detail: str | None = None, **params: object) -> None:
        self.field = field
        params.setdefault("reason", detail or "-")
        super().__init__(detail, field=field, **params)


class FieldRequired(InvalidInput):
    """A required field is empty."""

    code = "field_required"
    text = T_("Fill in the field: %(label)s.")


class FieldTooLong(InvalidInput):
    """A field is longer than ``limit`` characters."""

    code = "field_too_long"
    text = T_("The %(label)s is too long: at most %(limit)s characters.")


class HeaderInjection(InvalidInput):
    """CR or LF in a value that can reach a mail header."""

    code = "header_injection"
    text = T_("The %(label)s contains a line break. Remove the line breaks and try again.")


class HeaderNotOneAddress(HeaderInjection):
    """A name would not stay one address in a mail header (an RFC 2047 encoded word
    that decodes to a comma or an address, or text the mail parser cannot read)."""

    code = "header_not_one_address"
    text = T_(
        "The %(label)s cannot be written into the e-mail as one address. Remove text "
        "that looks like =?...?= and special characters, and try again."
    )


class InvalidAddress(InvalidInput):
    """Not a valid e-mail address; ``value`` is what was given."""

    code = "invalid_address"
    text = T_(
        "The e-mail address %(value)s is not valid. Check the address (form name@example.fi)."
    )


class InvalidBusinessId(InvalidInput):
    """Not a valid Finnish business ID (Y-tunnus); ``value`` is what was given."""

    code = "invalid_business_id"
    text = T_(
        "The business ID %(value)s is not valid. Give the Finnish business ID (Y-tunnus) as "
        "1234567-8, check digit included."
    )


class ContractNumberRequired(InvalidInput):
    """SmartShip was asked for without a logistics contract number."""

    code = "contract_number_required"
    text = T_(
        "SmartShip requires the company's logistics contract number. Give the contract number, "
        "or order a contract with the credential order form."
    )


class InvalidChoice(InvalidInput):
    """``value`` is not one of the ``allowed`` choices."""

    code = "invalid_choice"
    text = T_("The value %(value)s for %(label)s is not valid. Allowed: %(allowed)s.")


# -- registration -----------------------------------------------------------


#: Field error codes the ``errors`` catalog words by itself, so that a host refusing
#: an account (:class:`invitations.accounts.AccountRejected`) may give just the code.
FIELD_TEXTS: Mapping[str, str] = {
    "username_taken": T_("This username is already in use. Choose another one."),
    "email_has_account": T_(
        "This e-mail address already has an account. Sign in with it, or use another address."
    ),
    "password_refused": T_(
        "This password is not allowed here (it is too common or was found in a data leak). "
        "Choose another one."
    ),
}


@dataclass(frozen=True)
class FieldError:
    """One problem with one form field, worded in every language.

    ``messages`` gives the text per language (``fi``, ``sv``, ``en``); without it the
    ``code`` must be one the toolkit words itself (:data:`FIELD_TEXTS`).
    """

    field: str
    code: str
    messages: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if self.messages is None and self.code not in FIELD_TEXTS:
            raise ValueError(
                f"field error code {self.code!r} has no text in the toolkit's catalogs "
                f"(known: {', '.join(FIELD_TEXTS)}); pass messages={{'fi': ..., 'sv': ..., "
                "'en': ...}}"
            )
        if self.messages is not None and "en" not in self.messages:
            raise ValueError(f"field error {self.code!r}: messages need at least 'en'")

    def message(self, lang: str = "en") -> str:
        """The message for a person reading ``lang``."""
        if self.messages is None:
            return Text(FIELD_TEXTS[self.code]).message(lang)
        return localized(self.messages, lang)

    def to_dict(self) -> dict[str, object]:
        return {"field": self.field, "code": self.code,
                "message": {lang: self.message(lang) for lang in LANGUAGES}}

    @classmethod
    def from_error(cls, error: InvitationError, field: str | None = None) -> FieldError:
        """Turn a single-field error (e.g. :class:`InvalidInput`) into a form error."""
        name = field or str(error.params.get("field", ""))
        return cls(name, error.code, {lang: error.message(lang) for lang in LANGUAGES})


class FormRejected(InvitationError):
    """A form has problems; ``errors`` lists every one of them (field by field)."""

    code = "form_rejected"
    text = T_("The form could not be accepted. Correct the marked fields: %(fields)s.")

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


class RegistrationRejected(FormRejected):
    """The registration form has problems; ``errors`` lists every one of them."""

    code = "registration_rejected"
    text = T_("The registration could not be accepted. Correct the marked fields: %(fields)s.")


class RegistrationInProgress(InvitationError):
    """Another submit of the same invitation is creating the account right now."""

    code = "registration_in_progress"
    text = T_(
        "Your registration is already being processed. Wait a moment, then open the "
        "link in your invitation e-mail again."
    )



class FieldCountMismatch(InvalidInput):
    """A CSV row has more or fewer fields than the header has columns, so the values
    would land in the wrong columns (typically an unquoted value with the separator)."""

    code = "field_count"
    text = T_(
        "The row has %(count)s fields but the header has %(expected)s; quote a value that "
        "contains the separator (e.g. a comma): \"Acme, Oy\"."
    )
    #: When the row has fewer fields than the header.
    fewer = T_(
        "The row has %(count)s fields but the header has %(expected)s; give every column a "
        "value or an empty field (keep the separators)."
    )

    def __init__(self, count: int, expected: int) -> None:
        self.count, self.expected = count, expected
        super().__init__("csv", count=count, expected=expected)

    def _msgid(self) -> str:
        return self.fewer if self.count < self.expected else self.text


# -- credential orders (the "tunnustilauslomake") ----------------------------------------------

class OrderRejected(FormRejected):
    """The credential order form has problems; nothing was stored."""

    code = "order_rejected"
    text = T_("The order could not be accepted. Correct the marked fields: %(fields)s.")


class TermsNotAccepted(InvalidInput):
    """The terms of use were not accepted on the order form."""

    code = "terms_not_accepted"
    text = T_("Accept the terms of use to send the order.")


class ContractChoiceRequired(InvalidInput):
    """SmartShip was ordered with neither a contract number nor a contract order."""

    code = "contract_choice_required"
    text = T_(
        "SmartShip requires a logistics contract. Give your company's contract number, or "
        "choose to order the logistics contract with this form."
    )


class OrderOpen(InvitationError):
    """The company already has an order waiting for customer service: no duplicate."""

    code = "order_open"
    text = T_(
        "Company %(company_id)s already has a credential order waiting for customer service "
        "(reference %(reference)s). No new order was made; you will get an answer to that one."
    )


class OrderNotFound(InvitationError):
    """No credential order has this reference."""

    code = "order_not_found"
    text = T_(
        "Credential order %(reference)s does not exist. Check the reference (TT-2026-000123)."
    )


class OrderDecided(InvitationError):
    """The order was approved or rejected already; a decision is made once."""

    code = "order_decided"
    text = T_("Credential order %(reference)s has already been decided (%(status)s).")


# -- What the operator must fix: configuration and delivery ------------------------------------

class ConfigurationError(InvitationError):
    """The toolkit is configured wrongly; raised at start-up, never later."""

    code = "configuration_error"
    text = T_("Invalid configuration: %(what)s")

    def __init__(self, what: str) -> None:
        super().__init__(what=what)


class WeakSecretKey(ConfigurationError):
    """A secret key is too easy to guess (few distinct bytes, or one text repeated)."""

    code = "weak_secret_key"
    text = T_(
        "Secret key number %(position)s is too easy to guess: every key needs at least "
        "%(length)s bytes and %(distinct)s different characters, and must not repeat one "
        "shorter text. Generate one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    )

    def __init__(self, position: int, length: int, distinct: int) -> None:
        InvitationError.__init__(self, position=position, length=length, distinct=distinct)


class DeliveryFailed(InvitationError):
    """Raised only on request: the mail server refused or could not be reached."""

    code = "delivery_failed"
    text = T_(
        "The message to %(recipient)s could not be sent: %(reply)s. It is kept; an operator "
        "can send it again."
    )


class CatalogError(ConfigurationError):
    """A translation catalog is missing or broken (names the file and line).

    ``kind`` says what is wrong (stable, for tests and logs): ``not_found``,
    ``unsupported_language``, ``unreadable``, ``encoding``, ``syntax``,
    ``plural_forms``, ``fuzzy``, ``untranslated``, ``missing``, ``obsolete``,
    ``stale`` or ``placeholder``. Every language's message carries the detail
    and what to do about it.
    """

    code = "catalog_error"
    text = T_("The translation catalog %(where)s cannot be used: %(reason)s.")

    def __init__(
        self, path: Path, reason: str | Text | Reason, line: int | None = None, *,
        kind: str = "invalid", msgid: str | None = None,
    ) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        #: Why, as given: a :class:`Text` of the ``errors`` catalog (worded per
        #: language), a ready ``{"fi":..., "sv":..., "en":...}`` table, or English.
        self.why = reason
        self.path = path
        self.line = line
        self.kind = kind
        self.msgid = msgid
        self.reason = str(worded(reason, "en"))
        InvitationError.__init__(self, None, where=where, reason=self.reason)

    def _params_for(self, lang: str) -> dict[str, object]:
        return {**self.params, "reason": str(worded(self.why, lang)).rstrip(".")}


# -- Why a bulk CSV file as a whole cannot be used ---------------------------------------------

class CSVFormatError(InvalidInput):
    """The file itself is unusable: empty, no rows, a bad header row (missing, unknown,
    duplicate or unnamed columns), not UTF-8, an unterminated quote.

    ``problems`` are ``(key, params)`` pairs, each worded per language from
    :attr:`reasons`; ``reason=`` gives a ready text instead (any language).
    """

    code = "csv_format"
    text = T_("The CSV file cannot be used: %(reason)s.")
    reasons: ClassVar[Mapping[str, str]] = {
        "unreadable": T_("%(path)s cannot be read (%(error)s)"),
        "empty": T_(
            "the file is empty. The first line names the columns (%(required)s), then one row "
            "follows for each person to invite"
        ),
        "no_rows": T_(
            "the file has a header row but no rows. Add one row for each person to invite"
        ),
        "missing": T_(
            "the header row (line %(line)s) lacks the column(s) %(columns)s. The first line "
            "names the columns; required are %(required)s"
        ),
        "unknown": T_(
            "unknown column(s) %(columns)s. Correct the column name; the known columns are "
            "%(known)s"
        ),
        "duplicate": T_(
            "the column %(column)s appears twice in the header row (columns %(first)s and "
            "%(second)s). Delete or rename one of them"
        ),
        "unnamed": T_(
            "column %(position)s of the header row has no name. Name it or delete the column"
        ),
        "not_utf8": T_(
            "line %(line)s has a byte (%(byte)s) that is not UTF-8 text. Save the file as CSV "
            "UTF-8"
        ),
        "unterminated": T_(
            "unterminated quote starting on line %(line)s: the value runs to the end of the "
            "file. Add the missing closing quote (\") or remove the stray one"
        ),
        "runaway": T_(
            "unterminated quote starting on line %(line)s: the value runs on to line %(end)s "
            "and takes in the rows between. Add the missing closing quote (\") or remove the "
            "stray one"
        ),
        "unreadable_line": T_(
            "line %(line)s cannot be read as CSV (%(error)s). Save the file as CSV UTF-8"
        ),
    }
    #: How an unknown column with a close known name is shown.
    suggestion = T_("%(name)s (did you mean %(known)s?)")

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
                Text(self.reasons[key], **self._worded(values, lang)).message(lang)
                for key, values in self.problems
            )
        return params

    def _worded(self, values: Mapping[str, object], lang: str) -> dict[str, object]:
        worded = dict(values)
        if "unknown" in values:  # ((name, closest known name or ""), ...)
            unknown = values["unknown"]
            assert isinstance(unknown, tuple)
            worded["columns"] = ", ".join(
                Text(self.suggestion, name=name, known=close).message(lang)
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
    text = T_(
        "The invitations database %(where)s cannot be reached right now; nothing was saved. "
        "Try again in a moment."
    )

    def __init__(self, where: str, detail: str | None = None) -> None:
        InvitationError.__init__(self, detail, where=where)


class DatabaseUnreachable(StoreUnavailable):
    """No PostgreSQL server answers at the configured host and port (at start)."""

    code = "database_unreachable"
    text = T_(
        "Cannot connect to the PostgreSQL server at %(host)s:%(port)s (%(reason)s). Check "
        "that the server is running and listening on that host and port, that no firewall "
        "blocks it, and that INVITATIONS_DB is right."
    )

    def __init__(self, host: str, port: str, reason: str) -> None:
        InvitationError.__init__(self, None, host=host, port=port, reason=reason,
                                 where=f"{host}:{port}")


class DatabaseAuthFailed(ConfigurationError):
    """The server refused the user: a wrong or missing password."""

    code = "database_auth_failed"
    text = T_(
        "The PostgreSQL server at %(where)s refused user %(user)s: the password is wrong or "
        "missing. Check the password (INVITATIONS_DB, PGPASSWORD or ~/.pgpass); it is never "
        "printed."
    )

    def __init__(self, where: str, user: str) -> None:
        InvitationError.__init__(self, None, where=where, user=user)


class DatabaseMissing(ConfigurationError):
    """The server runs, but the named database does not exist."""

    code = "database_missing"
    text = T_(
        "The PostgreSQL server at %(where)s has no database %(database)s. Create it "
        "(createdb %(database)s) or correct the name in INVITATIONS_DB."
    )

    def __init__(self, where: str, database: str) -> None:
        InvitationError.__init__(self, None, where=where, database=database)


class DatabaseReadOnly(ConfigurationError):
    """The server accepts only reads: a standby (replica) or a read-only default."""

    code = "database_read_only"
    text = T_(
        "The PostgreSQL server at %(where)s is read-only (a standby replica, or "
        "default_transaction_read_only). Point INVITATIONS_DB at the primary, e.g. by adding "
        "target_session_attrs=read-write."
    )

    def __init__(self, where: str) -> None:
        InvitationError.__init__(self, None, where=where)
