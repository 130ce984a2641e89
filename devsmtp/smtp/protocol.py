"""The SMTP server protocol: aiosmtpd's ``SMTP`` with the hooks its handler API lacks.

Faults at connect and in the middle of DATA, closing after a 421, a fast path
for plain addresses, and a notice to the handler when a connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any, AnyStr

from aiosmtpd.smtp import MISSING, SMTP, Session

from .handler import DISCONNECT, CaptureHandler, CaptureSession

__all__ = ["PLAIN_ADDRESS", "CaptureSMTP", "unstuff"]

#: The only end of DATA (RFC 5321 4.1.1.4); aiosmtpd 1.4.6 reads lines ending in
#: CRLF, so a dot between bare LFs or bare CRs is data, never an end (no smuggling).
_END = b"\r\n.\r\n"
_CHUNK = 256 * 1024


def unstuff(body: bytes) -> bytes:
    """RFC 5321 4.5.2: drop the first dot of every line (lines end in CRLF only)."""
    if b"\r\n." not in body and not body.startswith(b"."):
        return body
    return (b"\r\n" + body).replace(b"\r\n.", b"\r\n")[2:]


def _longest_line_over(body: bytes, limit: int) -> bool:
    """Whether a line of ``body`` (split at CRLF only) is longer than ``limit`` bytes."""
    if len(body) <= limit:
        return False
    # One split in C beats walking the lines in Python (twice as fast on 4 KiB).
    return max(map(len, body.split(b"\r\n"))) > limit

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
        await self._data(arg)

    async def _data(self, arg: str) -> None:
        """aiosmtpd's ``smtp_DATA`` with the body read in large chunks up to CRLF.CRLF.

        Same answers as aiosmtpd 1.4.6: 552 when the body exceeds the size limit,
        500 when a line is longer than the line limit (both after the whole body
        was read), dots unstuffed, and only CRLF "." CRLF ends the data.
        """
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            found = await self._read_body()
        except asyncio.CancelledError:
            self._writer.close()
            raise
        if found is None:  # the client went away mid-DATA
            return
        body, too_much = found
        if too_much:
            await self.push("552 Error: Too much mail data")
            self._after_data()
            return
        if _longest_line_over(body, self.line_length_limit):
            await self.push("500 Line too long (see RFC5321 4.5.3.1.6)")
            self._after_data()
            return
        content = unstuff(body)
        if self._decode_data:
            self.envelope.content = content.decode("utf-8", errors="surrogateescape")
        else:
            self.envelope.content = content
        self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._after_data()
        await self.push("250 OK" if status is MISSING else status)

    def _after_data(self) -> None:
        self._set_post_data_state()  # type: ignore[no-untyped-call]

    async def _read_body(self) -> tuple[bytes, bool] | None:
        """``(body up to and with the CRLF before the ending dot, too much)``, or None at EOF.

        The search starts behind a virtual CRLF, so a body of just "." CRLF is
        empty. Bytes after the end (a pipelined command) go back to the reader.
        """
        reader = self._reader
        limit = self.data_size_limit
        buf = bytearray(b"\r\n")
        scanned = 0
        dropped = 0  # body bytes discarded once the size limit was passed
        while True:
            at = buf.find(_END, scanned)
            if at >= 0:
                rest = buf[at + len(_END):]
                if rest:
                    reader._buffer[0:0] = rest  # type: ignore[attr-defined]
                size = dropped + at
                if limit and size > limit:
                    return b"", True
                return bytes(buf[2 : at + 2]), False
            scanned = max(0, len(buf) - len(_END) + 1)
            if limit and dropped + len(buf) > limit + 2 * len(_END):
                # Over the limit: keep reading to the end, but not the bytes.
                keep = len(_END) - 1
                dropped += len(buf) - keep
                del buf[:-keep]
                scanned = 0
            chunk = await reader.read(_CHUNK)
            if not chunk:
                return None
            buf += chunk

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
