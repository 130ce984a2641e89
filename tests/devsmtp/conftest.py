"""Fixtures: a real devsmtp on loopback (port 0) with its data in tmp_path."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

import httpx
import pytest

from devsmtp import DevSMTP


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DevSMTP]:
    with DevSMTP(tmp_path / "data") as running:
        yield running


@pytest.fixture
def api(server: DevSMTP) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.api_url, timeout=30) as client:
        yield client


def make_message(
    to: str = "qa@example.com",
    subject: str = "Hello",
    body: str = "Hello there.\n",
    html: str | None = None,
    sender: str = "Posti <noreply@posti.fi>",
) -> bytes:
    """A well-formed message as CRLF bytes (what an SMTP client sends)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = "<test@example.com>"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes(policy=SMTP_POLICY)


def send(
    server: DevSMTP,
    raw: bytes,
    to: list[str] | None = None,
    sender: str = "noreply@posti.fi",
    **options: object,
) -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        client.sendmail(sender, to or ["qa@example.com"], raw, **options)  # type: ignore[arg-type]
