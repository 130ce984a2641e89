"""Header values: refuse line breaks, parse addresses, cache parsed headers.

Python 3.11's ``email`` package lacks the later header-injection fixes, so
every value that can reach a header is checked here first: a CR, LF or any
other line-breaking character is a :class:`~invitations.errors.HeaderInjection`.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.policy import SMTP, EmailPolicy

from ..errors import HeaderInjection, InvalidAddress

# CR, LF and everything else str.splitlines() or a mail client treats as a break,
# plus the other C0/C1 controls, which have no business in a header.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def check_header_value(field: str, value: str) -> str:
    """Return ``value`` unchanged, or raise :class:`HeaderInjection` naming ``field``."""
    if _FORBIDDEN.search(value):
        raise HeaderInjection(field, f"{field} contains a line break or control character")
    return value


def make_address(field: str, addr_spec: str, display_name: str | None = None) -> Address:
    """Build an :class:`Address`, refusing line breaks and malformed addresses."""
    check_header_value(field, addr_spec)
    if display_name:
        check_header_value(field, display_name)
    try:
        return Address(display_name=display_name or "", addr_spec=addr_spec)
    except (ValueError, IndexError) as exc:
        raise InvalidAddress(field, str(exc), value=addr_spec) from None


@lru_cache(maxsize=64)
def parse_sender(sender: str, default_name: str) -> Address:
    """Parse a From setting like ``Posti <noreply@posti.fi>`` (cached per value)."""
    check_header_value("sender", sender)
    header = POLICY.header_factory("From", sender)
    addresses = getattr(header, "addresses", ())
    if len(addresses) != 1 or header.defects:
        raise InvalidAddress("sender", "expected one address", value=sender)
    address: Address = addresses[0]
    return make_address("sender", address.addr_spec, address.display_name or default_name)


class _FoldOnce(BaseHeader):
    """A header that folds itself once per policy and remembers the result."""

    def fold(self, *, policy: Any) -> str:
        key = (policy.utf8, policy.linesep, policy.max_line_length, policy.cte_type)
        memo: dict[tuple[object, ...], str] = self.__dict__.setdefault("_folded", {})
        if key not in memo:
            memo[key] = super().fold(policy=policy)
        return memo[key]


# RFC 2047 "Q" encoding in a phrase-safe form: these bytes stay literal.
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_EW_PREFIX, _EW_SUFFIX = "=?utf-8?q?", "?="
_EW_MAX = 75  # RFC 2047: an encoded word is at most 75 characters


def _q_char(char: str) -> str:
    if char == " ":
        return "_"
    return "".join(chr(b) if b in _Q_SAFE else f"={b:02X}" for b in char.encode("utf-8"))


def encoded_words(text: str) -> list[str]:
    """``text`` as one or more UTF-8 Q encoded words, never splitting a character."""
    words: list[str] = []
    current = ""
    room = _EW_MAX - len(_EW_PREFIX) - len(_EW_SUFFIX)
    for char in text:
        encoded = _q_char(char)
        if len(current) + len(encoded) > room:
            words.append(_EW_PREFIX + current + _EW_SUFFIX)
            current = ""
        current += encoded
    if current:
        words.append(_EW_PREFIX + current + _EW_SUFFIX)
    return words


def fold_words(name: str, value: str, linesep: str = "\r\n", width: int = 78) -> str:
    """Fold an unstructured header encoding only its non-ASCII words.

    Consecutive non-ASCII words share one encoded word, because a decoder drops
    the space between two adjacent encoded words.
    """
    tokens: list[str] = []
    run: list[str] = []
    for word in value.split():
        if word.isascii() and "=?" not in word:
            if run:
                tokens.extend(encoded_words(" ".join(run)))
                run = []
            tokens.append(word)
        else:
            run.append(word)
    if run:
        tokens.extend(encoded_words(" ".join(run)))
    lines: list[str] = []
    line = f"{name}:"
    for token in tokens:
        if len(line) + 1 + len(token) > width and line.strip() != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + token
    lines.append(line)
    return linesep.join(lines) + linesep


class _WordEncoded(UnstructuredHeader):
    """Subject: Python would put ASCII words inside one long encoded word."""

    def fold(self, *, policy: Any) -> str:
        if policy.utf8:
            return super().fold(policy=policy)  # type: ignore[misc, no-any-return]
        return fold_words(self.name, str(self), policy.linesep, policy.max_line_length)  # type: ignore[attr-defined]


class _Registry(HeaderRegistry):
    """``HeaderRegistry`` that builds each header class once, not on every header."""

    def __init__(self) -> None:
        super().__init__(base_class=_FoldOnce)
        self.map_to_type("subject", _WordEncoded)

    @cache  # noqa: B019 - one registry per process; the cache is meant to live forever
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)  # type: ignore[no-any-return]


#: ``email.policy.SMTP`` with faster header classes (same output).
POLICY: EmailPolicy = SMTP.clone(header_factory=_Registry())
#: The same for messages whose addresses need SMTPUTF8 (headers go out as UTF-8).
POLICY_UTF8: EmailPolicy = POLICY.clone(utf8=True)


@lru_cache(maxsize=256)
def constant_header(policy: EmailPolicy, name: str, value: str) -> BaseHeader:
    """A parsed header for a value many messages share (Subject, From, ...)."""
    check_header_value(name, value)
    return policy.header_factory(name, value)  # type: ignore[no-any-return]
