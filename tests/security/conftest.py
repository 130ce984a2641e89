"""Fixtures for the security regression tests (issue 12): the registration pages served
by uvicorn on a loopback port, the service behind them; real Chromium is the suite's ``browser``."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

import pytest

from devsmtp import DevSMTP
from tests.browser.scenario_support import Site, registration_site
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures for ``backend``)
from tests.store.conftest import backend  # noqa: F401  (SQLite and PostgreSQL, as in tests/store)

# ``browser`` (real Chromium) comes from tests/conftest.py, shared with tests/browser.


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The registration pages under uvicorn on 127.0.0.1, mail in memory, clock frozen."""
    with registration_site(tmp_path) as running:
        yield running


# -- devsmtp (issue 12, items 7 and 9-15) ----------------------------------------------


@pytest.fixture
def devsmtp_server(tmp_path: Path) -> Iterator[DevSMTP]:
    """A devsmtp on 127.0.0.1 (ports 0), data in ``tmp_path``."""
    with DevSMTP(tmp_path / "devsmtp") as running:
        yield running


def devsmtp_mail(html: str = "<p>Hei</p>", *, subject: str = "Hei",
                 attachment: tuple[str, bytes] | None = None) -> bytes:
    """A small HTML mail (CRLF bytes), optionally with one attachment."""
    msg = EmailMessage()
    msg["From"] = "noreply@example.com"
    msg["To"] = "qa@example.com"
    msg["Subject"] = subject
    msg.set_content("Hei")
    msg.add_alternative(html, subtype="html")
    if attachment is not None:
        msg.add_attachment(attachment[1], maintype="application", subtype="octet-stream",
                           filename=attachment[0])
    return msg.as_bytes(policy=SMTP_POLICY)


def devsmtp_send(server: DevSMTP, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        client.sendmail("noreply@example.com", ["qa@example.com"], raw)
    assert server.store.wait_until(lambda: server.store.latest > 0, 10)
