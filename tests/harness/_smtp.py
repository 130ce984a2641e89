"""Send plain mail over real SMTP on loopback, for the harness's own tests."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from devsmtp.testing import Capture


def send(capture: Capture, to: str | list[str], subject: str = "Hello", body: str = "Hi\n",
         sender: str = "sender@example.test") -> None:
    """Send one plain message through the capture's SMTP port."""
    rcpts = [to] if isinstance(to, str) else to
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(rcpts)
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(capture.smtp_host, capture.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg, from_addr=sender, to_addrs=rcpts)
