"""Password rules: the source document's policy by default, NIST SP 800-63B style on request.

The document says: 10 characters; upper- and lower-case letters and digits;
optionally ``! @ # $ % + / .``; no three consecutive letters of the user's
name. :class:`PasswordPolicy` holds that interpretation (see the README);
:meth:`PasswordPolicy.nist` is the modern alternative (length over
composition, plus a blocklist of common passwords).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from invitations.i18n.formatting import Text
from invitations.i18n.languages import LANGUAGES
from invitations.i18n.texts import T_

__all__ = ["COMMON_PASSWORDS", "PasswordPolicy", "Violation", "check_password", "fold"]

DOCUMENT_SPECIALS = "!@#$%+/."

#: A small blocklist of the most common passwords (lower-case); the NIST policy refuses them
#: and anything that is one of them with digits or punctuation appended.
COMMON_PASSWORDS: frozenset[str] = frozenset(
    """
    123456 123456789 12345678 1234567890 1234567 12345 qwerty qwerty123 qwertyuiop
    password password1 password123 passw0rd p@ssw0rd p@ssword iloveyou admin admin123
    administrator welcome welcome1 welcome123 letmein monkey dragon sunshine princess
    football baseball master superman batman trustno1 abc123 abcd1234 111111 000000
    123123 654321 666666 987654321 1q2w3e4r 1q2w3e4r5t zaq12wsx asdfghjkl asdfgh
    qazwsx changeme secret login starwars whatever shadow michael jennifer hunter2
    salasana salasana1 salasana123 kesakuu talvi2024 kesa2024 syksy2024 kevat2024
    salasana2024 salasana2025 salasana2026 qwerty2024 qwerty2025 losenord losenord1
    sommar2024 vinter2024 posti posti123 postipaketti smartship smartship1
    summer2024 winter2024 spring2024 autumn2024 password2024 password2025 password2026
    correcthorsebatterystaple thequickbrownfox helloworld computer internet
    """.split()  # noqa: SIM905 - a word list reads better than 90 quoted strings
)

_NAME_SEPARATORS = re.compile(r"[\s\-'’ʼ‘`´]+")

#: Each rule's message: a msgid of the ``errors`` catalog (see :mod:`invitations.i18n.texts`).
_MESSAGES: Mapping[str, str] = {
    "too_short": T_(
        "The password must have at least %(min_length)s characters (it has %(length)s)."
    ),
    "too_long": T_("The password may have at most %(max_length)s characters (it has %(length)s)."),
    "missing_upper": T_("The password must contain at least one upper-case letter (A–Z)."),
    "missing_lower": T_("The password must contain at least one lower-case letter (a–z)."),
    "missing_digit": T_("The password must contain at least one digit (0–9)."),
    "invalid_characters": T_(
        "The password contains characters that are not allowed: %(found)s. Allowed are the "
        "letters A–Z and a–z, the digits 0–9 and the special characters %(allowed)s"
    ),
    "control_characters": T_(
        "The password must not contain control characters (such as tab or line break)."
    ),
    "contains_name": T_(
        "The password must not contain three consecutive letters of your name (found: "
        "%(found)s)."
    ),
    "contains_name_part": T_("The password must not contain your name (found: %(found)s)."),
    "common_password": T_(
        "The password is too common and easy to guess. Choose a longer phrase of your own."
    ),
}


@dataclass(frozen=True)
class Violation:
    """One broken rule; ``message(lang)`` words it for the person choosing the password."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return Text(_MESSAGES[self.code], **self.params).message(lang)

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": {lang: self.message(lang) for lang in LANGUAGES}}


@dataclass(frozen=True)
class PasswordPolicy:
    """Password rules. The defaults are the source document's."""

    min_length: int = 10
    max_length: int = 128
    require_upper: bool = True
    require_lower: bool = True
    require_digit: bool = True
    #: Characters allowed besides A-Z, a-z and 0-9; ``None`` allows any printable character.
    allowed_specials: str | None = DOCUMENT_SPECIALS
    #: Refuse this many consecutive letters of a name part; ``None`` turns the rule off.
    name_run: int | None = 3
    #: Refuse any whole name part of three letters or more (the NIST policy's name rule).
    forbid_name_parts: bool = False
    #: Lower-case passwords refused outright (also with digits/punctuation appended).
    blocklist: frozenset[str] = frozenset()
    name: str = "document"

    @classmethod
    def document(cls) -> PasswordPolicy:
        """The customer's rules from the source document."""
        return cls()

    @classmethod
    def nist(cls, min_length: int = 15, blocklist: frozenset[str] = COMMON_PASSWORDS
             ) -> PasswordPolicy:
        """NIST SP 800-63B style: length, no composition rules, a blocklist, no names."""
        return cls(
            min_length=min_length, max_length=128, require_upper=False, require_lower=False,
            require_digit=False, allowed_specials=None, name_run=None, forbid_name_parts=True,
            blocklist=blocklist, name="nist",
        )

    @classmethod
    def named(cls, name: str) -> PasswordPolicy:
        """``"document"`` or ``"nist"`` (configuration value ``INVITATIONS_PASSWORD_POLICY``)."""
        if name == "document":
            return cls.document()
        if name == "nist":
            return cls.nist()
        raise ValueError(f"unknown password policy {name!r}; use 'document' or 'nist'")

    def rules(self, lang: str = "en") -> list[str]:
        """The rules spelled out for a form, one sentence each."""
        samples: list[Violation] = [Violation("too_short", {"min_length": self.min_length,
                                                            "length": 0})]
        rules = [_first_sentence(samples[0].message(lang))]
        for flag, code in ((self.require_upper, "missing_upper"),
                           (self.require_lower, "missing_lower"),
                           (self.require_digit, "missing_digit")):
            if flag:
                rules.append(Violation(code).message(lang))
        if self.allowed_specials is not None:
            text = Violation("invalid_characters", {"found": "", "allowed":
                             _spaced(self.allowed_specials)}).message(lang)
            rules.append(text.split(": . ", 1)[-1])
        if self.name_run is not None:
            rules.append(_first_sentence(Violation("contains_name", {"found": ""})
                                         .message(lang)))
        if self.forbid_name_parts:
            rules.append(_first_sentence(Violation("contains_name_part", {"found": ""})
                                         .message(lang)))
        return rules


def _first_sentence(text: str) -> str:
    return re.sub(r"\s*\([^)]*\)\.?$", ".", text)


def _spaced(chars: str) -> str:
    return " ".join(chars)


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form: ``Mäkelä`` -> ``makela``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def name_parts(*names: str) -> list[str]:
    """Folded name parts split at spaces, hyphens and apostrophes."""
    parts: list[str] = []
    for name in names:
        parts.extend(p for p in _NAME_SEPARATORS.split(fold(name or "")) if p)
    return parts


def name_runs(parts: list[str], length: int) -> list[str]:
    """Every run of ``length`` consecutive letters in the parts, in order, no repeats."""
    runs: dict[str, None] = {}
    for part in parts:
        for start in range(len(part) - length + 1):
            run = part[start:start + length]
            if all(ch.isalpha() for ch in run):
                runs[run] = None
    return list(runs)


def _describe(ch: str) -> str:
    if ch == " ":
        return "' '"
    if ch.isprintable():
        return ch
    return f"U+{ord(ch):04X}"


def check_password(
    password: str, *, first_name: str, last_name: str, policy: PasswordPolicy | None = None
) -> list[Violation]:
    """Every rule ``password`` breaks under ``policy`` (the document's by default)."""
    policy = policy or PasswordPolicy()
    found: list[Violation] = []
    length = len(password)
    if length < policy.min_length:
        found.append(Violation("too_short", {"min_length": policy.min_length, "length": length}))
    if length > policy.max_length:
        found.append(Violation("too_long", {"max_length": policy.max_length, "length": length}))
    if policy.require_upper and not any(ch in string.ascii_uppercase for ch in password):
        found.append(Violation("missing_upper"))
    if policy.require_lower and not any(ch in string.ascii_lowercase for ch in password):
        found.append(Violation("missing_lower"))
    if policy.require_digit and not any(ch in string.digits for ch in password):
        found.append(Violation("missing_digit"))
    if policy.allowed_specials is not None:
        allowed = set(string.ascii_letters + string.digits + policy.allowed_specials)
        bad = dict.fromkeys(ch for ch in password if ch not in allowed)
        if bad:
            found.append(Violation("invalid_characters", {
                "found": " ".join(_describe(ch) for ch in bad),
                "allowed": _spaced(policy.allowed_specials),
            }))
    elif any(unicodedata.category(ch) == "Cc" for ch in password):
        found.append(Violation("control_characters"))
    folded = fold(password)
    parts = name_parts(first_name, last_name)
    if policy.name_run is not None:
        hits = [run for run in name_runs(parts, policy.name_run) if run in folded]
        if hits:
            found.append(Violation("contains_name", {"found": ", ".join(hits)}))
    if policy.forbid_name_parts:
        hits = [p for p in dict.fromkeys(parts) if len(p) >= 3 and p in folded]
        if hits:
            found.append(Violation("contains_name_part", {"found": ", ".join(hits)}))
    if policy.blocklist:
        core = folded.rstrip(string.digits + string.punctuation + " ")
        if folded in policy.blocklist or core in policy.blocklist:
            found.append(Violation("common_password"))
    return found
