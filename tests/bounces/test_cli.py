"""The CLI: ``bounces import`` (Maildir, mbox, .eml), ``bounces serve`` (a real process
on a loopback port), ``list --status bounced --json`` and ``resend --email``."""

from __future__ import annotations

import json
import mailbox
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from invitations.cli import main
from invitations.config import service_from_env
from tests.bounces.fixtures import dsn
from tests.core.helpers import KEY


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "INVITATIONS_SECRET_KEYS": KEY,
        "INVITATIONS_BASE_URL": "http://127.0.0.1:8000",
        "INVITATIONS_TRANSPORT": f"file://{tmp_path / 'mail'}",
        "INVITATIONS_DB": str(tmp_path / "invitations.db"),
        "INVITATIONS_BOUNCE_ADDRESS": "bounces@example.org",
        "INVITATIONS_LANG": "en",
    }


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def send(env: dict[str, str], email: str) -> tuple[str, str, str]:
    """Invite ``email`` from the CLI; its id, Message-ID and return path."""
    result = run(env, "send", email, "--company-id", "0112038-9", "--company-name",
                 "Acme Oy", "--contract-number", "LOG-1", "--invited-by", "asiakaspalvelu",
                 "--inviter-role", "operator", "--role", "main_user", "--json")
    assert result.exit_code == 0, result.output
    invitation = json.loads(result.stdout)["invitation"]
    with service_from_env(env) as service:
        [row] = service.store.outbox(invitation_id=invitation["id"])
    return invitation["id"], invitation["message_id"], row.sender


def bounced(env: dict[str, str]) -> list[dict[str, object]]:
    result = run(env, "list", "--status", "bounced", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["invitations"]  # type: ignore[no-any-return]


def test_import_maildir_mbox_and_eml(env: dict[str, str], tmp_path: Path) -> None:
    one = send(env, "one@example.net")
    two = send(env, "two@example.net")
    three = send(env, "three@example.net")
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(dsn("postfix", return_path=one[2], recipient="one@example.net", message_id=one[1]))
    box.add(dsn("out-of-office", return_path=one[2]))
    mbox = mailbox.mbox(tmp_path / "bounces.mbox", create=True)
    mbox.add(dsn("gmail", return_path=two[2], recipient="two@example.net", message_id=two[1]))
    mbox.flush()
    mbox.close()
    eml = tmp_path / "three.eml"
    eml.write_bytes(dsn("exim-text", return_path=three[2], recipient="three@example.net",
                        message_id=three[1]))
    big = tmp_path / "big.eml"
    big.write_bytes(dsn("postfix") + b"x" * 4096)

    args = ("bounces", "import", str(tmp_path / "Maildir"), str(tmp_path / "bounces.mbox"),
            str(eml), str(big), "--max-size", "4096")
    result = run(env, *args, "--json")
    assert result.exit_code == 0, result.output
    mails = json.loads(result.stdout)["mails"]
    outcomes = [(m["skipped"], m["outcome"] and m["outcome"]["why"]) for m in mails]
    assert sorted(outcomes, key=str) == sorted([
        (False, "bounced"), (False, "auto_reply"), (False, "bounced"), (False, "bounced"),
        (True, None)], key=str)
    listed = bounced(env)
    assert sorted(i["id"] for i in listed) == sorted([one[0], two[0], three[0]])
    reasons = {i["email"]: (i["delivery_state"], i["bounce_status"], i["bounce_reason"])
               for i in listed}
    assert reasons == {"one@example.net": ("bounced", "5.1.1", "mailbox_unknown"),
                       "two@example.net": ("bounced", "5.1.1", "mailbox_unknown"),
                       "three@example.net": ("bounced", "5.2.2", "mailbox_full")}

    again = run(env, *args)  # importing again changes nothing
    assert again.exit_code == 0, again.output
    assert "0 invitations marked bounced" in again.output
    assert "duplicate" in again.output


def test_resend_to_a_corrected_address_from_the_cli(env: dict[str, str],
                                                    tmp_path: Path) -> None:
    inv_id, message_id, return_path = send(env, "maija@exampel.net")
    eml = tmp_path / "b.eml"
    eml.write_bytes(dsn("postfix", return_path=return_path, recipient="maija@exampel.net",
                        message_id=message_id))
    assert run(env, "bounces", "import", str(eml)).exit_code == 0
    result = run(env, "resend", inv_id, "--email", "maija@example.net", "--by",
                 "asiakaspalvelu", "--by-role", "operator", "--json")
    assert result.exit_code == 0, result.output
    fresh = json.loads(result.stdout)["invitation"]
    assert fresh["id"] != inv_id and fresh["email"] == "maija@example.net"
    assert fresh["delivery_state"] == "sent"
    assert bounced(env) == []
    text = run(env, "list")
    assert re.search(rf"{inv_id}\s+revoked", text.output)


def test_serve_receives_over_smtp_until_sigterm(env: dict[str, str]) -> None:
    inv_id, message_id, return_path = send(env, "gone@example.net")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("invitations")), "bounces", "serve", "--smtp",
         "127.0.0.1:0"], env={**os.environ, **env}, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        port = None
        deadline = time.monotonic() + 30
        while port is None:
            assert time.monotonic() < deadline, "the receiver did not start"
            line = process.stderr.readline()
            assert line or process.poll() is None, "the receiver exited"
            found = re.search(r"Receiving bounces on 127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.sendmail("", [return_path], dsn(
                "exchange", return_path=return_path, recipient="gone@example.net",
                message_id=message_id))
        assert [i["id"] for i in bounced(env)] == [inv_id]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0
