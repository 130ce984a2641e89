"""The registration form's rules ("Käyttäjärekisteröinti"): names, e-mail, username, password.

:func:`validate_registration` collects every problem before raising, so a form
can show each message beside its field in one round trip.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache

import regex

from invitations.errors import FieldError, FieldTooLong, InvalidInput, RegistrationRejected
from invitations.i18n.formatting import Text
from invitations.i18n.languages import LANGUAGES
from invitations.i18n.texts import T_
from invitations.models import Registration
from invitations.password import PasswordPolicy, check_password
from invitations.store.protocol import SubmittedDetails
from invitations.validation import MAX_NAME, check_text, code_point, normalize_email

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
    "characters": T_(
        "The username may contain only letters, digits and the punctuation of a standard "
        "keyboard; %(character)s is not allowed."
    ),
    "digits": T_(
        "The username mixes digits of different number systems. Use the digits of one "
        "system, such as 0–9."
    ),
    "scripts": T_(
        "The username mixes letters of different scripts (for example Latin and "
        "Cyrillic), so it could look like someone else's username. Use the letters of one "
        "script."
    ),
}
_USERNAME_CODES = {
    "short": "username_too_short",
    "space": "username_has_spaces",
    "characters": "username_characters",
    "digits": "username_mixed_digits",
    "scripts": "username_mixed_scripts",
}

#: The scripts of Unicode 16.0 (ISO 15924 codes, PropertyValueAliases.txt), less
#: Common, Inherited and Unknown. A username in a script missing here is refused as
#: mixed; add a newer Unicode version's scripts here when ``regex`` has them.
_SCRIPT_CODES = (
    "Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Bhks Bopo Brah Brai Bugi "
    "Buhd Cakm Cans Cari Cham Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr Dsrt Dupl Egyp "
    "Elba Elym Ethi Gara Geor Glag Gong Gonm Goth Gran Grek Gujr Gukh Guru Hang Hani Hano "
    "Hatr Hebr Hira Hluw Hmng Hmnp Hung Ital Java Kali Kana Kawi Khar Khmr Khoj Kits Knda "
    "Krai Kthi Lana Laoo Latn Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani Marc "
    "Medf Mend Merc Mero Mlym Modi Mong Mroo Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo "
    "Nshu Ogam Olck Onao Orkh Orya Osge Osma Ougr Palm Pauc Perm Phag Phli Phlp Phnx Plrd "
    "Prti Rjng Rohg Runr Samr Sarb Saur Sgnw Shaw Shrd Sidd Sind Sinh Sogd Sogo Sora Soyo "
    "Sund Sunu Sylo Syrc Tagb Takr Tale Talu Taml Tang Tavt Telu Tfng Tglg Thaa Thai Tibt "
    "Tirh Tnsa Todr Toto Tutg Ugar Vaii Vith Wara Wcho Xpeo Xsux Yezi Yiii Zanb"
)
_SCRIPTS = tuple(_SCRIPT_CODES.split())
#: Unicode TR 39, 5.1: a Han-based writing system counts as one script with its
#: companions (Japanese, Korean, Chinese with Bopomofo). 5.2, "highly restrictive":
#: Latin may join each of them.
_WRITING_SYSTEMS = {"Jpan": ("Hani", "Hira", "Kana"), "Kore": ("Hani", "Hang"),
                    "Hanb": ("Hani", "Bopo")}
_LATIN_WITH = tuple((*scripts, "Latn") for scripts in _WRITING_SYSTEMS.values())


def _covered_by(scripts: tuple[str, ...]) -> regex.Pattern[str]:
    # A character fits a script when its Script_Extensions name it, or name Common or
    # Inherited (digits, punctuation, combining marks fit every script).
    classes = "".join(rf"\p{{scx={code}}}" for code in (*scripts, "Zyyy", "Zinh"))
    return regex.compile(f"[{classes}]*+")


@cache
def _profiles() -> tuple[regex.Pattern[str], ...]:
    """Every way a username may be written, as patterns; Latin first (the usual case)."""
    single = sorted(_SCRIPTS, key=lambda code: code != "Latn")
    return tuple(_covered_by(scripts) for scripts in (
        *((code,) for code in single), *_WRITING_SYSTEMS.values(), *_LATIN_WITH))


def _username_problem(text: str) -> tuple[str, dict[str, object]] | None:
    """Why ``text`` (NFKC) is not an acceptable username under Unicode TR 39's "highly
    restrictive" profile, or ``None``: letters (with their marks) and digits, and besides
    them only visible ASCII; digits of one numbering system; letters of one script (or
    Latin with Han+Kana, Han+Bopomofo or Han+Hangul)."""
    if len(text) < MIN_USERNAME:
        return "short", {"limit": MIN_USERNAME}
    if any(ch.isspace() for ch in text):
        return "space", {}
    for ch in text:
        category = unicodedata.category(ch)
        if not ("!" <= ch <= "~" or category[0] in "LM" or category == "Nd"):
            return "characters", {"character": f"{ch} ({code_point(ch)})"}
    zeros = {chr(ord(ch) - unicodedata.digit(ch)) for ch in text
             if unicodedata.category(ch) == "Nd"}
    if len(zeros) > 1:
        return "digits", {}
    if not any(profile.fullmatch(text) for profile in _profiles()):
        return "scripts", {}
    return None


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
    """The username in NFKC (``ｕｓｅｒ`` is ``user``), or the problem with it."""
    try:
        text = unicodedata.normalize(
            "NFKC", check_text("username", value, limit=MAX_USERNAME))
        if len(text) > MAX_USERNAME:  # NFKC may lengthen it ("㎏" is "kg")
            raise FieldTooLong("username", limit=MAX_USERNAME)
    except InvalidInput as exc:
        return FieldError.from_error(exc, "username")
    found = _username_problem(text)
    if found is None:
        return text
    problem, params = found
    return _field_error("username", _USERNAME_CODES[problem],
                        Text(_USERNAME_MESSAGES[problem], **params))


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
