"""One test's inbox on a devsmtp server: wait for mail, expect mail, assert none.

:class:`Capture` is what the ``smtp_capture`` fixture hands a test: one private
recipient domain on a (possibly shared) devsmtp server, with
:meth:`Capture.wait_for`, :meth:`Capture.expect` and
:meth:`Capture.assert_nothing_sent`. Waiting uses the server's push API
(``GET /api/wait``), never a sleep loop; every failure lists what did arrive.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from .client import DevSMTPClient, seq_of
from .errors import MailAssertionError
from .mail import CapturedMail

__all__ = ["Capture", "write_eml"]


@dataclass
class Capture:
    """One test's view of devsmtp: its own recipient domain and what it has seen.

    ``wait_for`` and ``expect`` hand out each mail once (oldest first), so two
    ``wait_for`` calls in a row return two different mails; ``messages`` lists
    without taking; ``assert_nothing_sent`` fails on any mail not handed out.
    """

    client: DevSMTPClient
    smtp_host: str
    smtp_port: int
    domain: str = field(default_factory=lambda: f"t-{uuid.uuid4().hex[:12]}.example")
    #: The server's sequence number when the test started: older mail is never ours.
    start: int = -1
    seen: dict[int, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.start < 0:
            self.start = self.client.last_seq()

    @property
    def smtp_url(self) -> str:
        """``smtp://host:port`` for ``transport_from_url`` and ``INVITATIONS_TRANSPORT``."""
        return f"smtp://{self.smtp_host}:{self.smtp_port}"

    def address(self, local: str = "user") -> str:
        """An address in this test's private domain: ``alice`` -> ``alice@t-1f2e....example``."""
        return f"{local}@{self.domain}"

    def _to(self, to: str | None) -> str:
        """The server-side recipient filter: an address, or ``@domain`` for any of ours."""
        return "@" + self.domain if to is None else to if "@" in to else self.address(to)

    def _mine(self, summary: Mapping[str, Any], to: str | None, subject: str | None) -> bool:
        rcpts = [str(r).lower() for r in summary.get("to", [])]
        wanted = self._to(to).lower()
        if not any(r.endswith(wanted) if wanted.startswith("@") else r == wanted
                   for r in rcpts):
            return False
        return subject is None or subject.casefold() in str(summary.get("subject", "")).casefold()

    def _fresh(self, summaries: Sequence[Mapping[str, Any]], to: str | None,
               subject: str | None) -> list[Mapping[str, Any]]:
        return sorted((s for s in summaries if seq_of(s) not in self.seen and seq_of(s) > self.start
                       and self._mine(s, to, subject)), key=seq_of)

    def _take(self, summaries: Sequence[Mapping[str, Any]]) -> list[CapturedMail]:
        self.seen.update((seq_of(s), s) for s in summaries)
        return [self.client.fetch(s) for s in summaries]

    def messages(self, *, to: str | None = None, subject: str | None = None) -> list[CapturedMail]:
        """Every mail of this test (oldest first) matching ``to``/``subject``; takes none."""
        summaries = self.client.summaries(to=self._to(to), subject=subject, after=self.start)
        return [self.client.fetch(s) for s in sorted(summaries, key=seq_of)
                if self._mine(s, to, subject)]

    @overload
    def wait_for(self, to: str | None = ..., subject: str | None = ...,
                 count: None = ..., timeout: float = ...) -> CapturedMail: ...

    @overload
    def wait_for(self, to: str | None = ..., subject: str | None = ...,
                 count: int = ..., timeout: float = ...) -> list[CapturedMail]: ...

    def wait_for(self, to: str | None = None, subject: str | None = None,
                 count: int | None = None, timeout: float = 5.0
                 ) -> CapturedMail | list[CapturedMail]:
        """Return as soon as new matching mail is stored: one mail, or a list of ``count``.

        ``to`` is an address or a local part of this test's domain; ``None``
        means any address of the domain. ``subject`` matches a substring,
        ignoring case. Raises :class:`MailAssertionError` listing what arrived.
        """
        mails = self._collect(to, subject, count or 1, timeout, self.start)
        return mails if count is not None else mails[0]

    def _collect(self, to: str | None, subject: str | None, count: int, timeout: float,
                 after: int) -> list[CapturedMail]:
        # Mail already handed out still matches on the server: ask for that many more.
        taken = sum(1 for s in self.seen.values()
                    if seq_of(s) > after and self._mine(s, to, subject))
        summaries, _ = self.client.wait(to=self._to(to), subject=subject, after=after,
                                        count=count + taken, timeout=timeout)
        fresh = [s for s in self._fresh(summaries, to, subject) if seq_of(s) > after][:count]
        if len(fresh) < count:
            raise MailAssertionError(self.report(
                f"expected {count} new mail(s) to {self._to(to)}"
                f"{f' with subject ~ {subject!r}' if subject else ''} within {timeout}s, "
                f"got {len(fresh)}", to=to, subject=subject))
        return self._take(fresh)

    @contextmanager
    def expect(self, to: str | None = None, subject: str | None = None, count: int = 1,
               timeout: float = 5.0) -> Iterator[list[CapturedMail]]:
        """Collect the mail sent inside the ``with`` block (at least ``count``)."""
        entry = self.client.last_seq()
        got: list[CapturedMail] = []
        yield got
        got.extend(self._collect(to, subject, count, timeout, entry))
        # Anything else that matched and arrived since the block began.
        rest = self.client.summaries(to=self._to(to), subject=subject, after=entry)
        got.extend(self._take([s for s in self._fresh(rest, to, subject) if seq_of(s) > entry]))
        got.sort(key=lambda mail: mail.seq or 0)

    def assert_nothing_sent(self, within: float = 1.0, to: str | None = None) -> None:
        """Fail if mail for this test that was not handed out yet arrives within ``within`` s."""
        taken = sum(1 for s in self.seen.values() if self._mine(s, to, None))
        summaries, _ = self.client.wait(to=self._to(to), after=self.start, count=taken + 1,
                                        timeout=within)
        fresh = self._fresh(summaries, to, None)
        if fresh:
            raise MailAssertionError(self.report(
                f"expected no new mail to {self._to(to)}, but "
                f"{', '.join(repr(s.get('subject')) for s in fresh)} arrived", to=to))

    def report(self, headline: str, *, to: str | None = None, subject: str | None = None
               ) -> str:
        """``headline``, the mail stored since the test started, and the closest match.

        Lists this test's mail (up to 50) and the first 10 others (a wrong
        address shows up there); ``from`` is the From header.
        """
        own = self.client.summaries(to=self._to(None), after=self.start, limit=50)
        others = [s for s in self.client.summaries(after=self.start, limit=60)
                  if not self._mine(s, None, None)][:10]
        summaries = sorted(own + others, key=seq_of)
        lines = [headline, f"captured since the test started ({len(summaries)} shown):"]
        for s in summaries:
            notes = ("" if self._mine(s, None, None) else "  [not this test's domain]") + (
                "  [handed out]" if seq_of(s) in self.seen else "")
            lines.append(f"  - from {s.get('from')} to {', '.join(s.get('to', []))}: "
                         f"{s.get('subject')!r}{notes}")
        if not summaries:
            lines.append("  (nothing)")
        if summaries and (to or subject):
            def score(s: Mapping[str, Any]) -> float:
                rcpt = max((difflib.SequenceMatcher(None, self._to(to), r).ratio()
                            for r in s.get("to", [])), default=0.0)
                subj = difflib.SequenceMatcher(None, subject or "", s.get("subject", "")).ratio()
                return rcpt + subj
            best = max(summaries, key=score)
            lines.append(f"closest match: to {best.get('to')} subject {best.get('subject')!r}")
        return "\n".join(lines)

    def write_eml(self, directory: Path) -> list[Path]:
        """Write this test's mail as ``.eml`` files into ``directory``; return the paths."""
        return write_eml(directory, self.messages())


def write_eml(directory: Path, mails: Sequence[CapturedMail]) -> list[Path]:
    """Save ``mails`` as numbered ``.eml`` files (exact bytes); return the paths."""
    if mails:
        directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, mail in enumerate(mails, 1):
        slug = re.sub(r"[^A-Za-z0-9]+", "-", mail.subject)[:40].strip("-") or "mail"
        path = directory / f"{n:03d}-{slug}.eml"
        path.write_bytes(mail.raw)
        paths.append(path)
    return paths
