"""The registration form's rules ("Käyttäjärekisteröinti"): names, e-mail, username, password.

:func:`validate_registration` collects every problem before raising, so a form
can show each message beside its field in one round trip.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from invitations.errors import FieldError, InvalidInput, RegistrationRejected
from invitations.i18n.formatting import Text
from invitations.i18n.languages import LANGUAGES
from invitations.i18n.texts import T_
from invitations.models import Registration
from invitations.password import PasswordPolicy, check_password
from invitations.store.protocol import SubmittedDetails
from invitations.validation import MAX_NAME, check_text, normalize_email

MIN_USERNAME = 3
MAX_USERNAME = 100
_NAME_PUNCTUATION = frozenset(" -'’")

#: Why a name is refused, per field: msgids of the ``errors`` catalog.
_NAME_MESSAGES = {
    "first_name": T_("The first name may contain only letters, spaces, hyphens and apostrophes."),
    "last_name": T_("The last name may contain only letters, spaces, hyphens and apostrophes."),
}
_USERNAME_MESSAGES = {
    "short": T_("The username must have at least %(limit)s characters."),
    "space": T_("The username must not contain spaces."),
}


def _field_error(field: str, code: str, text: Text) -> FieldError:
    return FieldError(field, code, {lang: text.message(lang) for lang in LANGUAGES})


def _is_name_char(ch: str) -> bool:
    return ch.isalpha() or ch in _NAME_PUNCTUATION or unicodedata.category(ch).startswith("M")


def check_name(field: str, value: str) -> str | FieldError:
    """The cleaned name, or the problem with it."""
    try:
        text = " ".join(check_text(field, value, limit=MAX_NAME).split())
    except InvalidInput as exc:
        return FieldError.from_error(exc, field)
    if all(_is_name_char(ch) for ch in text) and any(ch.isalpha() for ch in text):
        return text
    return _field_error(field, "invalid_name", Text(_NAME_MESSAGES[field]))


def check_username(value: str) -> str | FieldError:
    try:
        text = check_text("username", value, limit=MAX_USERNAME)
    except InvalidInput as exc:
        return FieldError.from_error(exc, "username")
    problem = None
    if len(text) < MIN_USERNAME:
        problem = "short"
    elif any(ch.isspace() for ch in text):
        problem = "space"
    if problem is None:
        return text
    code = "username_too_short" if problem == "short" else "username_has_spaces"
    return _field_error("username", code, Text(_USERNAME_MESSAGES[problem], limit=MIN_USERNAME))


def _guard(field: str, check: Callable[[str], str]) -> Callable[[str], str | FieldError]:
    def run(value: str) -> str | FieldError:
        try:
            return check(value)
        except InvalidInput as exc:
            return FieldError.from_error(exc, field)
    return run


def validate_registration(
    registration: Registration, *, policy: PasswordPolicy | None = None
) -> SubmittedDetails:
    """Cleaned details to store, or :class:`RegistrationRejected` with every field error."""
    if not isinstance(registration, Registration):
        raise InvalidInput("registration",
                           f"expected a Registration, got {type(registration).__name__}")
    for name in ("first_name", "last_name", "email", "username", "password"):
        value = getattr(registration, name)
        if not isinstance(value, str):
            raise InvalidInput(name, f"expected text, got {type(value).__name__}")
    errors: list[FieldError] = []
    first = check_name("first_name", registration.first_name)
    last = check_name("last_name", registration.last_name)
    email = _guard("email", normalize_email)(registration.email)
    raw_username = registration.username
    if not (raw_username or "").strip():
        # The document's usual choice: the username is the e-mail address.
        raw_username = email if isinstance(email, str) else registration.email
    username = check_username(raw_username)
    for value in (first, last, email, username):
        if isinstance(value, FieldError):
            errors.append(value)
    password = registration.password
    if not isinstance(password, str):
        password = ""
    for violation in check_password(
        password, first_name=registration.first_name or "",
        last_name=registration.last_name or "", policy=policy,
    ):
        errors.append(FieldError("password", violation.code,
                                 {lang: violation.message(lang) for lang in LANGUAGES}))
    if errors:
        raise RegistrationRejected(errors)
    assert isinstance(first, str) and isinstance(last, str)
    assert isinstance(email, str) and isinstance(username, str)
    return SubmittedDetails(first, last, email, username)
