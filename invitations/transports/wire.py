"""What SMTP itself refuses, and the exact bytes sent after ``DATA``.

Shared by the SMTP transport and the memory transport so that a message the
wire would refuse is refused the same way in tests that never touch a socket.
"""

from __future__ import annotations

import re

from invitations.transports.base import OutgoingMessage, SendResult, SendStatus

#: RFC 5322 2.1.1: a line is at most 998 octets plus CRLF.
MAX_LINE = 998

_EOL = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_BAD_ADDRESS_CHARS = re.compile(r"[\x00-\x20<>\x7f]")


def permanent(code: int | None, reply: str) -> SendResult:
    return SendResult(SendStatus.PERMANENT_FAILURE, code, reply)


def temporary(code: int | None, reply: str) -> SendResult:
    return SendResult(SendStatus.TEMPORARY_FAILURE, code, reply)


def from_reply(code: int, reply: str) -> SendResult:
    """Map an SMTP reply code: 2xx accepted, 4xx temporary, anything else permanent."""
    text = f"{code} {reply}".strip()
    if 200 <= code < 300:
        return SendResult(SendStatus.ACCEPTED, code, text)
    if 400 <= code < 500:
        return temporary(code, text)
    return permanent(code, text)


def refusal(message: OutgoingMessage, *, smtputf8_supported: bool) -> SendResult | None:
    """Why a server would refuse ``message`` before it reached DATA, or ``None``.

    Replies carry the code a typical relay (Postfix) gives, so logs and the
    outbox read the same whichever transport produced them.
    """
    if not message.recipients:
        return permanent(554, "554 5.5.1 Error: no valid recipients")
    for address in (message.sender, *message.recipients):
        if _BAD_ADDRESS_CHARS.search(address):
            return permanent(501, f"501 5.1.3 Bad address syntax: {address!r}")
        if not address.isascii():
            if not message.smtputf8:
                return permanent(
                    553,
                    f"553 5.6.7 Address {address!r} needs SMTPUTF8 "
                    "but the message was not marked smtputf8",
                )
            if not smtputf8_supported:
                return permanent(
                    553, f"553 5.6.7 The server does not support SMTPUTF8, needed for {address!r}"
                )
    if len(message.data) > MAX_LINE and max(map(len, message.data.splitlines())) > MAX_LINE:
        return permanent(554, f"554 5.6.0 Message has a line longer than {MAX_LINE} octets")
    return None


def wire_data(data: bytes) -> bytes:
    """The DATA payload: CRLF line ends, leading dots doubled, ``CRLF.CRLF`` at the end."""
    payload = data
    crlf = data.count(b"\r\n")
    if data.count(b"\n") != crlf or data.count(b"\r") != crlf:
        payload = _EOL.sub(b"\r\n", payload)
    if payload.startswith(b".") or b"\n." in payload:
        payload = _LEADING_DOT.sub(b"..", payload)
    if payload and not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    return payload + b".\r\n"
