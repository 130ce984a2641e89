"""Read and assert on mail captured by devsmtp, from tests.

:class:`Capture` is what the ``smtp_capture`` fixture hands a test: one private
recipient domain on a (possibly shared) devsmtp server, with
:meth:`Capture.wait_for`, :meth:`Capture.expect` and
:meth:`Capture.assert_nothing_sent`. Waiting uses the server's push API
(``GET /api/wait``), never a sleep loop. :class:`CapturedMail` parses one
message and carries the assertions; every failure lists what did arrive.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, overload

import httpx

from ._testing_html import Link, Section
from ._testing_mail import (
    CapturedMail,
    Envelope,
    InvitationToken,
    MailAssertionError,
    decode_token,
)
from .errors import DevSMTPError, ServerUnreachable

__all__ = [
    "Capture",
    "CapturedMail",
    "DevSMTPClient",
    "Envelope",
    "InvitationToken",
    "Link",
    "MailAssertionError",
    "Section",
    "decode_token",
    "write_eml",
]


# --------------------------------------------------------------------------- client


def _seq(summary: Mapping[str, Any]) -> int:
    """The message's place in the server's monotonic sequence (its id)."""
    return int(summary.get("seq", summary.get("id", 0)))


class DevSMTPClient:
    """A small synchronous client for devsmtp's JSON API (``/api/...``)."""

    def __init__(self, api_url: str, *, timeout: float = 10.0) -> None:
        self.api_url = api_url.rstrip("/")
        base = self.api_url if self.api_url.endswith("/api") else self.api_url + "/api"
        self._http = httpx.Client(base_url=base, timeout=timeout, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"{self.api_url}: {exc}") from exc

    def _json(self, response: httpx.Response) -> Any:
        if response.is_error:
            raise DevSMTPError(
                f"{response.request.method} {response.request.url} answered "
                f"{response.status_code}: {response.text[:300]}"
            )
        return response.json()

    def summaries(self, *, limit: int = 500, **filters: Any) -> list[dict[str, Any]]:
        """Summaries, newest first; filters: to, from_, subject, q, after."""
        params = {k.rstrip("_"): v for k, v in filters.items() if v is not None}
        out: list[dict[str, Any]] = []
        cursor: Any = None
        while len(out) < limit:
            page_params = dict(params, limit=min(limit - len(out), 200))
            if cursor is not None:
                page_params["before"] = cursor
            body = self._json(self._request("GET", "/messages", params=page_params))
            out.extend(body.get("messages", []))
            cursor = body.get("next")
            if not cursor or not body.get("messages"):
                break
        return out

    def _json_ok(self, response: httpx.Response) -> None:
        if response.is_error:
            self._json(response)

    def detail(self, message_id: int | str) -> dict[str, Any]:
        """``GET /api/messages/{id}``: summary, headers, text, HTML, links, envelope."""
        result: dict[str, Any] = self._json(self._request("GET", f"/messages/{message_id}"))
        return result

    def raw(self, message_id: int | str) -> bytes:
        """The exact bytes the server received in DATA."""
        response = self._request("GET", f"/messages/{message_id}/raw")
        self._json_ok(response)
        return response.content

    def fetch(self, summary: Mapping[str, Any]) -> CapturedMail:
        """Download the exact bytes behind a summary."""
        message_id = str(summary["id"])
        env = summary.get("envelope") or {}
        mail_from = env.get("mail_from", summary.get("mail_from", summary.get("from", "")))
        rcpts = env.get("rcpt_to", summary.get("to", []))
        return CapturedMail(self.raw(message_id), id=message_id, seq=_seq(summary),
                            envelope=Envelope(str(mail_from or ""), tuple(rcpts or ())))

    def last_seq(self) -> int:
        """The sequence number of the newest stored message (0 when empty)."""
        body = self._json(self._request("GET", "/messages", params={"limit": 1}))
        messages = body.get("messages") or [{}]
        return int(body.get("latest") or _seq(messages[0]))

    def wait(self, *, to: str | None = None, subject: str | None = None,
             after: int | None = None, count: int = 1, timeout: float = 5.0
             ) -> tuple[list[dict[str, Any]], bool]:
        """Hold until ``count`` matching messages are stored (the server pushes).

        Returns the matching summaries (already stored ones count) and whether
        there were enough; on the server's 408 the list holds what did match.
        """
        params = {"to": to, "subject": subject, "after": after, "count": count,
                  "timeout": timeout}
        response = self._request(
            "GET", "/wait", params={k: v for k, v in params.items() if v is not None},
            timeout=timeout + 10,
        )
        complete = response.status_code != 408
        body = self._json(response) if complete else response.json()
        messages = body.get("messages", [])
        return [dict(item) for item in messages], complete and bool(messages)

    def delete(self, *, to: str | None = None) -> None:
        """Delete every message, or one inbox's (``to`` an address or ``@domain``)."""
        self._json_ok(self._request("DELETE", "/messages", params={"to": to} if to else None))

    def add_faults(self, rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Install fault rules (``PUT /api/faults``); returns them with their ids."""
        body = self._json(self._request("PUT", "/faults", json={"rules": list(rules)}))
        stored = body.get("rules", body) if isinstance(body, Mapping) else body
        return list(stored)

    def faults(self) -> list[dict[str, Any]]:
        """The installed fault rules, with how often each has fired."""
        body = self._json(self._request("GET", "/faults"))
        return list(body.get("rules", []) if isinstance(body, Mapping) else body)

    def clear_faults(self, ids: Sequence[str] | None = None) -> None:
        """Remove the rules ``ids``, or every rule when ``ids`` is None."""
        if ids is None:
            self._json_ok(self._request("DELETE", "/faults"))
        for rule_id in ids or ():
            self._json_ok(self._request("DELETE", f"/faults/{rule_id}"))


# --------------------------------------------------------------------------- capture


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
        return sorted((s for s in summaries if _seq(s) not in self.seen and _seq(s) > self.start
                       and self._mine(s, to, subject)), key=_seq)

    def _take(self, summaries: Sequence[Mapping[str, Any]]) -> list[CapturedMail]:
        self.seen.update((_seq(s), s) for s in summaries)
        return [self.client.fetch(s) for s in summaries]

    def messages(self, *, to: str | None = None, subject: str | None = None) -> list[CapturedMail]:
        """Every mail of this test (oldest first) matching ``to``/``subject``; takes none."""
        summaries = self.client.summaries(to=self._to(to), subject=subject, after=self.start)
        return [self.client.fetch(s) for s in sorted(summaries, key=_seq)
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
        taken = sum(1 for s in self.seen.values() if _seq(s) > after and self._mine(s, to, subject))
        summaries, _ = self.client.wait(to=self._to(to), subject=subject, after=after,
                                        count=count + taken, timeout=timeout)
        fresh = [s for s in self._fresh(summaries, to, subject) if _seq(s) > after][:count]
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
        got.extend(self._take([s for s in self._fresh(rest, to, subject) if _seq(s) > entry]))
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
        summaries = sorted(own + others, key=_seq)
        lines = [headline, f"captured since the test started ({len(summaries)} shown):"]
        for s in summaries:
            notes = ("" if self._mine(s, None, None) else "  [not this test's domain]") + (
                "  [handed out]" if _seq(s) in self.seen else "")
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
