"""The aiosmtpd handler: sessions with an id and a log, faults, AUTH, storing DATA.

The handler stores DATA's exact bytes through the store's writer thread and
answers 250 only after the commit. What aiosmtpd has no handler hook for
lives in :mod:`devsmtp.smtp.protocol`.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import itertools
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from ..envelope import Envelope as StoredEnvelope
from ..errors import DevSMTPError
from ..settings import Settings
from ..store import Store
from .faults import FaultRule, Faults, Stage

__all__ = ["DISCONNECT", "CaptureHandler", "CaptureSession", "SessionInfo"]

log = logging.getLogger("devsmtp.smtp")
#: A status the handler returns to have the connection closed without a reply.
DISCONNECT = "\x00disconnect"
_session_ids = itertools.count(1)


def clean(text: str) -> str:
    """Undo aiosmtpd's surrogate escapes so the text is valid UTF-8 for JSON."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@functools.lru_cache(maxsize=4)
def _clock(second: int) -> str:
    # strftime per log line showed up in profiles; a line a second needs one.
    return time.strftime("%H:%M:%S", time.gmtime(second))


@dataclass(slots=True)
class SessionInfo:
    """One SMTP connection as the API shows it (``GET /api/sessions``).

    ``log`` keeps the session's last lines; ``pending`` the lines since the
    last stored message, which go into that message's envelope (so a long
    session does not copy its whole history into every message).
    """

    id: str
    peer: str
    started_at: float
    log: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    pending: list[str] = field(default_factory=list)

    def add(self, line: str, *, pending: bool = True) -> None:
        now = time.time()
        entry = f"{_clock(int(now))}.{int(now * 1000) % 1000:03d} {line}"
        self.log.append(entry)
        if pending:
            self.pending.append(entry)

    def take(self) -> tuple[str, ...]:
        """The pending lines, for the message being stored; then starts afresh."""
        lines, self.pending = tuple(self.pending), []
        return lines

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "peer": self.peer, "started_at": self.started_at,
                "log": list(self.log)}


class CaptureSession(Session):
    """aiosmtpd's session plus devsmtp's id, log and pending DATA fault."""

    def __init__(self, loop: asyncio.AbstractEventLoop, info: SessionInfo) -> None:
        super().__init__(loop)
        self.info = info
        self.data_fault: FaultRule | None = None


class CaptureHandler:
    """aiosmtpd handler: faults at MAIL/RCPT/DATA, then store and answer 250."""

    def __init__(self, store: Store, faults: Faults, settings: Settings) -> None:
        self.store = store
        self.faults = faults
        self.settings = settings
        self.sessions: deque[SessionInfo] = deque(maxlen=500)
        #: Notified whenever an SMTP connection closes (see DevSMTP.wait_connections_closed).
        self.closed = threading.Condition()

    def connection_closed(self) -> None:
        with self.closed:
            self.closed.notify_all()

    def new_session(self, peer: object) -> SessionInfo:
        if isinstance(peer, tuple) and len(peer) >= 2:
            peer_text = f"{peer[0]}:{peer[1]}"
        else:
            peer_text = str(peer or "")
        info = SessionInfo(f"s{next(_session_ids)}", peer_text, time.time())
        self.sessions.append(info)
        return info

    async def apply(self, session: Session, stage: Stage, rule: FaultRule | None) -> str | None:
        """Log and act on a fired rule: the status to answer instead, or None."""
        if rule is None:
            return None
        if isinstance(session, CaptureSession):
            session.info.add(rule.describe())
        log.info("%s", rule.describe(), extra={"fault": rule.id, "stage": stage,
                                               "reply_code": rule.code})
        if rule.delay:
            await asyncio.sleep(rule.delay)
        if rule.disconnect:
            return DISCONNECT
        return rule.reply

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        # With this hook aiosmtpd leaves recording the name to us.
        session.host_name = hostname
        if self.settings.auth is None:
            responses = [r for r in responses if not r.startswith("250-AUTH")]
        return responses

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        status = await self.apply(session, "mail", self.faults.fire("mail", address))
        if status is not None:
            return status
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        rule = self.faults.fire("rcpt", envelope.mail_from, [address])
        status = await self.apply(session, "rcpt", rule)
        if status is not None:
            return status
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if isinstance(session, CaptureSession) and session.data_fault is not None:
            rule, session.data_fault = session.data_fault, None
            status = await self.apply(session, "data", rule)
            if status is not None:
                return status
        raw = envelope.original_content or b""
        info = session.info if isinstance(session, CaptureSession) else None
        transport = server.transport
        stored = StoredEnvelope(
            mail_from=clean(envelope.mail_from or ""),
            rcpt_to=tuple(clean(r) for r in envelope.rcpt_tos),
            received_at=time.time(),
            mail_options=tuple(clean(o) for o in envelope.mail_options),
            peer=info.peer if info else "",
            helo=clean(session.host_name) if session.host_name else None,
            auth_user=session.auth_data if isinstance(session.auth_data, str) else None,
            tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
            smtputf8=envelope.smtp_utf8,
            session_id=info.id if info else "",
            session_log=info.take() if info else (),
        )
        try:
            message = await self.store.add(raw, stored)
        except DevSMTPError as error:
            log.error("could not store a message: %s", error)
            if info:
                info.add(f"store failed: {error}", pending=False)
            return "451 4.3.0 devsmtp could not store the message; try again later"
        if info:
            info.add(f"stored as {message.id}", pending=False)
        log.info("message %s stored (%d bytes, %d recipient(s))", message.id, len(raw),
                 len(envelope.rcpt_tos), extra={"devsmtp_id": message.id,
                                                "session": info.id if info else None})
        log.debug("message %s: from %s to %s", message.id, stored.mail_from,
                  ", ".join(stored.rcpt_to), extra={"devsmtp_id": message.id})
        return f"250 2.0.0 OK queued as {message.id}"

    def authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        """AUTH PLAIN/LOGIN: accept any login (recording it) or check the configured one."""
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        credentials = self.settings.credentials
        info = session.info if isinstance(session, CaptureSession) else None
        if credentials is not None:
            user_ok = hmac.compare_digest(user.encode(), credentials[0].encode())
            password_ok = hmac.compare_digest(auth_data.password, credentials[1].encode())
            if not (user_ok and password_ok):
                if info:
                    info.add(f"AUTH {mechanism} refused for {user!r}")
                return AuthResult(success=False, handled=False)
        if info:
            info.add(f"AUTH {mechanism} as {user!r}")
        return AuthResult(success=True, handled=False, auth_data=user)
