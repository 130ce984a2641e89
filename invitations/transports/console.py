"""``console://``: print each message to standard output.

What a developer wants with no mail server: the envelope, the headers decoded
and the plain-text part readable (links intact, no quoted-printable breaks).
``console://?raw=true`` prints the exact bytes instead.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TextIO

from invitations.transports.base import BaseTransport, OutgoingMessage, SendResult, SendStatus
from invitations.transports.url import TransportURL

_RULE = "-" * 72
_ACCEPTED = SendResult(SendStatus.ACCEPTED, None, "printed to the console")


def readable(message: OutgoingMessage) -> str:
    """Envelope, decoded headers, the text part and a list of the other parts."""
    parsed = message_from_bytes(message.data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    lines = [f"Envelope-From: {message.sender}", f"Envelope-To: {', '.join(message.recipients)}"]
    lines += [f"{name}: {value}" for name, value in parsed.items()]
    body = parsed.get_body(preferencelist=("plain", "html"))
    lines.append("")
    if body is not None:
        lines.append(str(body.get_content()).rstrip("\n"))
    others = [
        f"[{part.get_content_type()}{' ' + name if (name := part.get_filename()) else ''}]"
        for part in parsed.walk()
        if not part.is_multipart() and part is not body
    ]
    if others:
        lines += ["", "Other parts: " + ", ".join(others)]
    return "\n".join(lines)


class ConsoleTransport(BaseTransport):
    """Write messages to ``stream`` (standard output at the time of sending)."""

    def __init__(self, stream: TextIO | None = None, *, raw: bool = False) -> None:
        self.stream = stream
        self.raw = raw
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: TransportURL) -> ConsoleTransport:
        transport = cls(raw=url.flag("raw"))
        url.finish()
        return transport

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        # Looked up per call so that output redirection after start-up
        # (pytest's capsys, click's CliRunner) is honoured.
        stream = self.stream or sys.stdout
        for message in messages:
            if self.raw:
                text = message.data.decode("utf-8", "replace").replace("\r\n", "\n")
            else:
                text = readable(message)
            with self._lock:
                stream.write(f"{_RULE}\n{text.rstrip()}\n{_RULE}\n")
                stream.flush()
        return [_ACCEPTED] * len(messages)
