"""The invitation panel: what a captured invitation mail says and whether it holds.

The token is decoded without a key (anyone can read its payload and signing
time). With the service's secret keys the signature is checked; with the
service's invitation store the invitation's state is looked up. Both need the
:mod:`invitations` package, imported only when a token is checked; without
it the panel says so and shows what the mail itself states. The language
sections are compared: all configured languages present, in order, each with
the same link and the same expiry instant.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from ..catalog import TIMEZONE, Language
from ..mail import (
    InvitationToken,
    ParsedMail,
    Section,
    TokenUnreadable,
    expiry_instants,
    peek_token,
)

if TYPE_CHECKING:
    from invitations.tokens import TokenSigner

#: The states the panel can show; ``None`` means "not checked" (no keys, no store).
STATES = ("valid", "expired", "used", "revoked", "tampered", "superseded", "unknown")


@dataclass(frozen=True)
class SectionCheck:
    """One language section as the panel shows it."""

    lang: str
    name: str
    text: str
    link: str | None
    link_ok: bool
    expires: datetime | None
    expiry_ok: bool

    @property
    def ok(self) -> bool:
        return self.link_ok and self.expiry_ok


@dataclass(frozen=True)
class Verdict:
    """The invitation's state according to the keys and/or the store."""

    state: str
    detail: str | None = None
    expires_at: datetime | None = None
    #: The languages the invitation was issued in (known from the store).
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Panel:
    """Everything the invitation panel template shows."""

    link: str
    decoded: InvitationToken | None
    expires_at: datetime | None
    time_left: str
    state: str | None
    state_label: str
    state_detail: str | None
    expected: tuple[str, ...]
    sections: list[SectionCheck]
    problems: list[str]

    @property
    def sections_ok(self) -> bool:
        return not self.problems

    @property
    def link_is_web(self) -> bool:
        """Whether the link may become an anchor: only ``http``/``https`` URLs do."""
        return urlsplit(self.link.strip()).scheme.lower() in ("http", "https")


class Clock(Protocol):
    """What the panel needs of a clock (``invitations.clock.Clock`` fits)."""

    def now(self) -> datetime: ...


class SystemTime:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ToolkitMissing(RuntimeError):
    """Checking a token needs the ``invitations`` package, which is not installed."""


class InvitationChecker:
    """Checks tokens against the service's keys and/or its invitation store."""

    def __init__(
        self,
        secret_keys: Sequence[str] = (),
        invitations_db: str | Path | None = None,
        *,
        validity: timedelta = timedelta(days=7),
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemTime()
        self.validity = validity
        self._keys = list(secret_keys)
        self._signer: TokenSigner | None = None
        # Read at each check, not at start-up: the service may create it later.
        self._db = Path(invitations_db) if invitations_db else None

    @property
    def enabled(self) -> bool:
        return bool(self._keys) or self._db is not None

    def check(self, token: str, decoded: InvitationToken | None, lang: str) -> Verdict | None:
        """The token's state, or None when there is nothing to check it with.

        Raises :class:`ToolkitMissing` when keys or a store are configured but
        the ``invitations`` package is not installed.
        """
        if not self.enabled:
            return None
        try:
            from invitations.errors import InvitationError, InvitationInvalid
            from invitations.tokens import TokenExpired, TokenSigner
        except ImportError as error:
            raise ToolkitMissing(str(error)) from error
        try:
            if self._keys:
                if self._signer is None:
                    self._signer = TokenSigner(self._keys, max_age=self.validity,
                                               clock=self.clock)
                try:
                    self._signer.load(token)
                except TokenExpired as expired:
                    return self._with_store(decoded, lang, Verdict("expired", None,
                                                                  expired.expires_at))
                except InvitationInvalid as error:
                    return Verdict("tampered", error.message(lang))
            return self._with_store(decoded, lang, Verdict("valid"))
        except InvitationError as error:
            return Verdict("unknown", error.message(lang))

    def _with_store(self, decoded: InvitationToken | None, lang: str,
                    verdict: Verdict) -> Verdict:
        """``verdict`` corrected by the invitation store (when one is configured)."""
        if self._db is None:
            return verdict
        from invitations.errors import TokenMalformed
        from invitations.models import InvitationStatus
        from invitations.store import SQLiteInvitationStore
        from invitations.tokens import hash_nonce

        if decoded is None:
            return Verdict("tampered", TokenMalformed().message(lang))
        if not self._db.is_file():
            # Opening it would create an empty store that knows no invitation.
            raise sqlite3.OperationalError(f"{self._db} does not exist")
        store = SQLiteInvitationStore(self._db)
        try:
            stored = store.get(decoded.id, now=self.clock.now())
        finally:
            store.close()
        if stored is None:
            return Verdict("unknown")
        # The service's order: a closed invitation says so whatever the link;
        # then an older link of a resent one; then time.
        invitation = stored.invitation
        closed = {
            InvitationStatus.ACCEPTED: "used",
            InvitationStatus.AWAITING_CONFIRMATION: "used",
            InvitationStatus.REVOKED: "revoked",
        }.get(invitation.status)
        nonce = _nonce(decoded)
        if closed is None and nonce is not None and hash_nonce(nonce) != stored.nonce_hash:
            closed = "superseded"
        if closed is None and invitation.status is InvitationStatus.EXPIRED:
            closed = "expired"
        # A replaced link keeps its own expiry (the token's), not the new link's.
        expires = None if closed == "superseded" else invitation.expires_at
        return Verdict(closed or verdict.state, verdict.detail, expires,
                       tuple(invitation.languages))


def _nonce(decoded: InvitationToken) -> str | None:
    payload = decoded.payload
    if isinstance(payload, list) and len(payload) > 1 and isinstance(payload[1], str):
        return payload[1]
    return None


def time_left(expires_at: datetime, now: datetime, language: Language) -> str:
    """``6 vrk 23 h`` / ``6 dygn 23 h`` / ``6 d 23 h``; hours and minutes under a day."""
    left = expires_at - now
    if left <= timedelta(0):
        return language.gettext("expired")
    minutes = int(left.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return language.gettext("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    return language.gettext("%(hours)s h %(minutes)s min") % {"hours": hours,
                                                                "minutes": minutes}


def _instant(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    # Mail text states Finnish time ("4.12.2026 klo 23.09 (Suomen aikaa)").
    return when if when.tzinfo else when.replace(tzinfo=TIMEZONE)


#: Mail text states the expiry to the minute; ``<time datetime>`` and the token
#: to the second. Instants closer than this are "the same".
_EXPIRY_SLACK = timedelta(minutes=1)


def _close(instants: Sequence[datetime]) -> bool:
    return not instants or max(instants) - min(instants) < _EXPIRY_SLACK


def _section_expiry(section: Section) -> datetime | None:
    """The one instant a section states (its ``<time>`` and its text agreeing), else None."""
    instants = [when for value in expiry_instants(section)
                if (when := _instant(value)) is not None]
    if not instants or not _close(instants):
        return None
    exact = [when for value in section.times if (when := _instant(value)) is not None]
    return min(exact or instants)


def check_sections(
    sections: Sequence[Section], link: str, expected: Sequence[str], language: Language,
    expires_at: datetime | None = None,
) -> tuple[list[SectionCheck], list[str]]:
    """Per-section results and the problems found, worded for a QA reader.

    Each section must carry ``link`` and state one expiry instant; all
    sections the same one, and (when known) the token's within a minute.
    """
    gettext = language.gettext
    found = [section.lang for section in sections]
    problems: list[str] = []
    if found != list(expected):
        problems.append(gettext("Sections found: %(found)s; expected: %(expected)s.") % {
            "found": ", ".join(found) or "—", "expected": ", ".join(expected)})
    checks: list[SectionCheck] = []
    expiries: list[datetime] = []
    for section in sections:
        urls = [item.url for item in section.links]
        expires = _section_expiry(section)
        if expires is not None:
            expiries.append(expires)
        checks.append(SectionCheck(
            lang=section.lang,
            name=_language_name(section.lang, language),
            text=section.text,
            link=link if link in urls else None,
            link_ok=link in urls,
            expires=expires,
            expiry_ok=expires is not None,
        ))
    if expires_at is not None:
        late = [check for check in checks if check.expires is not None
                and abs(check.expires - expires_at) >= _EXPIRY_SLACK]
        for check in late:
            assert check.expires is not None
            problems.append(gettext(
                "[%(lang)s] states %(stated)s but the link expires at %(expires)s.") % {
                "lang": check.lang, "stated": language.format_datetime(check.expires),
                "expires": language.format_datetime(expires_at)})
        checks = [_mark_expiry(check) if check in late else check for check in checks]
    for check in checks:
        if not check.link_ok:
            problems.append(gettext("[%(lang)s] lacks the invitation link.") % {
                "lang": check.lang})
        if not check.expiry_ok:
            problems.append(gettext("[%(lang)s] states no single expiry instant.") % {
                "lang": check.lang})
    if not _close(expiries):
        problems.append(gettext("The sections state different expiry instants."))
        checks = [_mark_expiry(check) for check in checks]
    return checks, problems


def _mark_expiry(check: SectionCheck) -> SectionCheck:
    return SectionCheck(check.lang, check.name, check.text, check.link, check.link_ok,
                        check.expires, False)


def _language_name(code: str, language: Language) -> str:
    try:
        return str(language.locale.languages.get(code, code))
    except (AttributeError, KeyError):
        return code


def build_panel(
    mail: ParsedMail,
    *,
    expected: Sequence[str],
    checker: InvitationChecker,
    language: Language,
) -> Panel | None:
    """The panel for ``mail``, or None when none of its links is an invitation link."""
    found = mail.find_invitation(strict=True)
    if found is None:
        return None
    link, token = found
    try:
        decoded: InvitationToken | None = peek_token(
            token, validity_days=checker.validity.total_seconds() / 86400)
    except TokenUnreadable:
        decoded = None
    note = None
    try:
        verdict = checker.check(token, decoded, language.code)
    except ToolkitMissing:
        verdict = None
        note = language.gettext(
            "The invitations package is not installed here, so the token's signature and "
            "state were not checked.")
    except sqlite3.Error as error:
        verdict = Verdict("unknown", language.gettext(
            "The invitation database cannot be read (%(error)s); check --invitations-db.")
            % {"error": error})
    expires_at = (verdict.expires_at if verdict and verdict.expires_at
                  else decoded.expires_at if decoded else None)
    if verdict and verdict.languages:
        expected = verdict.languages
    sections, problems = check_sections(mail.sections, link, expected, language, expires_at)
    return Panel(
        link=link,
        decoded=decoded,
        expires_at=expires_at,
        # A used, revoked, replaced or tampered link has no time left, whatever its expiry.
        time_left=(state_label(verdict.state, language)
                   if verdict and verdict.state in _NO_TIME_LEFT
                   else time_left(expires_at, checker.clock.now(), language) if expires_at
                   else "—"),
        state=verdict.state if verdict else None,
        state_label=state_label(verdict.state, language) if verdict else "",
        state_detail=verdict.detail if verdict else note,
        expected=tuple(expected),
        sections=sections,
        problems=problems,
    )


_NO_TIME_LEFT = frozenset({"used", "revoked", "superseded", "tampered"})


def state_label(state: str, language: Language) -> str:
    gettext = language.gettext
    labels = {
        "valid": gettext("valid"),
        "expired": gettext("expired"),
        "used": gettext("used"),
        "revoked": gettext("revoked"),
        "tampered": gettext("tampered"),
        "superseded": gettext("replaced by a newer link"),
        "unknown": gettext("not in the invitation store"),
    }
    return labels.get(state, state)
