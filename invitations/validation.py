"""Checks on values that come from outside: addresses, header-bound text, business ids.

Every function either returns the normalised value or raises an
:class:`~invitations.errors.InvalidInput` subclass naming the field.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Sequence
from typing import TypeVar

import regex
from email_validator import EmailNotValidError, validate_email

from invitations.errors import (
    FieldRequired,
    FieldTooLong,
    HeaderInjection,
    InvalidAddress,
    InvalidBusinessId,
    InvalidChoice,
    InvalidInput,
)
from invitations.i18n.formatting import Text
from invitations.i18n.texts import T_
from invitations.models import GRANTABLE_ROLES, Company, Inviter, Role

#: RFC 5321 path limit; longer addresses cannot be delivered anyway.
MAX_EMAIL = 254
MAX_NAME = 100
MAX_COMPANY_NAME = 200
MAX_CONTRACT_NUMBER = 64
MAX_INVITER_ID = 254

_BUSINESS_ID = re.compile(r"(\d{6,7})-(\d)")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)


_LINE_BREAKS = frozenset("\r\n\x85\u2028\u2029")

#: Characters that show nothing or change how the text around them is shown: format
#: characters (``Cf``: bidirectional overrides and isolates, zero-width space and
#: joiners, soft hyphen, tags) and every other default-ignorable code point (U+3164
#: HANGUL FILLER, variation selectors...). Unicode Character Database properties, as
#: the ``regex`` package has them for the newest Unicode version it follows.
INVISIBLE = regex.compile(r"[\p{Cf}\p{Default_Ignorable_Code_Point}]")


class InvisibleCharacter(InvalidInput):
    """An invisible or direction-changing character (see :data:`INVISIBLE`): two values
    that differ only in one look the same on a screen and in a mail header."""

    code = "invisible_character"
    text = T_(
        "The %(label)s contains an invisible or direction-changing character "
        "(%(character)s). Type the value again without it."
    )

    def __init__(self, field: str, character: str) -> None:
        super().__init__(field, character=code_point(character))


def code_point(character: str) -> str:
    """``U+202E``: how a character that may not show is named to people."""
    return f"U+{ord(character):04X}"


def check_text(field: str, value: str, *, limit: int, required: bool = True) -> str:
    """Strip ``value`` and reject line breaks, control characters, invisible
    characters (:class:`InvisibleCharacter`) and excess length.

    Everything checked here may end up in a mail header, where CR or LF would
    let a sender inject headers of their own, or on a page beside a look-alike.
    """
    if not isinstance(value, str):
        kind = type(value).__name__
        raise InvalidInput(field, reason=Text(T_("expected text, got %(kind)s"), kind=kind))
    # Every line break counts: CR, LF and the Unicode ones (NEL, U+2028, U+2029)
    # that some parsers and mail clients also break lines at.
    if any(ch in _LINE_BREAKS for ch in value):
        raise HeaderInjection(field)
    text = unicodedata.normalize("NFC", value.strip())
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text):
        raise InvalidInput(field, reason=Text(
            T_("control characters are not allowed; remove them")))
    invisible = INVISIBLE.search(text)
    if invisible is not None:
        raise InvisibleCharacter(field, invisible.group())
    if required and not text:
        raise FieldRequired(field)
    if len(text) > limit:
        raise FieldTooLong(field, limit=limit)
    return text


def optional_text(field: str, value: str | None, *, limit: int) -> str | None:
    """Like :func:`check_text` but ``None`` or blank means "not given"."""
    if value is None:
        return None
    return check_text(field, value, limit=limit, required=False) or None


def normalize_email(value: str, field: str = "email") -> str:
    """Return the normalised form of an e-mail address or raise :class:`InvalidAddress`.

    Internationalised addresses are accepted (SMTPUTF8); deliverability is not
    checked (no DNS lookups in the request path).
    """
    text = check_text(field, value, limit=MAX_EMAIL)
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise InvalidAddress(field, str(exc), value=text) from None
    return result.normalized


def business_id_check_digit(digits: str) -> int | None:
    """The Y-tunnus check digit for seven digits; ``None`` when none exists (remainder 1)."""
    remainder = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def normalize_business_id(value: str, field: str = "company_id") -> str:
    """Validate a Finnish business id (``1234567-8``); old six-digit ids get a leading zero."""
    text = check_text(field, value, limit=16)
    match = _BUSINESS_ID.fullmatch(text)
    if match is None:
        raise InvalidBusinessId(field, "expected seven digits, a hyphen and a check digit",
                                value=text)
    digits = match.group(1).zfill(7)
    expected = business_id_check_digit(digits)
    if expected is None or expected != int(match.group(2)):
        raise InvalidBusinessId(field, "check digit does not match", value=text)
    return f"{digits}-{match.group(2)}"


_SERVICE_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


def normalize_company(company: Company) -> Company:
    """Check a company's business id (check digit), name and contract number."""
    return Company(
        business_id=normalize_business_id(company.business_id),
        name=check_text("company_name", company.name, limit=MAX_COMPANY_NAME),
        contract_number=optional_text("contract_number", company.contract_number,
                                      limit=MAX_CONTRACT_NUMBER),
    )


def normalize_inviter(inviter: Inviter) -> Inviter:
    """Check who acts: id (or e-mail), name, role, company id."""
    try:
        role = Role(inviter.role)
    except ValueError:
        raise InvalidChoice("role", value=str(inviter.role),
                            allowed="main_user, operator") from None
    company_id = inviter.company_id
    return Inviter(
        id=check_text("invited_by", inviter.id, limit=MAX_INVITER_ID),
        name=optional_text("inviter_name", inviter.name, limit=MAX_NAME),
        role=role,
        company_id=None if not company_id else normalize_business_id(company_id),
        email=None if not inviter.email else normalize_email(inviter.email,
                                                             field="inviter_email"),
    )


def normalize_role(role: Role | str) -> Role:
    if role not in {str(r) for r in GRANTABLE_ROLES}:
        allowed = ", ".join(str(r) for r in GRANTABLE_ROLES)
        raise InvalidChoice("role", value=str(role), allowed=allowed)
    return Role(role)


def normalize_services(services: Sequence[str]) -> tuple[str, ...]:
    if isinstance(services, str):
        services = [s for s in services.split(",") if s.strip()]
    cleaned = tuple(dict.fromkeys(s.strip().lower() for s in services))
    for service in cleaned:
        if not _SERVICE_NAME.fullmatch(service):
            raise InvalidChoice("services", value=service,
                                allowed=Text(T_("lower-case identifiers such as smartship")))
    return cleaned


def normalize_languages(languages: Sequence[str] | str, supported: Sequence[str]
                        ) -> tuple[str, ...]:
    """A non-empty, duplicate-free preference order drawn from ``supported``."""
    if isinstance(languages, str):
        languages = languages.split(",")
    cleaned = tuple(dict.fromkeys(lang.strip().lower() for lang in languages if lang.strip()))
    if not cleaned:
        raise FieldRequired("languages")
    for lang in cleaned:
        if lang not in supported:
            raise InvalidChoice("languages", value=lang, allowed=", ".join(supported))
    return cleaned


_Choice = TypeVar("_Choice", bound=enum.Enum)


def normalize_choice(field: str, value: object, choices: type[_Choice]) -> _Choice:
    """``value`` as one of the enumeration ``choices``, or :class:`InvalidChoice`
    naming them all."""
    try:
        return choices(value)
    except ValueError:
        raise InvalidChoice(field, value=str(value), allowed=", ".join(
            str(c.value) for c in choices)) from None
