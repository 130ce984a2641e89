"""One captured message for a test: the mail model plus assertions.

:class:`CapturedMail` is a :class:`~devsmtp.mail.ParsedMail` (the same parse
the API and the inbox use) with the SMTP envelope, the modern
:class:`~email.message.EmailMessage` for tests that edit a copy, and the
``assert_*`` methods. Works on raw bytes alone (``CapturedMail(raw_bytes)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, Self
from urllib.parse import urlsplit

from ..envelope import Envelope
from ..mail import InvitationToken, ParsedMail, Section, expiry_instants
from .catalogs import leaks, load_catalogs
from .errors import MailAssertionError, decode_token

if TYPE_CHECKING:
    from ..checks import CompatReport, LinksReport, SpamReport, TokenChecker

__all__ = ["CapturedMail"]


class _Response(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...


class _Getter(Protocol):
    """What ``assert_link_works`` needs: ``httpx.Client`` and Starlette's TestClient fit."""

    def get(self, url: str, *, follow_redirects: bool = ...) -> Any: ...


# --------------------------------------------------------------------------- mail


class CapturedMail(ParsedMail):
    """One captured message: the exact bytes plus parsed views of them."""

    def __init__(
        self,
        raw: bytes,
        *,
        id: str | None = None,
        seq: int | None = None,
        envelope: Envelope | None = None,
    ) -> None:
        super().__init__(raw)
        self.id = id
        self.seq = seq
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

    @cached_property
    def message(self) -> EmailMessage:
        """The bytes as a modern :class:`EmailMessage` (``policy.default``), parsed on
        first use: for tests that edit a copy and rebuild it with :meth:`from_message`."""
        msg = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg

    # -- envelope
    @property
    def envelope(self) -> Envelope:
        """The SMTP envelope; from the headers when the server did not record one."""
        if self._envelope is not None:
            return self._envelope
        rcpts = [a for _, a in getaddresses(self.header_values("To") + self.header_values("Cc"))
                 if a]
        pairs = getaddresses(self.header_values("From"))
        return Envelope(pairs[0][1] if pairs else "", tuple(rcpts))

    @property
    def sender(self) -> str:
        """Envelope sender (``MAIL FROM``)."""
        return self.envelope.mail_from

    @property
    def to(self) -> list[str]:
        """Envelope recipients (``RCPT TO``)."""
        return list(self.envelope.rcpt_to)

    def section(self, lang: str) -> Section:
        """The section written in ``lang``, e.g. ``mail.section("sv").text``."""
        found = self.find_section(lang)
        if found is None:
            raise MailAssertionError(
                f"no lang={lang!r} section in the HTML part of {self.describe()}; "
                f"sections found: {self.languages or 'none'}"
            )
        return found

    # -- invitations
    def _invitation_found(self) -> tuple[str, str]:
        found = self.find_invitation()
        if found is None:
            raise MailAssertionError(
                f"no link with a token in {self.describe()}; links: "
                f"{[link.url for link in self.links] or 'none'}"
            )
        return found

    @property
    def invitation_link(self) -> str:
        """The registration link (``.../register?token=...``), else any link with a token."""
        return self._invitation_found()[0]

    @property
    def token(self) -> str:
        """The ``token`` query parameter of :attr:`invitation_link`."""
        return self._invitation_found()[1]

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
            if self.header(name) is None:
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

    # -- checks for the reader (devsmtp.checks)
    def assert_html_compatible(self, max_unsupported: int = 0,
                               clients: Sequence[str] | None = None) -> CompatReport:
        """At most ``max_unsupported`` HTML features some client in ``clients`` lacks.

        caniemail.com data (offline); ``clients`` are client families such as
        ``"outlook-windows"``, ``"gmail"`` (default: the six scored ones).
        Partly supported features are listed in the failure but not counted.
        Returns the :class:`~devsmtp.checks.CompatReport`.
        """
        from ..checks.compat import html_compatibility

        if self.html is None:
            raise MailAssertionError(f"no HTML part in {self.describe()}")
        report = html_compatibility(self.html, clients)
        names = {score.client: score.name for score in report.scores}
        lacking = [feature for feature in report.unsupported if feature.unsupported]
        if len(lacking) > max_unsupported:
            lines = []
            for feature in lacking:
                where = ", ".join(str(line) for line in feature.lines[:5])
                partly = (f"; partly in {', '.join(names[c] for c in feature.partial)}"
                          if feature.partial else "")
                lines.append(f"line {where}: {feature.title} ({feature.slug}) - not in "
                             f"{', '.join(names[c] for c in feature.unsupported)}{partly}")
            scores = ", ".join(f"{s.name} {s.supported:g}%" for s in report.scores)
            raise MailAssertionError(
                f"{len(lacking)} HTML feature(s) unsupported (at most {max_unsupported} "
                f"allowed) in the HTML part of {self.describe()}:\n  " + "\n  ".join(lines)
                + f"\n  scores: {scores}")
        return report

    def assert_spam_score_below(self, limit: float, *, spamd: str | None = None) -> SpamReport:
        """SpamAssassin (local tests, ``spamassassin -L``) scores this mail under ``limit``.

        Fails, saying why, when SpamAssassin is not installed. ``spamd``
        (``host:port``) asks a running spamd through ``spamc`` instead.
        """
        from ..checks.spam import spam_score

        report = spam_score(self.raw, spamd=spamd)
        if not report.available or report.score is None:
            raise MailAssertionError(f"no spam score for {self.describe()}: {report.reason}")
        if report.score >= limit:
            rules = [f"{rule.points:+.1f} {rule.name}: {rule.description}"
                     for rule in sorted(report.rules, key=lambda r: -r.points) if rule.points]
            raise MailAssertionError(
                f"SpamAssassin scores {self.describe()} {report.score:g}, not below {limit:g}; "
                "rules hit:\n  " + "\n  ".join(rules or ["(none with points)"]))
        return report

    def assert_links_ok(self, *, base_url: str | None = None, allow_hosts: Sequence[str] = (),
                        checker: TokenChecker | None = None) -> LinksReport:
        """Every link and image answers, lies under ``base_url`` (when given), and the
        invitation link's token is valid now.

        Only loopback hosts and ``allow_hosts`` are requested; other URLs are
        listed as not fetched (and fail only when they are not under
        ``base_url``). ``checker`` (the inbox's ``InvitationChecker``) verifies
        the token with the service's keys and store; without it the token is
        only decoded and its expiry compared with now.
        """
        from ..checks.links import check_links

        report = check_links(self, base_url=base_url, allow_hosts=allow_hosts, checker=checker)
        if report.failures:
            lines = [f"{'line ' + str(link.line) if link.line else link.parts[0] + ' part'}: "
                     f"{link.kind} {link.url} {'; '.join(link.problems)}"
                     for link in report.failures]
            raise MailAssertionError(f"{len(lines)} bad link(s) in {self.describe()}:\n  "
                                     + "\n  ".join(lines))
        return report

    @staticmethod
    def _safe(get: Callable[[], str]) -> str | None:
        try:
            return str(get())
        except MailAssertionError:
            return None

    def __repr__(self) -> str:
        return f"<CapturedMail {self.id or ''} {self.describe()}>"
