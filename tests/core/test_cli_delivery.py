"""`invitations send` when the mail does not go at once: what it says, how it exits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from invitations.cli import main
from tests.core.helpers import KEY
from tests.transports.smtpd import Scripted, SMTPServer


@pytest.fixture
def server() -> Iterator[SMTPServer]:
    with SMTPServer(Scripted(rcpt={"gone@acme.fi": "550 5.1.1 Mailbox unavailable"})) as smtp:
        yield smtp


def send(tmp_path: Path, port: int, email: str, *extra: str) -> Result:
    env = {
        "INVITATIONS_SECRET_KEYS": KEY,
        "INVITATIONS_BASE_URL": "http://127.0.0.1:8000",
        "INVITATIONS_TRANSPORT": f"smtp://127.0.0.1:{port}?timeout=5",
        "INVITATIONS_DB": str(tmp_path / "invitations.db"),
    }
    return CliRunner().invoke(main, ["send", email, "--company-id", "0112038-9",
                                     "--company-name", "Acme Oy", "--contract-number", "LOG-1",
                                     "--invited-by", "boss@acme.fi", *extra], env=env)


def test_a_refused_mail_exits_1_and_says_what_to_do(tmp_path: Path, server: SMTPServer) -> None:
    result = send(tmp_path, server.port, "gone@acme.fi", "--lang", "fi")
    assert result.exit_code == 1, result.output
    assert "toimitus:        failed (550" in result.stdout  # labels in --lang
    assert "hylkäsi viestin pysyvästi" in result.stderr
    assert "invitations resend" in result.stderr
    as_json = send(tmp_path, server.port, "gone@acme.fi", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["invitation"]["delivery_state"] == "failed"


def test_a_delivered_mail_exits_0_quietly(tmp_path: Path, server: SMTPServer) -> None:
    result = send(tmp_path, server.port, "matti@acme.fi", "--lang", "sv")
    assert result.exit_code == 0, result.output
    assert "leverans:    sent" in result.stdout and result.stderr == ""
    assert len(server.messages) == 1


def test_a_server_that_is_down_leaves_the_mail_queued(tmp_path: Path) -> None:
    down = SMTPServer()
    port = down.bind()  # reserved, not listening: connections are refused
    try:
        result = send(tmp_path, port, "matti@acme.fi", "--lang", "sv")
    finally:
        down.stop()
    assert result.exit_code == 0, result.output
    assert "leverans:    queued" in result.stdout
    assert "står i kö" in result.stderr and "invitations deliver" in result.stderr


def test_deliver_says_what_still_waits_and_when(tmp_path: Path) -> None:
    down = SMTPServer()
    port = down.bind()
    try:
        assert send(tmp_path, port, "matti@acme.fi").exit_code == 0
        env = {
            "INVITATIONS_DB": str(tmp_path / "invitations.db"),
            "INVITATIONS_TRANSPORT": f"smtp://127.0.0.1:{port}?timeout=5",
        }
        text = CliRunner().invoke(main, ["deliver", "--lang", "fi"], env=env)
        as_json = CliRunner().invoke(main, ["deliver", "--json"], env=env)
    finally:
        down.stop()
    assert text.exit_code == 0, text.output
    # Not due yet (backoff after the first failure): nothing tried, one waiting.
    assert "1 viestiä odottaa jonossa; seuraava yritys aikaisintaan" in text.stdout
    assert "Suomen aikaa" in text.stdout
    answer = json.loads(as_json.stdout)
    assert answer["waiting"] == 1 and answer["next_attempt_at"] is not None


@pytest.mark.parametrize("verb", ["resend", "revoke"])
def test_a_main_user_without_a_company_is_told_to_give_it(tmp_path: Path, verb: str) -> None:
    env = {"INVITATIONS_SECRET_KEYS": KEY, "INVITATIONS_BASE_URL": "http://127.0.0.1:8000",
           "INVITATIONS_DB": str(tmp_path / "invitations.db")}
    result = CliRunner().invoke(main, [verb, "some-id", "--by", "boss@acme.fi"], env=env)
    assert result.exit_code == 2
    assert "give --by-company-id" in result.output
