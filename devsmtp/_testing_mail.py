"""Parsed views of one captured message and the assertions on it.

Used through :mod:`devsmtp.testing`; works on raw bytes alone, so it can be
unit-tested and used without a server (``CapturedMail(raw_bytes)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, urlsplit

from ._testing_html import (
    Link,
    Section,
    expiry_instants,
    html_sections,
    leaks,
    load_catalogs,
    text_links,
)


class MailAssertionError(AssertionError):
    """A mail expectation failed; the message lists the mail that did arrive."""


@dataclass(frozen=True)
class Envelope:
    """SMTP envelope: ``MAIL FROM`` and every ``RCPT TO`` (so Bcc is visible)."""

    mail_from: str
    rcpt_to: tuple[str, ...]


@dataclass(frozen=True)
class InvitationToken:
    """What an invitation token says without its key: who, when signed, until when.

    The signature is *not* checked here (the test has no business holding the
    service's keys); use the service's ``verify`` for that.
    """

    id: str
    payload: Any
    signed_at: datetime
    expires_at: datetime


class _Response(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...


class _Getter(Protocol):
    """What ``assert_link_works`` needs: ``httpx.Client`` and Starlette's TestClient fit."""

    def get(self, url: str, *, follow_redirects: bool = ...) -> Any: ...


# --------------------------------------------------------------------------- mail


class CapturedMail:
    """One captured message: the exact bytes plus parsed views of them."""

    def __init__(
        self,
        raw: bytes,
        *,
        id: str | None = None,
        seq: int | None = None,
        envelope: Envelope | None = None,
    ) -> None:
        self.raw = raw
        self.id = id
        self.seq = seq
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.message: EmailMessage = msg
        self._envelope = envelope

    @classmethod
    def from_message(cls, msg: EmailMessage, **kwargs: Any) -> Self:
        """Build from an :class:`EmailMessage` (for unit tests without SMTP)."""
        return cls(msg.as_bytes(policy=policy.SMTP), **kwargs)

    @classmethod
    def from_outgoing(cls, message: Any) -> Self:
        """Build from an ``OutgoingMessage`` (e.g. ``mail_outbox.outbox[0]``)."""
        envelope = Envelope(message.sender, tuple(message.recipients))
        return cls(message.data, id=message.message_id, envelope=envelope)

    # -- headers and envelope
    @property
    def subject(self) -> str:
        """The decoded subject (RFC 2047 words joined), ``""`` when absent."""
        value = self.message.get("Subject")
        return "" if value is None else str(value)

    @property
    def envelope(self) -> Envelope:
        """The SMTP envelope; from the headers when the server did not record one."""
        if self._envelope is not None:
            return self._envelope
        rcpts = [a for _, a in getaddresses(self.message.get_all("To", []) +
                                            self.message.get_all("Cc", [])) if a]
        return Envelope(self._from_header(), tuple(rcpts))

    @property
    def sender(self) -> str:
        """Envelope sender (``MAIL FROM``)."""
        return self.envelope.mail_from

    @property
    def to(self) -> list[str]:
        """Envelope recipients (``RCPT TO``)."""
        return list(self.envelope.rcpt_to)

    @property
    def headers(self) -> list[tuple[str, str]]:
        """Every header as ``(name, decoded value)``, in order."""
        return [(k, str(v)) for k, v in self.message.items()]

    def header(self, name: str) -> str | None:
        value = self.message.get(name)
        return None if value is None else str(value)

    def _from_header(self) -> str:
        pairs = getaddresses(self.message.get_all("From", []))
        return pairs[0][1] if pairs else ""

    # -- bodies
    def _body(self, subtype: str) -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None:
            return None
        content = part.get_content()
        return content if isinstance(content, str) else None

    @property
    def text(self) -> str | None:
        return self._body("plain")

    @property
    def html(self) -> str | None:
        return self._body("html")

    @property
    def sections(self) -> list[Section]:
        """The HTML's language sections (elements with ``lang``), in document order."""
        return html_sections(self.html or "")

    @property
    def languages(self) -> list[str]:
        return [s.lang for s in self.sections]

    def section(self, lang: str) -> Section:
        """The section written in ``lang``, e.g. ``mail.section("sv").text``."""
        for section in self.sections:
            if section.lang == lang:
                return section
        raise MailAssertionError(
            f"no lang={lang!r} section in the HTML part of {self.describe()}; "
            f"sections found: {self.languages or 'none'}"
        )

    @property
    def links(self) -> list[Link]:
        """Links of the HTML part (with anchor text and section), then of the text part."""
        html_links = [link for s in self.sections for link in s.links]
        if not html_links and self.html:  # no lang sections: the whole document
            html_links = [link for s in html_sections(self.html, whole=True) for link in s.links]
        return html_links + text_links(self.text or "")

    # -- invitations
    @property
    def invitation_link(self) -> str:
        """The registration link (``.../register?token=...``)."""
        for link in self.links:
            if "token=" in link.url and "/register" in link.url:
                return link.url
        for link in self.links:
            if "token=" in link.url:
                return link.url
        raise MailAssertionError(
            f"no link with a token in {self.describe()}; links: "
            f"{[link.url for link in self.links] or 'none'}"
        )

    @property
    def token(self) -> str:
        """The ``token`` query parameter of :attr:`invitation_link`."""
        values = parse_qs(urlsplit(self.invitation_link).query).get("token", [""])
        return values[0]

    @property
    def invitation(self) -> InvitationToken:
        """The token decoded (unverified): id, signed at, expires at (7 days later)."""
        return decode_token(self.token)

    # -- assertions
    def describe(self) -> str:
        return f"mail {self.subject!r} from {self.sender} to {', '.join(self.to)}"

    def assert_languages(self, *langs: str) -> None:
        """Every language present, in this order, with the same link and expiry instant."""
        found = self.languages
        problems: list[str] = []
        if found != list(langs):
            problems.append(f"sections {found}, expected {list(langs)} in this order")
        link = self._safe(lambda: self.invitation_link)
        expiries = {}
        for section in self.sections:
            urls = [each.url for each in section.links]
            if link and link not in urls:
                problems.append(f"[{section.lang}] lacks the link {link}; has {urls}")
            expiries[section.lang] = expiry_instants(section)
        distinct = {tuple(v) for v in expiries.values()}
        if any(not v for v in expiries.values()):
            problems.append(f"no expiry date found in: {[k for k, v in expiries.items() if not v]}")
        elif len(distinct) > 1:
            problems.append(f"expiry differs between sections: {expiries}")
        if problems:
            raise MailAssertionError(f"{self.describe()}:\n  " + "\n  ".join(problems))

    def assert_link_works(self, client: _Getter, *, status: int = 200) -> Any:
        """GET the invitation link twice with ``client``; both must answer ``status``.

        Twice, because mail scanners open links before people do: the first
        GET must not use the link up. ``client`` is an ``httpx.Client`` or a
        Starlette ``TestClient``; when it has a ``base_url`` only the link's
        path and query are sent to it (the app under test need not listen on
        the link's host). Redirects are followed. Returns the second response.
        """
        link = self.invitation_link
        target = link
        if str(getattr(client, "base_url", "") or ""):
            parts = urlsplit(link)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        for attempt in ("first", "second"):
            response: _Response = client.get(target, follow_redirects=True)
            if response.status_code != status:
                raise MailAssertionError(
                    f"{attempt} GET {target} (from {self.describe()}) answered "
                    f"{response.status_code}, expected {status}:\n{response.text[:500]}"
                )
        return response

    def assert_headers_safe(self) -> None:
        """No raw non-ASCII or bare CR/LF in headers; Message-ID, Date, Auto-Submitted set."""
        head = self.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        problems = []
        if not head.isascii():
            bad = [line for line in head.splitlines() if not line.isascii()]
            problems.append(f"raw non-ASCII header line(s): {bad[:3]}")
        if re.search(rb"\r(?!\n)|(?<!\r)\n", head):
            problems.append("a header line ends in a bare CR or LF")
        if any(len(line) > 998 for line in head.splitlines()):
            problems.append("a header line is longer than 998 octets")
        for name in ("Message-ID", "Date"):
            if self.message.get(name) is None:
                problems.append(f"no {name} header")
        auto = self.header("Auto-Submitted")
        if not auto or auto.strip().lower() == "no":
            problems.append(f"Auto-Submitted is {auto!r}; expected e.g. 'auto-generated'")
        if problems:
            raise MailAssertionError(f"unsafe headers in {self.describe()}:\n  "
                                     + "\n  ".join(problems))

    def assert_no_untranslated(self, catalogs: Mapping[str, Mapping[str, str]] | None = None
                               ) -> None:
        """No unrendered ``{{``/``%(`` and no text of another language in any section.

        ``catalogs`` maps lang -> {msgid: msgstr}; by default the toolkit's own
        catalogs are read when :mod:`invitations` is installed.
        """
        problems = leaks(self.sections, load_catalogs() if catalogs is None else catalogs)
        for part, body in (("text", self.text), ("html", self.html)):
            for marker in ("{{", "{%", "%(", "}}"):
                if body and marker in body:
                    where = body.index(marker)
                    problems.append(f"{part} part has unrendered {marker!r}: "
                                    f"...{body[max(0, where - 30):where + 30]!r}...")
        if problems:
            raise MailAssertionError(f"untranslated text in {self.describe()}:\n  "
                                     + "\n  ".join(problems))

    @staticmethod
    def _safe(get: Callable[[], str]) -> str | None:
        try:
            return str(get())
        except MailAssertionError:
            return None

    def __repr__(self) -> str:
        return f"<CapturedMail {self.id or ''} {self.describe()}>"


def decode_token(token: str, validity_days: float = 7) -> InvitationToken:
    """Read an itsdangerous timed token's payload and timestamp without its key."""
    import json
    import zlib
    from datetime import UTC, timedelta

    from itsdangerous.encoding import base64_decode, bytes_to_int
    from itsdangerous.exc import BadData

    compressed = token.startswith(".")
    try:
        payload_b64, ts_b64, _sig = token.lstrip(".").rsplit(".", 2)
        data = base64_decode(payload_b64)
        payload = json.loads(zlib.decompress(data) if compressed else data)
        signed = datetime.fromtimestamp(bytes_to_int(base64_decode(ts_b64)), UTC)
    except (ValueError, zlib.error, BadData, OverflowError, OSError) as exc:
        raise MailAssertionError(f"token {token[:40]!r}... is not an itsdangerous token: {exc}"
                                 ) from exc
    if isinstance(payload, Mapping):
        ident = next((payload[k] for k in ("id", "invitation_id", "i") if k in payload), "")
    elif isinstance(payload, Sequence) and not isinstance(payload, str) and payload:
        ident = payload[0]
    else:
        ident = payload
    return InvitationToken(str(ident), payload, signed, signed + timedelta(days=validity_days))
