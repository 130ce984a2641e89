"""Sample ready-to-send messages for transport and delivery tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from invitations.transports import OutgoingMessage


def make_message(
    n: int = 1,
    *,
    to: str = "anna@example.test",
    sender: str = "noreply@posti.test",
    body: str = "Tervetuloa!\nhttps://invite.example.test/register?token=abc\n",
) -> OutgoingMessage:
    """Message ``n``: Message-ID ``<msg-n@posti.test>``, key ``"n"``, CRLF line ends."""
    msg = EmailMessage()
    msg["From"] = f"Posti <{sender}>"
    msg["To"] = to
    msg["Subject"] = f"Kutsu {n}"
    msg["Message-ID"] = f"<msg-{n}@posti.test>"
    msg.set_content(body)
    smtputf8 = not (to.isascii() and sender.isascii())
    return OutgoingMessage(
        f"<msg-{n}@posti.test>", sender, (to,), msg.as_bytes(policy=SMTP), smtputf8, key=str(n)
    )
