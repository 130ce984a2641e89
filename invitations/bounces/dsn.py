"""RFC 3464 delivery status notifications, parsed within fixed limits.

A DSN is ``multipart/report; report-type=delivery-status`` with a human part,
a ``message/delivery-status`` part (per-message fields, then one block per
recipient: ``Final-Recipient``, ``Action``, ``Status``, ``Diagnostic-Code``)
and usually the returned message or its headers, whose ``Message-ID`` names
the mail that bounced.

Limits: only the first :data:`MAX_BYTES` of the raw mail are parsed (the
report part comes before the returned message, so a huge DSN still yields its
report), at most :data:`MAX_PARTS` MIME parts are looked at,
:data:`MAX_DEPTH` levels deep, and at most :data:`MAX_RECIPIENTS` recipient
blocks are read. A report nested inside the returned message is the returned
message's business, never taken for the outer report.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message

__all__ = [
    "MAX_BYTES",
    "MAX_MAIL_BYTES",
    "DeliveryReport",
    "RecipientStatus",
    "parse_mail",
    "parse_report",
    "returned_message_id",
]

#: The most of one bounce that is parsed (1 MiB); the rest is not read.
MAX_BYTES = 1024 * 1024
#: The largest bounce taken in at all (10 MiB): the receiver refuses larger mail
#: with 552, a mailbox import skips it.
MAX_MAIL_BYTES = 10 * 1024 * 1024
MAX_PARTS = 50
MAX_DEPTH = 4
MAX_RECIPIENTS = 100
_MAX_FIELD = 1000
_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_MESSAGE_ID_LINE = re.compile(r"^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]{1,250}>)",
                              re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient's block of a report: what happened to the mail for it."""

    #: The address the reporting MTA tried (``Final-Recipient`` without its type).
    recipient: str
    #: ``failed``, ``delayed``, ``delivered``, ``relayed`` or ``expanded`` (lower case).
    action: str
    #: The enhanced status code, e.g. ``5.1.1`` (RFC 3463); empty if none was given.
    status: str
    #: The remote server's reply (``Diagnostic-Code`` without its type), if any.
    diagnostic: str | None = None

    @property
    def permanent(self) -> bool:
        """A permanent failure: ``Action: failed`` (or a 5.x.x status with no action)."""
        return self.action == "failed" or (not self.action and self.status.startswith("5."))

    @property
    def delayed(self) -> bool:
        """A delay notice: the MTA keeps trying (``Action: delayed`` or 4.x.x)."""
        return self.action == "delayed" or (not self.action and self.status.startswith("4."))


@dataclass(frozen=True)
class DeliveryReport:
    """What one bounce says: per recipient, and which message it returns."""

    recipients: tuple[RecipientStatus, ...]
    #: The ``Message-ID`` of the returned message (or its returned headers).
    message_id: str | None
    reporting_mta: str | None = None
    #: ``True`` for an RFC 3464 report, ``False`` when read from a non-standard format.
    standard: bool = True


def parse_mail(raw: bytes) -> Message:
    """The mail as a :class:`~email.message.Message`, from its first :data:`MAX_BYTES`."""
    return email.message_from_bytes(raw[:MAX_BYTES], policy=email.policy.compat32)


def _walk(message: Message, depth: int = 0) -> Iterator[tuple[Message, int]]:
    """Parts in order, depth first, not below ``MAX_DEPTH``, not into returned mail."""
    yield message, depth
    if depth >= MAX_DEPTH or not message.is_multipart():
        return
    if message.get_content_type() in ("message/rfc822", "message/delivery-status"):
        return
    payload = message.get_payload()
    if isinstance(payload, list):
        for part in payload:
            if isinstance(part, Message):
                yield from _walk(part, depth + 1)


def _parts(message: Message) -> list[Message]:
    parts = []
    for part, _ in _walk(message):
        parts.append(part)
        if len(parts) >= MAX_PARTS:
            break
    return parts


def _field(value: object) -> str:
    """A header value unfolded, trimmed and bounded."""
    text = " ".join(str(value or "").split())
    return text[:_MAX_FIELD]


def _typed(value: object) -> str:
    """``rfc822; user@x`` -> ``user@x``; ``smtp; 550 ...`` -> ``550 ...``."""
    text = _field(value)
    kind, sep, rest = text.partition(";")
    return rest.strip() if sep and kind.strip() and " " not in kind.strip() else text


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a ``message/delivery-status`` part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)][: MAX_RECIPIENTS + 1]
    # Encoded (base64 or quoted-printable) or not parsed into blocks: parse the text.
    data = part.get_payload(decode=True)
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(payload)
    chunks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())[: MAX_RECIPIENTS + 1]
    return [email.message_from_string(chunk.strip() + "\n", policy=email.policy.compat32)
            for chunk in chunks if chunk.strip()]


def returned_message_id(message: Message) -> str | None:
    """The Message-ID of the returned message or headers inside a bounce, if any."""
    for part in _parts(message)[1:]:
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(first, Message):
                found = _MESSAGE_ID.search(_field(first.get("Message-ID")))
                if found:
                    return found.group(0)
        elif kind in ("text/rfc822-headers", "text/rfc822-header"):
            data = part.get_payload(decode=True)
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
            match = _MESSAGE_ID_LINE.search(text[:MAX_BYTES])
            if match:
                return match.group(1)
    return None


def _status(value: object) -> str:
    text = _field(value).split(" ")[0] if _field(value) else ""
    return text if _STATUS.match(text) else ""


def parse_report(message: Message) -> DeliveryReport | None:
    """The RFC 3464 report in ``message``, or ``None`` if it carries none.

    The report must be the mail's own (its top part, or a part of its top
    multipart): a report found only inside a returned message is not this
    mail's report.
    """
    status_part = None
    for part, depth in _walk(message):
        if depth > 2:
            continue
        if part.get_content_type() == "message/delivery-status":
            status_part = part
            break
    if status_part is None:
        return None
    blocks = _blocks(status_part)
    if not blocks:
        return None
    reporting = _typed(blocks[0].get("Reporting-MTA")) or None
    recipients: list[RecipientStatus] = []
    for block in blocks[1:] if len(blocks) > 1 else blocks:
        final = block.get("Final-Recipient") or block.get("Original-Recipient")
        if final is None:
            continue
        recipients.append(RecipientStatus(
            recipient=_typed(final).strip("<>"),
            action=_field(block.get("Action")).lower(),
            status=_status(block.get("Status")),
            diagnostic=_typed(block.get("Diagnostic-Code")) or None,
        ))
        if len(recipients) >= MAX_RECIPIENTS:
            break
    return DeliveryReport(tuple(recipients), returned_message_id(message), reporting)
