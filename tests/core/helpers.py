"""Shared test helpers for the foundation tests (imported as ``tests.core.helpers``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from invitations.models import Company, Invitation, Inviter, Registration, Role
from invitations.service import InvitationService
from invitations.transports.base import BaseTransport, OutgoingMessage, SendResult, SendStatus

KEY = "test-key-Qm7vR2xLp9cZ4tWb8NhJ3sYd6FgK1eU"  # random-looking: weak keys are refused
OLD_KEY = "old-key-Vf5aT8qE2wHn6KzP1rXc9LbM4yGs7Dj"
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
ACME = Company("0112038-9", "Acme Oy", "LOG-123")
OTHER = Company("2077474-0", "Muu Oy", "LOG-9")
BOSS = Inviter("boss@acme.fi", "Pirkko Pääkäyttäjä", Role.MAIN_USER, "0112038-9")
OPERATOR = Inviter("asiakaspalvelu@posti.fi", "Posti asiakaspalvelu", Role.OPERATOR)
STRONG = "Vahva2026!x"


class RecordingTransport(BaseTransport):
    """Accepts (or answers as scripted) and keeps every message handed to it."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.script: list[SendResult] = []
        self.opened = 0

    def open(self) -> None:
        self.opened += 1

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        results = []
        for message in messages:
            result = self.script.pop(0) if self.script else SendResult(
                SendStatus.ACCEPTED, 250, "2.0.0 Ok")
            if result.accepted:
                self.sent.append(message)
            results.append(result)
        return results

    def links(self) -> list[str]:
        return [link_in(m.data) for m in self.sent]


def link_in(data: bytes) -> str:
    """The registration or confirmation link in a message (any MIME encoding)."""
    import email
    import re
    from email import policy

    parsed = email.message_from_bytes(data, policy=policy.default)
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_content()
            match = re.search(r"https?://\S+?token=[A-Za-z0-9_.\-]+", text)
            if match:
                return match.group(0)
    raise AssertionError("no link in the message")


def token_of(link: str) -> str:
    return link.split("token=", 1)[1]

class _Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos),
                              bytes(envelope.original_content or b"")))
        return "250 2.0.0 Ok: queued"


class SMTPSink:
    """aiosmtpd on 127.0.0.1, port 0, its own loop in a thread."""

    def __init__(self) -> None:
        self.handler = _Sink()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0

    def start(self) -> SMTPSink:
        self.thread.start()

        async def serve() -> asyncio.base_events.Server:
            return await self.loop.create_server(
                lambda: SMTP(self.handler, enable_SMTPUTF8=True), "127.0.0.1", 0)

        self.server = asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            # Sessions still open (a client that did not QUIT) end with the server.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def invite(service: InvitationService, address: str = "matti@acme.fi", **kw: Any) -> Invitation:
    kw.setdefault("company", ACME)
    kw.setdefault("invited_by", BOSS)
    return service.send_invite(address, **kw)


def registration(address: str = "matti@acme.fi", **kw: str) -> Registration:
    values = {"first_name": "Matti", "last_name": "Meikäläinen", "email": address,
              "username": "", "password": STRONG}
    values.update(kw)
    return Registration(**values)
