"""Interim plain-text composer; replaced by the Jinja2/Babel renderer."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from ..transports.base import OutgoingMessage
from .context import ConfirmationEmail, InvitationEmail

_SUBJECTS = {"fi": "Kutsu käyttäjäksi", "sv": "Inbjudan att bli användare", "en": "User invitation"}


def _outgoing(msg: EmailMessage, message_id: str, sender: str, to: str) -> OutgoingMessage:
    envelope_from = parseaddr(sender)[1]
    data = msg.as_bytes(policy=SMTP)
    smtputf8 = not (envelope_from.isascii() and to.isascii())
    return OutgoingMessage(message_id, envelope_from, (to,), data, smtputf8)


def _base(sender: str, to_email: str, to_name: str | None, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = Address(display_name=to_name or "", addr_spec=to_email)
    msg["Subject"] = subject
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def compose_invitation(email: InvitationEmail) -> OutgoingMessage:
    subject = " / ".join(_SUBJECTS[lang] for lang in email.languages)
    msg = _base(email.sender, email.to_email, email.to_name, subject)
    msg["Date"] = format_datetime(email.sent_at)
    msg["Message-ID"] = email.message_id
    msg.set_content(
        f"{email.inviter_name} / {email.company_name}\n\n{email.link}\n\n"
        f"{email.expires_at.isoformat()}\n"
    )
    return _outgoing(msg, email.message_id, email.sender, email.to_email)


def compose_confirmation(email: ConfirmationEmail) -> OutgoingMessage:
    msg = _base(email.sender, email.to_email, email.to_name, "Confirm e-mail")
    msg["Date"] = format_datetime(email.sent_at)
    msg["Message-ID"] = email.message_id
    msg.set_content(f"{email.link}\n\n{email.expires_at.isoformat()}\n")
    return _outgoing(msg, email.message_id, email.sender, email.to_email)
