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
from typing import Any, Literal, Self, overload

import httpx

from ._testing_html import Link, Section
from ._testing_mail import (
    CapturedMail,
    Envelope,
    InvitationToken,
    MailAssertionError,
    decode_token,
)

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
]


# --------------------------------------------------------------------------- client


def _seq(summary: Mapping[str, Any]) -> int:
    for key in ("seq", "sequence", "cursor"):
        if key in summary:
            return int(summary[key])
    return 0


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

    def _json(self, response: httpx.Response) -> Any:
        if response.is_error:
            raise RuntimeError(
                f"devsmtp API {response.request.method} {response.request.url} answered "
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
            body = self._json(self._http.get("/messages", params=page_params))
            out.extend(body.get("messages", []))
            cursor = body.get("next")
            if not cursor or not body.get("messages"):
                break
        return out

    def summary(self, message_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json(self._http.get(f"/messages/{message_id}"))
        return result

    def raw(self, message_id: str) -> bytes:
        response = self._http.get(f"/messages/{message_id}/raw")
        self._json_ok(response)
        return response.content

    def _json_ok(self, response: httpx.Response) -> None:
        if response.is_error:
            self._json(response)

    def fetch(self, summary: Mapping[str, Any]) -> CapturedMail:
        """Download the exact bytes behind a summary."""
        message_id = str(summary["id"])
        env = summary.get("envelope") or {}
        mail_from = env.get("mail_from", summary.get("from", ""))
        rcpts = env.get("rcpt_to", summary.get("to", []))
        return CapturedMail(self.raw(message_id), id=message_id, seq=_seq(summary),
                            envelope=Envelope(str(mail_from or ""), tuple(rcpts or ())))

    def last_seq(self) -> int:
        """The sequence number of the newest stored message (0 when empty)."""
        messages = self.summaries(limit=1)
        return _seq(messages[0]) if messages else 0

    def wait(self, *, to: str | None = None, subject: str | None = None,
             after: int | None = None, timeout: float = 5.0) -> dict[str, Any] | None:
        """Hold until a matching message is stored; ``None`` on the server's 408."""
        params = {"to": to, "subject": subject, "after": after, "timeout": timeout}
        response = self._http.get(
            "/wait", params={k: v for k, v in params.items() if v is not None},
            timeout=timeout + 10,
        )
        if response.status_code == 408:
            return None
        body = self._json(response)
        if isinstance(body, Mapping) and "message" in body:
            body = body["message"]
        if isinstance(body, Mapping) and "messages" in body:
            body = body["messages"][0]
        return dict(body)

    def delete(self, *, to: str | None = None) -> None:
        self._json_ok(self._http.delete("/messages", params={"to": to} if to else None))

    def add_faults(self, rules: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Install fault rules (``PUT /api/faults``); returns them with their ids."""
        body = self._json(self._http.put("/faults", json={"rules": list(rules)}))
        stored = body.get("rules", body) if isinstance(body, Mapping) else body
        return list(stored)

    def faults(self) -> list[dict[str, Any]]:
        body = self._json(self._http.get("/faults"))
        return list(body.get("rules", []) if isinstance(body, Mapping) else body)

    def clear_faults(self, ids: Sequence[str] | None = None) -> None:
        if ids is None:
            self._json_ok(self._http.delete("/faults"))
        for rule_id in ids or ():
            self._json_ok(self._http.delete(f"/faults/{rule_id}"))


# --------------------------------------------------------------------------- capture


@dataclass
class Capture:
    """One test's view of devsmtp: its own recipient domain, its own cursor."""

    client: DevSMTPClient
    smtp_host: str
    smtp_port: int
    domain: str = field(default_factory=lambda: f"t-{uuid.uuid4().hex[:12]}.example")
    start: int = -1
    #: Highest sequence number this capture has handed out.
    mark: int = 0

    def __post_init__(self) -> None:
        if self.start < 0:
            self.start = self.client.last_seq()
        self.mark = max(self.mark, self.start)

    @property
    def smtp_url(self) -> str:
        """``smtp://host:port`` for ``transport_from_url`` and ``INVITATIONS_TRANSPORT``."""
        return f"smtp://{self.smtp_host}:{self.smtp_port}"

    def address(self, local: str = "user") -> str:
        """An address in this test's private domain: ``alice`` -> ``alice@t-1f2e....example``."""
        return f"{local}@{self.domain}"

    def _to(self, to: str | None) -> str | None:
        return None if to is None else to if "@" in to else self.address(to)

    def _mine(self, summary: Mapping[str, Any], to: str | None, subject: str | None) -> bool:
        rcpts = [str(r).lower() for r in summary.get("to", [])]
        if to is not None and to.lower() not in rcpts:
            return False
        if to is None and not any(r.endswith("@" + self.domain) for r in rcpts):
            return False
        return subject is None or subject.casefold() in str(summary.get("subject", "")).casefold()

    def messages(self, *, to: str | None = None, subject: str | None = None,
                 after: int | None = None) -> list[CapturedMail]:
        """Mail of this test (oldest first) matching ``to``/``subject``."""
        after = self.start if after is None else after
        target = self._to(to)
        summaries = [s for s in self.client.summaries(to=target, after=after)
                     if self._mine(s, target, subject) and _seq(s) > after]
        mails = [self.client.fetch(s) for s in reversed(summaries)]
        self.mark = max([self.mark, *(m.seq or 0 for m in mails)])
        return mails

    @overload
    def wait_for(self, to: str | None = ..., subject: str | None = ...,
                 count: Literal[1] = ..., timeout: float = ...,
                 after: int | None = ...) -> CapturedMail: ...

    @overload
    def wait_for(self, to: str | None = ..., subject: str | None = ...,
                 count: int = ..., timeout: float = ...,
                 after: int | None = ...) -> list[CapturedMail]: ...

    def wait_for(self, to: str | None = None, subject: str | None = None, count: int = 1,
                 timeout: float = 5.0, after: int | None = None
                 ) -> CapturedMail | list[CapturedMail]:
        """Return as soon as ``count`` matching mails are stored (one mail when count=1).

        ``to`` is an address or a local part of this test's domain; ``None``
        means any address of the domain. ``subject`` matches a substring,
        ignoring case. Raises :class:`MailAssertionError` listing what arrived.
        """
        mails = self._collect(to, subject, count, timeout,
                              self.start if after is None else after)
        return mails[0] if count == 1 else mails

    def _collect(self, to: str | None, subject: str | None, count: int, timeout: float,
                 after: int) -> list[CapturedMail]:
        import time

        target = self._to(to)
        deadline = time.monotonic() + timeout
        found: list[Mapping[str, Any]] = []
        cursor = after
        # Each round is a server-side wait that returns when a message arrives;
        # bounded by the deadline and by a hard cap on rounds.
        for _ in range(10_000):
            remaining = deadline - time.monotonic()
            if len(found) >= count or remaining <= 0:
                break
            summary = self.client.wait(to=target, subject=subject, after=cursor,
                                       timeout=round(remaining, 3))
            if summary is None:
                break
            cursor = max(cursor, _seq(summary))
            if self._mine(summary, target, subject):
                found.append(summary)
        if len(found) < count:
            raise MailAssertionError(self.report(
                f"expected {count} mail(s) to {target or '*@' + self.domain}"
                f"{f' with subject ~ {subject!r}' if subject else ''} within {timeout}s, "
                f"got {len(found)}", to=target, subject=subject, after=after))
        mails = [self.client.fetch(s) for s in found]
        self.mark = max([self.mark, *(m.seq or 0 for m in mails)])
        return mails

    @contextmanager
    def expect(self, to: str | None = None, subject: str | None = None, count: int = 1,
               timeout: float = 5.0) -> Iterator[list[CapturedMail]]:
        """Collect the mail sent inside the ``with`` block (at least ``count``)."""
        entry = self.client.last_seq()
        got: list[CapturedMail] = []
        yield got
        self._collect(to, subject, count, timeout, entry)
        got.extend(self.messages(to=to, subject=subject, after=entry))

    def assert_nothing_sent(self, within: float = 1.0, to: str | None = None) -> None:
        """Fail if mail for this test arrives within ``within`` seconds (after :attr:`mark`)."""
        target = self._to(to)
        summary = self.client.wait(to=target, after=self.mark, timeout=within)
        # A server-side wait without ``to`` may wake for another test's mail.
        while summary is not None and not self._mine(summary, target, None):
            summary = self.client.wait(to=target, after=_seq(summary), timeout=within)
        if summary is not None:
            raise MailAssertionError(self.report(
                f"expected no mail to {target or '*@' + self.domain}, but "
                f"{summary.get('subject')!r} arrived", to=target, after=self.mark))

    def report(self, headline: str, *, to: str | None = None, subject: str | None = None,
               after: int | None = None) -> str:
        """``headline`` plus every mail stored since ``after`` and the closest match."""
        since = self.start if after is None else after
        summaries = list(reversed(self.client.summaries(after=since, limit=200)))
        lines = [headline, f"captured since the test started ({len(summaries)}):"]
        for s in summaries:
            mine = "" if self._mine(s, None, None) else "  [other test's domain]"
            lines.append(f"  - from {s.get('from')} to {', '.join(s.get('to', []))}: "
                         f"{s.get('subject')!r}{mine}")
        if not summaries:
            lines.append("  (nothing)")
        if summaries and (to or subject):
            def score(s: Mapping[str, Any]) -> float:
                rcpt = max((difflib.SequenceMatcher(None, to or "", r).ratio()
                            for r in s.get("to", [])), default=0.0)
                subj = difflib.SequenceMatcher(None, subject or "", s.get("subject", "")).ratio()
                return rcpt + subj
            best = max(summaries, key=score)
            lines.append(f"closest match: to {best.get('to')} subject {best.get('subject')!r}")
        return "\n".join(lines)

    def write_eml(self, directory: Any, after: int | None = None) -> list[Any]:
        """Write this test's mail as ``.eml`` files into ``directory``; return the paths."""
        from pathlib import Path

        target = Path(directory)
        mails = self.messages(after=after)
        if mails:
            target.mkdir(parents=True, exist_ok=True)
        paths = []
        for n, mail in enumerate(mails, 1):
            slug = re.sub(r"[^A-Za-z0-9]+", "-", mail.subject)[:40].strip("-") or "mail"
            path = target / f"{n:03d}-{slug}.eml"
            path.write_bytes(mail.raw)
            paths.append(path)
        return paths
