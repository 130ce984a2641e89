"""Helpers for the web inbox's browser tests.

Everything is real: devsmtp runs in-process on ports the OS picks, mail goes
over SMTP on loopback with :mod:`smtplib`, the invitation mail is the one the
service composes, and a tiny HTTP server on 127.0.0.1 counts any request a
hostile mail manages to make.
"""

from __future__ import annotations

import math
import smtplib
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page

from devsmtp.server import DevSMTP
from invitations.clock import Clock, FrozenClock
from invitations.models import Invitation
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.transports.base import OutgoingMessage
from invitations.transports.memory import MemoryTransport

from .scenario_support import COMPANY, KEY, MAIN_USER, START

__all__ = [
    "KEY", "START", "HitCounter", "Inbox", "Shots", "Watch", "inbox_fixture", "plain_mail",
    "running_inbox",
]

BASE_URL = "http://127.0.0.1:9"  # never opened by these tests: only shown and compared


@dataclass
class Inbox:
    """A running devsmtp (SMTP + web inbox) and the invitation service beside it."""

    server: DevSMTP
    service: InvitationService
    clock: FrozenClock
    outbox: list[OutgoingMessage]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.http_port}/"

    def send_raw(self, data: bytes, recipients: Sequence[str],
                 sender: str = "noreply@posti.fi", *, smtputf8: bool = False) -> None:
        with smtplib.SMTP("127.0.0.1", self.server.smtp_port, timeout=10) as client:
            options = ["SMTPUTF8"] if smtputf8 else []
            client.sendmail(sender, list(recipients), data, mail_options=options)

    def send(self, message: EmailMessage) -> None:
        recipients = [str(message["To"])]
        self.send_raw(message.as_bytes(policy=SMTP), recipients)

    def invite(self, email: str = "uusi.kayttaja@example.com") -> Invitation:
        """Issue an invitation with the real service and send its mail over SMTP."""
        invitation = self.service.send_invite(email, company=COMPANY, invited_by=MAIN_USER)
        mail = self.outbox[-1]
        self.send_raw(mail.data, mail.recipients, mail.sender, smtputf8=mail.smtputf8)
        return invitation


@dataclass
class _ServiceClock:
    """devsmtp reads the service's (frozen) clock, so "time left" is deterministic."""

    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()


@pytest.fixture(name="inbox")
def inbox_fixture(tmp_path: Path) -> Iterator[Inbox]:
    """A running :class:`Inbox` (import this into a test module to use ``inbox``)."""
    with running_inbox(tmp_path) as running:
        yield running


@contextmanager
def running_inbox(tmp_path: Path, **options: Any) -> Iterator[Inbox]:
    """devsmtp with the service's keys, store and clock, plus the service itself."""
    clock = FrozenClock(START)
    db = tmp_path / "invitations.sqlite3"
    store = SQLiteInvitationStore(db)
    outbox: list[OutgoingMessage] = []
    service = InvitationService([KEY], BASE_URL, MemoryTransport(outbox), store=store,
                                clock=clock)
    options.setdefault("secret_keys", [KEY])
    options.setdefault("invitations_db", str(db))
    options.setdefault("clock", _ServiceClock(clock))
    server = DevSMTP(tmp_path / "devsmtp", **options)
    server.start()
    try:
        yield Inbox(server, service, clock, outbox)
    finally:
        server.stop()
        store.close()


def plain_mail(subject: str, to: str, body: str = "Hei!\n", html: str | None = None,
               sender: str = "Testi <testi@example.com>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


class _Counting(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server = self.server
        assert isinstance(server, HitCounter)
        with server.lock:
            server.hits[self.path] += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/gif" if "png" in self.path else "text/plain")
        self.end_headers()
        self.wfile.write(b"GIF89a" if "png" in self.path else b"alert('pwned')")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the hits are the record."""


class HitCounter(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 that counts requests per path."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Counting)
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="hit-counter",
                                        daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> HitCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


@dataclass
class Shots:
    """Numbered screenshots of each step, in the test's artefact directory.

    The viewport grows to the page's height instead of using ``full_page``:
    Chromium's full-page capture leaves the sandboxed (out-of-process)
    preview iframe blank.
    """

    directory: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Page, name: str) -> Path:
        path = self.directory / f"{len(self.taken) + 1:02d}-{name}.png"
        size = page.viewport_size or {"width": 1280, "height": 900}
        box = page.locator("body").bounding_box()
        height = max(size["height"], math.ceil(box["height"]) if box else 0)
        page.set_viewport_size({"width": size["width"], "height": min(height, 4000)})
        try:
            page.screenshot(path=str(path))
        finally:
            page.set_viewport_size(size)
        assert path.stat().st_size > 1000, f"screenshot {path} is empty"
        self.taken.append(path)
        return path


class Watch:
    """Everything a page must not do: native dialogs, script errors, CSP violations."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.dialogs: list[str] = []
        self.problems: list[str] = []
        self.navigations: list[str] = []
        context.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on("console", self._console)
        page.on("framenavigated",
                lambda frame: self.navigations.append(frame.url) if frame == page.main_frame
                else None)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(message.text)
