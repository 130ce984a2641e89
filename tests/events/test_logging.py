"""Logging: every record at DEBUG through a send, a 451, a 550 and a registration holds
no token, password or key (nor does the store); addresses only at DEBUG; the records
carry their structured fields; the CLI's text and JSON formats."""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from devsmtp.pytest_plugin import Faults
from devsmtp.testing import Capture
from invitations import Company, InvitationService, Inviter
from invitations.cli import main
from invitations.cli.logs import JsonFormatter, TextFormatter
from invitations.clock import FrozenClock
from invitations.store import SQLiteInvitationStore
from invitations.transports import transport_from_url
from invitations.web import create_app
from tests.events.conftest import KEYS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette suggests httpx2 for its TestClient
    from starlette.testclient import TestClient

BASE_URL = "http://testserver"
SESSION_KEY = "events-session-key-Wb7nQ2kLx9cV4tZr8MhJ3sYd6FgP1eU"
PASSWORD = "Vahva2026+Salakala"


def everything(records: list[logging.LogRecord]) -> str:
    """Each record as the CLI writes it (text and JSON) and as its raw attributes."""
    text, as_json = TextFormatter(), JsonFormatter()
    return "\n".join(f"{text.format(r)}\n{as_json.format(r)}\n{vars(r)!r}" for r in records)


@pytest.fixture
def debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of the toolkit at DEBUG (whatever an earlier test set up)."""
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="invitations"):
        yield caplog


def test_no_token_password_or_key_in_any_record_or_in_the_store(
    tmp_path: Path, smtp_capture: Capture, smtp_faults: Faults, clock: FrozenClock,
    company: Company, main_user: Inviter, operator_box: str,
    debug: pytest.LogCaptureFixture,
) -> None:
    db = tmp_path / "invitations.sqlite3"
    transport = transport_from_url(smtp_capture.smtp_url)
    service = InvitationService(KEYS, BASE_URL, transport, store=SQLiteInvitationStore(db),
                                clock=clock, close_store=True, operator_address=operator_box)
    matti, liisa, typo = (smtp_capture.address(n) for n in ("matti", "liisa", "liisa.typo"))
    smtp_faults.add(stage="rcpt", code=451, times=1, to=liisa)
    smtp_faults.add(stage="rcpt", code=550, to=typo)
    try:
        # A send, a 451 retried, a 550 with its notice.
        service.send_invite(matti, company=company, invited_by=main_user)
        service.send_invite(liisa, company=company, invited_by=main_user)
        service.send_invite(typo, company=company, invited_by=main_user)
        clock.advance(hours=1)
        assert service.deliver_queued() == 1
        tokens = [smtp_capture.wait_for(to=matti).token, smtp_capture.wait_for(to=liisa).token]
        assert main_user.email is not None
        smtp_capture.wait_for(to=main_user.email)
        # A registration through the pages, password and all.
        with TestClient(create_app(service, session_keys=[SESSION_KEY]),
                        base_url=BASE_URL) as client:
            link = urlsplit(f"{BASE_URL}/register?token={tokens[0]}")
            form = client.get(f"{link.path}?{link.query}")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert csrf is not None
            done = client.post("/register", data={
                "first_name": "Matti", "last_name": "Virtanen", "email": matti,
                "username": "", "password": PASSWORD, "lang": "fi",
                "csrf_token": csrf.group(1)})
            assert done.status_code == 200, done.text
    finally:
        service.close()
        transport.close()

    # httpx logs the test's own browser (the link it opens): not the toolkit's record.
    records = [r for r in debug.records if not r.name.startswith(("httpx", "httpcore"))]
    logged = everything(records)
    # The run was logged, in every room, with its structured fields.
    rooms = {r.name for r in records}
    assert {"invitations.service", "invitations.delivery", "invitations.transports.smtp",
            "invitations.store", "invitations.web", "invitations.events"} <= rooms
    codes = {getattr(r, "reply_code", None) for r in records if r.name == "invitations.delivery"}
    assert {250, 451, 550} <= codes
    assert any(getattr(r, "attempt", None) == 2 for r in records)
    # ... and none of its secrets.
    secrets = [*tokens, *(t.rsplit(".", 1)[-1] for t in tokens), PASSWORD, *KEYS, SESSION_KEY]
    for secret in secrets:
        assert secret not in logged, f"{secret[:12]}... is in the log"
    at_rest = b"".join(p.read_bytes() for p in tmp_path.glob("invitations.sqlite3*"))
    for secret in secrets:
        assert secret.encode() not in at_rest, f"{secret[:12]}... is in the store"
    # Addresses only at DEBUG.
    address = re.compile(r"[\w.+-]+@" + re.escape(smtp_capture.domain))
    # (aiosmtpd's own "mail.log", inside the test's devsmtp, is not ours to word.)
    loud = [r for r in records if r.levelno > logging.DEBUG
            and r.name.startswith(("invitations", "devsmtp"))]
    shown = [f"{r.name} {r.levelname}: {r.getMessage()}" for r in loud
             if address.search(everything([r]))]
    assert loud and not shown, shown
    assert address.search(logged)  # they are there at DEBUG


def test_text_and_json_formats_carry_the_extra_fields() -> None:
    record = logging.LogRecord("invitations.delivery", logging.WARNING, __file__, 1,
                               "invitation attempt %d of %s: %s", (1, "<m@posti.fi>", "451"),
                               None)
    record.invitation_id, record.reply_code, record.attempt = "abc", 451, 1
    text = TextFormatter().format(record)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING invitations\.delivery: invitation "
        r"attempt 1 of <m@posti\.fi>: 451  invitation_id=abc reply_code=451 attempt=1", text)
    data = json.loads(JsonFormatter().format(record))
    assert data["level"] == "WARNING" and data["logger"] == "invitations.delivery"
    assert data["message"] == "invitation attempt 1 of <m@posti.fi>: 451"
    assert (data["invitation_id"], data["reply_code"], data["attempt"]) == ("abc", 451, 1)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert "ValueError: boom" in json.loads(JsonFormatter().format(record))["exception"]
    assert "Traceback" in TextFormatter().format(record)


def test_deliver_logs_json_lines_at_the_level_asked(
    tmp_path: Path, smtp_capture: Capture, company: Company, main_user: Inviter,
) -> None:
    db = tmp_path / "invitations.sqlite3"
    with InvitationService(KEYS, BASE_URL, None, store=SQLiteInvitationStore(db),
                           close_store=True) as queued_only:
        invitation = queued_only.send_invite(smtp_capture.address("matti"), company=company,
                                             invited_by=main_user)
    env = {"INVITATIONS_DB": str(db), "INVITATIONS_TRANSPORT": smtp_capture.smtp_url}
    ours = logging.getLogger("invitations.delivery").level
    result = CliRunner().invoke(main, ["deliver", "--log-format", "json", "--log-level",
                                       "info"], env=env)
    quiet = CliRunner().invoke(main, ["deliver", "--log-level", "error"], env=env)
    # The set-up ends with each command: later commands in this process start clean.
    assert [h for h in logging.getLogger().handlers if h.get_name() == "invitations.cli"] == []
    assert logging.getLogger("invitations.delivery").level == ours
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    attempt = next(line for line in lines if line["logger"] == "invitations.delivery")
    assert attempt["level"] == "INFO" and attempt["reply_code"] == 250
    assert attempt["invitation_id"] == invitation.id and attempt["attempt"] == 1
    assert any(line["logger"] == "invitations.transports.smtp" for line in lines)
    assert not any(line["level"] == "DEBUG" for line in lines)
    assert quiet.exit_code == 0 and quiet.stderr == ""
