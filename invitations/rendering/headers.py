"""Header values: refuse line breaks, parse addresses, cache parsed headers.

Python 3.11's ``email`` package lacks the later header-injection fixes, so
every value that can reach a header is checked here first: a CR, LF or any
other line-breaking character is a :class:`~invitations.errors.HeaderInjection`.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import (
    Address,
    AddressHeader,
    BaseHeader,
    Group,
    HeaderRegistry,
    UniqueAddressHeader,
    UniqueDateHeader,
    UnstructuredHeader,
)
from email.message import EmailMessage
from email.policy import SMTP, EmailPolicy
from email.policy import default as _DEFAULT_POLICY
from email.utils import format_datetime
from functools import cache, lru_cache
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email

from invitations.errors import HeaderInjection, HeaderNotOneAddress, InvalidAddress
from invitations.rendering.folding import fold_tokens, fold_words, word_tokens

# CR, LF and everything else str.splitlines() or a mail client treats as a break,
# plus the other C0/C1 controls, which have no business in a header.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def check_header_value(field: str, value: str) -> str:
    """Return ``value`` unchanged, or raise :class:`HeaderInjection` naming ``field``."""
    if _FORBIDDEN.search(value):
        raise HeaderInjection(field, f"{field} contains a line break or control character")
    return value


def address_header(
    field: str, name: str, addr_spec: str, display_name: str | None = None,
    name_field: str | None = None,
) -> AddressHeader:
    """The header ``name`` (From, To) for one address; refuses line breaks and bad syntax.

    The address is parsed once, by the header parser the message will use.
    Non-ASCII (SMTPUTF8, RFC 6532) addresses are allowed: they only carry the
    parser's "non-ASCII local part" remark, which is fine when sent with SMTPUTF8.
    """
    check_header_value(field, addr_spec)
    if display_name:
        check_header_value(name_field or field, display_name)
    local, at, domain = addr_spec.rpartition("@")
    if not (at and local and domain):
        raise InvalidAddress(field, "expected local-part@domain", value=addr_spec)
    # Runs of spaces mean nothing in a display name; normalising them keeps
    # more names on the plain path below.
    name_text = " ".join((display_name or "").split())
    candidate = Address(display_name=name_text, username=local, domain=domain)
    if _plain_mailbox(candidate):  # syntax already checked: no parse needed
        return cast(AddressHeader, POLICY.header_factory(name, candidate))
    try:
        header = cast(AddressHeader, POLICY_UTF8.header_factory(name, str(candidate)))
        found = header.addresses
    except Exception as error:  # the 3.11 parser raises ValueError, IndexError, ...
        raise _not_one_address(name_field or field, error) from error
    defects = cast(BaseHeader, header).defects
    problems = [d for d in defects if not isinstance(d, NonASCIILocalPartDefect)]
    if problems or len(found) != 1 or found[0].addr_spec != addr_spec:
        reason = str(problems[0]) if problems else "not one plain address"
        raise InvalidAddress(field, reason, value=addr_spec)
    _check_folded(name_field or field, header, addr_spec, name_text)
    return header


_UNFOLD = re.compile(r"\r?\n(?=[ \t])")


def _not_one_address(field: str, error: Exception | None = None) -> HeaderNotOneAddress:
    detail = "the name does not stay one address in the header"
    if error is not None:
        detail += f" ({type(error).__name__}: {error})"
    return HeaderNotOneAddress(field, detail)


def _check_folded(field: str, header: AddressHeader, addr_spec: str, display_name: str) -> None:
    """Raise :class:`HeaderInjection` unless ``header``, as written, is exactly one address.

    Python 3.11 decodes an RFC 2047 encoded word inside a display name and folds the
    decoded text back unquoted, so ``=?utf-8?q?a=40evil=2Eexample=2C?=`` would become a
    second recipient. What a mail client reads is the folded text, so that text is parsed
    again (by ``email.policy.default``, as a reader would) with every policy the message
    may be written with: exactly the intended address and display name must come back.
    """
    policies = (POLICY_UTF8,) if not addr_spec.isascii() else (POLICY, POLICY_UTF8)
    for policy in policies:
        try:
            folded = cast(BaseHeader, header).fold(policy=policy)
            # Unfold (RFC 5322 2.2.3); a line break left after that is a new header.
            value = _UNFOLD.sub("", folded.partition(":")[2].removesuffix(policy.linesep))
            if "\r" in value or "\n" in value:
                raise _not_one_address(field)
            parsed = _DEFAULT_POLICY.header_factory(cast(BaseHeader, header).name, value.strip())
            found = tuple(getattr(parsed, "addresses", ()))
        except HeaderInjection:
            raise
        except Exception as error:  # any parser failure: refuse, never a traceback
            raise _not_one_address(field, error) from error
        if (
            len(found) != 1
            or not isinstance(found[0], Address)
            or found[0].addr_spec != addr_spec
            or found[0].display_name != display_name
        ):
            raise _not_one_address(field)


@lru_cache(maxsize=1024)
def ascii_domain(addr_spec: str) -> str:
    """``addr_spec`` with an internationalised domain as its A-label, when that is enough.

    An ASCII local part at an IDN domain (``matti@hyvä.fi``) needs no SMTPUTF8:
    the domain goes out as ``xn--hyv-ela.fi`` (IDNA 2008 with UTS #46, as the
    validator that accepted the address computes it). A non-ASCII local part
    needs SMTPUTF8 anyway, so such an address is returned unchanged, and so is
    one the validator refuses (the header parser then decides).
    """
    local, at, domain = addr_spec.rpartition("@")
    if not at or domain.isascii() or not local.isascii():
        return addr_spec
    try:
        checked = validate_email(addr_spec, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return addr_spec
    return f"{local}@{checked.ascii_domain}"


def make_address(field: str, addr_spec: str, display_name: str | None = None) -> Address:
    """Like :func:`address_header`, returning the parsed :class:`Address`."""
    address: Address = address_header(field, "To", addr_spec, display_name).addresses[0]
    return address


@lru_cache(maxsize=64)
def parse_sender(sender: str, default_name: str) -> Address:
    """Parse a From setting like ``Posti <noreply@posti.fi>`` (cached per value)."""
    check_header_value("sender", sender)
    try:
        header = POLICY.header_factory("From", sender)
        addresses: tuple[Address, ...] = tuple(getattr(header, "addresses", ()))
    except Exception as error:  # the 3.11 parser raises ValueError, IndexError, ...
        raise _not_one_address("sender", error) from error
    if len(addresses) != 1 or header.defects:
        raise InvalidAddress("sender", "expected one address", value=sender)
    address: Address = addresses[0]
    return make_address("sender", address.addr_spec, address.display_name or default_name)


# Printable ASCII words separated by single spaces: a value the stdlib folder
# would emit unchanged when it fits on one line.
_SIMPLE = re.compile(r"[!-~]+(?: [!-~]+)*")


class _FoldOnce(BaseHeader):
    """A header that folds at most once per policy, cheaply when it can.

    Shared headers (From, Subject, Content-Type) are reused across messages,
    so their folded form is remembered. A short printable-ASCII value folds to
    ``name: value`` exactly as the stdlib's folder would write it (a test
    compares them), without walking its parse tree again.
    """

    def fold(self, *, policy: Any) -> str:
        key = (policy.utf8, policy.linesep, policy.max_line_length, policy.cte_type)
        memo: dict[tuple[object, ...], str] = self.__dict__.setdefault("_folded", {})
        folded = memo.get(key)
        if folded is None:
            folded = memo[key] = self._fast_fold(policy) or self._fold(policy)
        return folded

    def _fast_fold(self, policy: Any) -> str | None:
        tree = getattr(self, "_parse_tree", None)
        if tree is None and hasattr(self, "addresses") and not policy.utf8:
            # A plain mailbox from _QuickAddress: its words, then <addr-spec>.
            (address,) = self.addresses
            tokens = [*(word_tokens(address.display_name, phrase=True) or []),
                      f"<{address.addr_spec}>"]
            if not address.display_name:
                tokens = [address.addr_spec]
            return fold_tokens(self.name, tokens, policy.linesep, policy.max_line_length)
        # The folder writes the parse tree; for address headers that keeps what
        # str(self) drops (a bare address's <>), elsewhere it equals str(self).
        value = str(tree) if tree is not None and hasattr(self, "addresses") else str(self)
        if (
            len(self.name) + 2 + len(value) <= policy.max_line_length
            and "=?" not in value
            and _SIMPLE.fullmatch(value)
        ):
            return f"{self.name}: {value}{policy.linesep}"
        return None

    def _fold(self, policy: Any) -> str:
        if getattr(self, "_parse_tree", None) is None:
            # Skipped by a _Quick* class; the stdlib folder needs it after all.
            self._parse_tree = self.value_parser(str(self))  # type: ignore[attr-defined]
        return super().fold(policy=policy)


_ATOM = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+"
_ASCII_ATOM = re.compile(_ATOM)
_PLAIN_ADDR_SPEC = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*")
_SPECIALS = frozenset('()<>[]:;@\\,."')


def _plain_mailbox(address: Address) -> bool:
    """True for ``Name <local@domain>`` needing no quoting (most real names)."""
    if not _PLAIN_ADDR_SPEC.fullmatch(address.addr_spec):
        return False
    name = address.display_name
    if name != " ".join(name.split()):
        return False
    for word in name.split():
        if "=?" in word:
            return False
        if word.isascii():
            if not _ASCII_ATOM.fullmatch(word):
                return False
        elif not _SPECIALS.isdisjoint(word):
            return False
    return word_tokens(name, phrase=True) is not None


class _QuickAddress(UniqueAddressHeader):
    """From/To built from an :class:`Address` without re-parsing its text.

    A plain mailbox needs no parse tree: it is folded from its words. Anything
    else takes the standard library's path unchanged.
    """

    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        if isinstance(value, Address) and _plain_mailbox(value):
            kwds["groups"] = [Group(None, [value])]
            kwds["defects"] = []
            kwds["decoded"] = str(value)
            kwds["parse_tree"] = None
            return
        super().parse(value, kwds)


class _QuickDate(UniqueDateHeader):
    """Date from a datetime, without parsing back the text it was formatted to."""

    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        if isinstance(value, datetime) and value.tzinfo is not None:
            kwds["datetime"] = value
            kwds["decoded"] = format_datetime(value)
            kwds["parse_tree"] = None
            return
        super().parse(value, kwds)


class _WordEncoded(UnstructuredHeader):
    """Subject: Python would put ASCII words inside one long encoded word."""

    def _fold(self, policy: Any) -> str:
        header = cast(BaseHeader, self)
        if policy.utf8:  # raw UTF-8 is allowed: nothing to encode
            return BaseHeader.fold(header, policy=policy)
        return fold_words(header.name, str(header), policy.linesep, policy.max_line_length)


class _Registry(HeaderRegistry):
    """``HeaderRegistry`` that builds each header class once, not on every header."""

    def __init__(self) -> None:
        super().__init__(base_class=_FoldOnce)
        self.map_to_type("subject", _WordEncoded)  # type: ignore[arg-type]
        for name in ("from", "to"):
            self.map_to_type(name, _QuickAddress)  # type: ignore[arg-type]
        self.map_to_type("date", _QuickDate)  # type: ignore[arg-type]

    @cache  # noqa: B019 - one registry per process; the cache is meant to live forever
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)


#: ``email.policy.SMTP`` with faster header classes (same output).
POLICY: EmailPolicy[EmailMessage] = SMTP.clone(header_factory=_Registry())
#: The same for messages whose addresses need SMTPUTF8 (headers go out as UTF-8).
POLICY_UTF8: EmailPolicy[EmailMessage] = POLICY.clone(utf8=True)


@lru_cache(maxsize=256)
def constant_header(policy: EmailPolicy[EmailMessage], name: str, value: str) -> BaseHeader:
    """A parsed header for a value many messages share (Subject, From, ...)."""
    check_header_value(name, value)
    return policy.header_factory(name, value)  # type: ignore[no-any-return]
