"""What kind of mail arrived at the bounce address, when it is not an RFC 3464 report.

- Non-standard bounces: Exim's default text bounce (``X-Failed-Recipients``,
  "This message was created automatically by mail delivery software"), qmail's
  ("Hi. This is the qmail-send program", ``(#5.1.1)``) and the many "Undelivered
  Mail" / "Delivery Status Notification (Failure)" texts that carry an SMTP
  reply and an enhanced status code in the body. They are read into the same
  :class:`~invitations.bounces.dsn.DeliveryReport` with ``standard=False``.
- Auto-replies (``Auto-Submitted`` other than ``no``, ``X-Autoreply``,
  ``Precedence: auto_reply``, out-of-office subjects in fi/sv/en) and
  challenge-responses ("confirm you are human" systems) are :data:`AUTO_REPLY`
  and :data:`CHALLENGE`: ignored.
- A report or bounce that names no recipient or status is :data:`MALFORMED`: ignored.
- Anything else is :data:`NOT_A_BOUNCE`: ignored.

The order matters: a standard report first (Exim marks its own bounces
``Auto-Submitted: auto-replied``), then the non-standard bounce formats, then
the auto-reply and challenge signs.
"""

from __future__ import annotations

import re
from email.message import Message

from invitations.bounces.dsn import (
    MAX_BYTES,
    DeliveryReport,
    RecipientStatus,
    parse_report,
    returned_message_id,
)

__all__ = ["AUTO_REPLY", "CHALLENGE", "MALFORMED", "NOT_A_BOUNCE", "REPORT", "classify"]

REPORT = "report"
AUTO_REPLY = "auto_reply"
CHALLENGE = "challenge"
NOT_A_BOUNCE = "not_a_bounce"
MALFORMED = "malformed"

_TEXT_LIMIT = 64 * 1024
_ENHANCED = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_QMAIL_CODE = re.compile(r"\(#([45]\.\d{1,3}\.\d{1,3})\)")
_REPLY_LINE = re.compile(r"^\s*(?:[^:\n]{0,80}:\s*)?([45]\d\d[ -].{0,300})$", re.MULTILINE)
_ADDRESS = re.compile(r"<?([^\s<>@\"',;:()]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63})>?")
_MESSAGE_ID_LINE = re.compile(r"^\s*message-id:\s*(<[^<>\s]{1,250}>)",
                              re.IGNORECASE | re.MULTILINE)
_BOUNCE_SIGNS = (
    "mail delivery software",
    "qmail-send program",
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "could not be delivered",
    "delivery has failed",
    "returned mail",
    "mail delivery failed",
    "failure notice",
)
_SENDERS = ("mailer-daemon", "postmaster")
_AUTO_SUBJECTS = re.compile(
    r"^\s*(?:auto(?:matic)?[ -]?reply|autosvar|automaattinen vastaus|out of (?:the )?office"
    r"|poissa|frånvaro|on vacation|abwesend)", re.IGNORECASE)
_CHALLENGE_SIGNS = (
    "x-challenge", "x-boxtrapper", "x-tmda-confirm", "x-spamarrest", "x-bluebottle-request",
)
_CHALLENGE_SUBJECTS = re.compile(
    r"(?:please confirm|verify (?:that )?you|confirm your (?:message|e-?mail)|"
    r"sender verification|challenge)", re.IGNORECASE)


def _text(message: Message) -> str:
    """The readable text parts of the mail (not the returned message), bounded."""
    out: list[str] = []
    size = 0
    for part in message.walk() if message.is_multipart() else [message]:
        if part.get_content_type() == "message/rfc822":
            break
        if part.get_content_maintype() != "text" or part.get_content_type() == "text/html":
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        chunk = data[:_TEXT_LIMIT].decode(part.get_content_charset() or "utf-8", "replace")
        out.append(chunk)
        size += len(chunk)
        if size >= _TEXT_LIMIT:
            break
    return "\n".join(out)[:_TEXT_LIMIT]


def _header(message: Message, name: str) -> str:
    return " ".join(str(message.get(name, "")).split())[:300]


def _looks_like_bounce(message: Message, text: str) -> bool:
    if message.get("X-Failed-Recipients"):
        return True
    sender = _header(message, "From").lower()
    subject = _header(message, "Subject").lower()
    signs = subject + "\n" + text[:4000].lower()
    return any(sender.startswith(s) or f"<{s}" in sender for s in _SENDERS) or any(
        sign in signs for sign in _BOUNCE_SIGNS)


def _non_standard(message: Message, text: str) -> DeliveryReport | None:
    """A report read from a non-standard bounce's text, if it names a failure."""
    if not _looks_like_bounce(message, text):
        return None
    code = _QMAIL_CODE.search(text) or _ENHANCED.search(text)
    reply = _REPLY_LINE.search(text)
    status = ".".join(code.groups()) if code and code.re is _ENHANCED else (
        code.group(1) if code else "")
    if not status and reply:
        status = f"{reply.group(1)[0]}.0.0"
    if not status:
        return None
    failed = _header(message, "X-Failed-Recipients")
    found = _ADDRESS.search(failed) or _ADDRESS.search(text)
    diagnostic = reply.group(1).strip() if reply else None
    delayed = (status.startswith("4.") and "will be retried" in text.lower()) or (
        status.startswith("4.") and "delay" in _header(message, "Subject").lower())
    action = "delayed" if delayed else "failed" if status.startswith("5.") else ""
    message_id = returned_message_id(message)
    if message_id is None:
        tail = text[text.lower().find("message-id"):] if "message-id" in text.lower() else ""
        match = _MESSAGE_ID_LINE.search(tail[:MAX_BYTES])
        message_id = match.group(1) if match else None
    recipient = RecipientStatus(found.group(1) if found else "", action, status, diagnostic)
    return DeliveryReport((recipient,), message_id, None, standard=False)


def _auto_reply(message: Message) -> bool:
    submitted = _header(message, "Auto-Submitted").lower()
    if submitted and submitted != "no":
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    if _header(message, "Precedence").lower() in ("auto_reply", "bulk", "junk", "list"):
        return True
    return bool(_AUTO_SUBJECTS.match(_header(message, "Subject")))


def _challenge(message: Message) -> bool:
    if any(sign in message for sign in _CHALLENGE_SIGNS):  # header names, any case
        return True
    return bool(_CHALLENGE_SUBJECTS.search(_header(message, "Subject")))


def classify(message: Message) -> tuple[str, DeliveryReport | None]:
    """``(kind, report)``: :data:`REPORT` with the report, or an ignored kind and ``None``."""
    report = parse_report(message)
    if report is not None and report.recipients:
        return REPORT, report
    text = _text(message)
    report = _non_standard(message, text)
    if report is not None:
        return REPORT, report
    if _challenge(message):
        return CHALLENGE, None
    if _auto_reply(message) and message.get_content_type() != "multipart/report":
        return AUTO_REPLY, None
    if message.get_content_type() == "multipart/report" or _looks_like_bounce(message, text):
        return MALFORMED, None
    return NOT_A_BOUNCE, None
