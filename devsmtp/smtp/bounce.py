"""Bounces on request: an RFC 3464 delivery status notification for a message
that a ``bounce`` fault rule accepted, sent to its envelope sender.

The DSN is ``multipart/report; report-type=delivery-status``: a short text for
people, the ``message/delivery-status`` part (``Reporting-MTA``, then per
recipient ``Final-Recipient``, ``Action``, ``Status``, ``Diagnostic-Code``)
and the returned message's headers (``text/rfc822-headers``; never the body,
so the DSN stays small). It goes with the null sender (``MAIL FROM:<>``) to the
configured bounce relay, never to an address taken from the mail; a message
that itself came with the null sender is never bounced (no bounce loops).
"""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate

from .faults import FaultRule

__all__ = ["Bouncer", "compose_dsn", "returned_headers"]

log = logging.getLogger("devsmtp.smtp")

#: The returned headers are cut here (a header block is rarely larger).
MAX_RETURNED_HEADERS = 64 * 1024
_BLANK = re.compile(rb"\r?\n\r?\n")


def returned_headers(raw: bytes) -> bytes:
    """The header block of ``raw`` (bounded), with CRLF line ends."""
    head = _BLANK.split(raw[:MAX_RETURNED_HEADERS], maxsplit=1)[0]
    return b"\r\n".join(head.splitlines()) + b"\r\n"


def _clean(text: str) -> str:
    return "".join(c for c in text if c >= " " and c != "\x7f")[:500]


def compose_dsn(raw: bytes, sender: str, recipients: Sequence[str], rule: FaultRule, *,
                hostname: str, arrived: float) -> bytes:
    """The DSN (CRLF line ends) reporting ``rule``'s status for each recipient."""
    status = rule.status or "5.1.1"
    delayed = status.startswith("4.")
    action = "delayed" if delayed else "failed"
    diagnostic = _clean(rule.diagnostic or "")
    boundary = f"devsmtp-dsn-{uuid.uuid4().hex}"
    host = _clean(hostname) or "devsmtp"
    subject = ("Delayed Mail (still being retried)" if delayed
               else "Undelivered Mail Returned to Sender")
    human = [
        f"This is the mail system at host {host} (devsmtp, fault rule {rule.id}).",
        "",
        "Your message could not be delivered to one or more recipients"
        + (" yet; delivery will be retried." if delayed else "."),
        "",
        *(f"<{_clean(r)}>: {diagnostic}" for r in recipients),
    ]
    report = [
        f"Reporting-MTA: dns; {host}",
        f"Arrival-Date: {formatdate(arrived)}",
    ]
    for recipient in recipients:
        report += [
            "",
            f"Final-Recipient: rfc822; {_clean(recipient)}",
            f"Action: {action}",
            f"Status: {status}",
            f"Diagnostic-Code: smtp; {diagnostic}",
        ]
    lines = [
        f"From: Mail Delivery System <MAILER-DAEMON@{host}>",
        f"To: <{_clean(sender)}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: <{uuid.uuid4().hex}@{host}>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        "This is a MIME-encapsulated message.",
        "",
        f"--{boundary}",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=utf-8",
        "",
        *human,
        "",
        f"--{boundary}",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        *report,
        "",
        f"--{boundary}",
        "Content-Description: Undelivered Message Headers",
        "Content-Type: text/rfc822-headers",
        "",
    ]
    tail = f"\r\n--{boundary}--\r\n".encode()
    return "\r\n".join(lines).encode("utf-8") + b"\r\n" + returned_headers(raw) + tail


class Bouncer:
    """Sends the DSNs of fired bounce rules, each in the background after its delay."""

    def __init__(self, relay: str, hostname: str, *, timeout: float = 30.0) -> None:
        host, _, port = relay.rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self.hostname = hostname
        self.timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()
        #: DSNs sent and failed so far (for tests and the session log).
        self.sent = 0
        self.failed = 0

    def schedule(self, rule: FaultRule, raw: bytes, sender: str,
                 recipients: Sequence[str]) -> bool:
        """Send the DSN later (after ``rule.delay``); ``False`` when nothing is to be sent:
        the message had the null sender."""
        if sender.strip() in ("", "<>"):
            log.info("fault %s: no DSN for a message with the null sender", rule.id)
            return False
        task = asyncio.get_running_loop().create_task(
            self._send(rule, raw, sender, tuple(recipients), time.time()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _send(self, rule: FaultRule, raw: bytes, sender: str,
                    recipients: tuple[str, ...], arrived: float) -> None:
        if rule.delay:
            await asyncio.sleep(rule.delay)
        dsn = compose_dsn(raw, sender, recipients, rule, hostname=self.hostname,
                          arrived=arrived)
        try:
            await asyncio.to_thread(self._deliver, dsn, sender)
        except (OSError, smtplib.SMTPException) as error:
            self.failed += 1
            log.warning("fault %s: the DSN could not be sent to the bounce relay %s:%s: %s",
                        rule.id, self.host, self.port, error)
            return
        self.sent += 1
        log.info("fault %s: DSN %s sent through %s:%s", rule.id, rule.status, self.host,
                 self.port)
        log.debug("fault %s: DSN to %s", rule.id, sender)

    def _deliver(self, dsn: bytes, sender: str) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.sendmail("", [sender], dsn)

    async def drain(self) -> None:
        """Wait for the DSNs in flight (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
