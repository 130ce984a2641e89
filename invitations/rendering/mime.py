"""Turn rendered subject, text and HTML into the bytes of one message.

``multipart/alternative`` with the text part first and the HTML part second
(clients show the last part they understand), both UTF-8 quoted-printable so
the raw source stays readable. Headers follow RFC 5322 with only non-ASCII
words RFC 2047-encoded; SMTPUTF8 is used only when an address needs it.
"""

from __future__ import annotations

import binascii
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage, MIMEPart

from ..transports.base import OutgoingMessage
from .headers import (
    POLICY,
    POLICY_UTF8,
    check_header_value,
    constant_header,
    make_address,
    parse_sender,
)

# "=_" never occurs in quoted-printable (an "=" is always followed by hex digits
# or a line break), so this boundary cannot collide with either part's body.
BOUNDARY = "=_invitations_alternative_="


def _qp(text: str) -> str:
    # binascii's encoder is C; email.quoprimime's is pure Python and ten times slower.
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii")


def _part(subtype: str, body: str, utf8: bool) -> MIMEPart:
    policy = POLICY_UTF8 if utf8 else POLICY
    part = MIMEPart(policy)
    part["Content-Type"] = constant_header(policy, "Content-Type", f'text/{subtype}; charset="utf-8"')
    part["Content-Transfer-Encoding"] = constant_header(
        policy, "Content-Transfer-Encoding", "quoted-printable"
    )
    part.set_payload(_qp(body))
    return part


def build_message(
    *,
    sender: str,
    sender_name: str,
    to_email: str,
    to_name: str | None,
    subject: str,
    text: str,
    html: str,
    languages: Sequence[str],
    message_id: str,
    sent_at: datetime,
) -> OutgoingMessage:
    """Compose the message and return it with its envelope, ready for a transport."""
    from_address = parse_sender(sender, sender_name)
    to_address = make_address("email", to_email, to_name)
    check_header_value("message_id", message_id)
    if not (message_id.startswith("<") and message_id.endswith(">") and "@" in message_id):
        raise ValueError(f"Message-ID must look like <local@domain>, got {message_id!r}")
    utf8 = not (from_address.addr_spec.isascii() and to_address.addr_spec.isascii())
    policy = POLICY_UTF8 if utf8 else POLICY

    msg = EmailMessage(policy)
    msg["From"] = constant_header(policy, "From", str(from_address))
    msg["To"] = to_address
    msg["Subject"] = constant_header(policy, "Subject", subject)
    msg["Date"] = sent_at
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = constant_header(policy, "Auto-Submitted", "auto-generated")
    msg["Content-Language"] = constant_header(policy, "Content-Language", ", ".join(languages))
    msg["MIME-Version"] = constant_header(policy, "MIME-Version", "1.0")
    msg["Content-Type"] = constant_header(
        policy, "Content-Type", f'multipart/alternative; boundary="{BOUNDARY}"'
    )
    msg.set_payload([_part("plain", text, utf8), _part("html", html, utf8)])
    return OutgoingMessage(
        message_id=message_id,
        sender=from_address.addr_spec,
        recipients=(to_address.addr_spec,),
        data=msg.as_bytes(policy=policy),
        smtputf8=utf8,
    )
