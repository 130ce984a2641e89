"""The SMTP server protocol: aiosmtpd's ``SMTP`` with the hooks its handler API lacks.

Faults at connect and in the middle of DATA, closing after a 421, a fast path
for plain addresses, and a notice to the handler when a connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, Session

from .handler import DISCONNECT, CaptureHandler, CaptureSession

__all__ = ["PLAIN_ADDRESS", "CaptureSMTP"]

# The plain ``<local@domain> PARAMS`` nearly every client sends (dot-atoms only,
# no comments, quotes or literals), for which aiosmtpd's answer is known.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_ADDRESS = re.compile(
    rf"[ \t]*<(?P<address>(?P<local>{_ATOM}(?:\.{_ATOM})*)@{_ATOM}(?:\.{_ATOM})*)>"
    r"(?:[ \t]+(?P<rest>[!-'*-~](?:[ !-'*-~]*[!-'*-~])?))?"
)


class CaptureSMTP(SMTP):
    """aiosmtpd's SMTP with fault hooks where the handler API has none."""

    def __init__(self, handler: CaptureHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.capture = handler
        # Every command into the session log (the sessions page shows it); AUTH
        # keeps only its mechanism, never a credential.
        self._smtp_methods = {name: self._logged(name, method)
                              for name, method in self._smtp_methods.items()}

    def _logged(self, name: str, method: Any) -> Any:
        async def logged(arg: str) -> None:
            session = self.session
            if isinstance(session, CaptureSession):
                shown = arg.split(" ", 1)[0] if name == "AUTH" else arg
                session.info.add(f"> {name} {shown}".rstrip(), pending=False)
            await method(arg)

        return logged

    def _create_session(self) -> Session:
        return CaptureSession(self.loop, self.capture.new_session(None))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        session = self.session
        if isinstance(session, CaptureSession) and not session.info.peer:
            peer = transport.get_extra_info("peername")
            session.info.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else ""

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        self.capture.connection_closed()

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # aiosmtpd parses each MAIL and RCPT address with the email package's
        # full RFC 5322 parser (and defines a class on every call): about a
        # sixth of a message's CPU. A plain address gets the same answer here;
        # anything else still goes to aiosmtpd (a test compares the two).
        match = PLAIN_ADDRESS.fullmatch(arg)
        if match is None:
            return super()._getaddr(arg)
        if self.local_part_limit and len(match["local"]) > self.local_part_limit:
            return None, None
        return match["address"], match["rest"] or ""

    async def _handle_client(self) -> None:
        session = self.session
        assert session is not None
        status = await self.capture.apply(session, "connect", self.capture.faults.fire("connect"))
        if status is not None:
            await self.push(status)
            if self.transport is not None:
                self.transport.close()
            return
        await super()._handle_client()

    async def smtp_DATA(self, arg: str) -> None:
        envelope, session = self.envelope, self.session
        if envelope is not None and envelope.rcpt_tos and not arg and session is not None:
            rule = self.capture.faults.fire("data", envelope.mail_from, envelope.rcpt_tos)
            if rule is not None and rule.disconnect:
                await self.capture.apply(session, "data", rule)
                await self._drop_mid_data()
                return
            if isinstance(session, CaptureSession):
                session.data_fault = rule
        await super().smtp_DATA(arg)

    async def _drop_mid_data(self) -> None:
        """Invite the data, take the first bytes, then hang up (nothing stored)."""
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        with contextlib.suppress(TimeoutError, ConnectionError):
            await asyncio.wait_for(self._reader.read(1), timeout=10)
        if self.transport is not None:
            self.transport.close()

    async def push(self, status: AnyStr) -> None:
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        if text == DISCONNECT:
            if self.transport is not None:
                self.transport.close()
            return
        session = self.session
        if isinstance(session, CaptureSession):
            session.info.add(f"< {text}", pending=False)
        await super().push(status)
        if text.startswith("421") and self.transport is not None:
            # RFC 5321 4.2.2: 421 means the server is closing the channel.
            self.transport.close()
