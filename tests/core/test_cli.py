"""The core CLI commands, through click's runner and as the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from invitations.cli import main
from tests.core.helpers import KEY, OLD_KEY, STRONG, link_in, token_of

COMMANDS = ["send", "verify", "redeem", "confirm-email", "resend", "revoke", "list",
            "check-password"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "INVITATIONS_SECRET_KEYS": f"{KEY},{OLD_KEY}",
        "INVITATIONS_BASE_URL": "http://127.0.0.1:8000",
        "INVITATIONS_TRANSPORT": f"file://{tmp_path / 'mail'}",
        "INVITATIONS_DB": str(tmp_path / "invitations.db"),
        "INVITATIONS_LANG": "en",
    }


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, input=stdin)


def send(env: dict[str, str], *extra: str) -> dict[str, object]:
    result = run(env, "send", "matti@acme.fi", "--company-id", "0112038-9",
                 "--company-name", "Acme Oy", "--contract-number", "LOG-1",
                 "--invited-by", "boss@acme.fi", "--json", *extra)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True
    return data["invitation"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("command", COMMANDS)
def test_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "--json" in result.output


def test_send_verify_redeem_list(env: dict[str, str], tmp_path: Path) -> None:
    invitation = send(env, "--first-name", "Matti", "--last-name", "Meikäläinen")
    [mail] = list((tmp_path / "mail").glob("*.eml"))
    assert link_in(mail.read_bytes()) == invitation["link"]
    token = token_of(str(invitation["link"]))

    ok = run(env, "verify", token, "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["valid"] is True
    text = run(env, "verify", token)
    assert text.exit_code == 0 and "valid" in text.stdout

    bad = run(env, "verify", token[:-2] + "xx", "--json")
    assert bad.exit_code == 1 and json.loads(bad.stdout)["code"] == "token_tampered"

    redeemed = run(env, "redeem", token, "--first-name", "Matti", "--last-name",
                   "Meikäläinen", "--json", stdin=STRONG + "\n")
    assert redeemed.exit_code == 0, redeemed.output
    assert json.loads(redeemed.stdout)["invitation"]["status"] == "accepted"

    used = run(env, "verify", token)
    assert used.exit_code == 1 and "[invitation_used]" in used.stderr

    listed = run(env, "list", "--json")
    [row] = json.loads(listed.stdout)["invitations"]
    assert row["status"] == "accepted" and row["delivery_state"] == "sent"
    assert "matti@acme.fi" in run(env, "list", "--company-id", "0112038-9").stdout
    assert "no invitations" in run(env, "list", "--status", "pending").stdout


def test_redeem_reports_every_field(env: dict[str, str]) -> None:
    token = token_of(str(send(env)["link"]))
    result = run(env, "redeem", token, "--first-name", "Matti", "--last-name", "X1",
                 "--lang", "fi", stdin="lyhyt\n")
    assert result.exit_code == 1
    assert "[registration_rejected]" in result.stderr
    assert "last_name:" in result.stderr and "Salasanassa" in result.stderr


def test_resend_and_revoke(env: dict[str, str]) -> None:
    first = send(env)
    resent = run(env, "resend", str(first["id"]), "--by", "boss@acme.fi", "--by-company-id",
                 "0112038-9", "--json")
    assert resent.exit_code == 0, resent.output
    assert json.loads(resent.stdout)["invitation"]["resend_count"] == 1
    old = run(env, "verify", token_of(str(first["link"])), "--json")
    assert json.loads(old.stdout)["code"] == "invitation_superseded"
    denied = run(env, "revoke", str(first["id"]), "--by", "someone@else.fi",
                 "--by-company-id", "2077474-0")
    assert denied.exit_code == 1 and "[not_authorized]" in denied.stderr
    revoked = run(env, "revoke", str(first["id"]), "--by", "cs@posti.fi", "--by-role",
                  "operator", "--json")
    assert json.loads(revoked.stdout)["invitation"]["status"] == "revoked"


def test_send_errors(env: dict[str, str]) -> None:
    result = run(env, "send", "matti@acme.fi", "--company-id", "0112038-8",
                 "--company-name", "Acme", "--contract-number", "1", "--invited-by", "b@a.fi")
    assert result.exit_code == 1 and "[invalid_business_id]" in result.stderr
    result = run(env, "send", "matti@acme.fi", "--company-id", "0112038-9",
                 "--company-name", "Acme", "--invited-by", "b@a.fi", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["code"] == "contract_number_required"


def test_configuration_errors_are_explained(env: dict[str, str]) -> None:
    result = run({**env, "INVITATIONS_SECRET_KEYS": "tooshort"}, "list")
    assert result.exit_code == 1 and "at least 32 bytes" in result.stderr
    result = run({**env, "INVITATIONS_BASE_URL": ""}, "list")
    assert result.exit_code == 1 and "INVITATIONS_BASE_URL" in result.stderr


def test_check_password(env: dict[str, str]) -> None:
    ok = run(env, "check-password", "--first-name", "Anna", "--last-name", "Mäkelä",
             stdin="Vahva2026!x\n")
    assert ok.exit_code == 0 and "accepted" in ok.stdout
    bad = run(env, "check-password", "--first-name", "Anna", "--last-name", "Mäkelä",
              "--lang", "sv", stdin="mäkelä\n")
    assert bad.exit_code == 1 and "Lösenordet" in bad.stderr
    data = run(env, "check-password", "--first-name", "A", "--last-name", "B", "--json",
               "--policy", "nist", stdin="Password2024!!!!\n")
    assert data.exit_code == 1
    assert [v["code"] for v in json.loads(data.stdout)["violations"]] == ["common_password"]


def test_console_script_in_a_real_process(env: dict[str, str]) -> None:
    script = Path(sys.executable).with_name("invitations")
    assert script.exists(), f"console script missing at {script}"
    full_env = {**os.environ, **env}
    check = subprocess.run(
        [str(script), "check-password", "--first-name", "Anna-Liisa", "--last-name", "Åström"],
        input="Xiis12345!\n", capture_output=True, text=True, env=full_env, timeout=60,
    )
    assert check.returncode == 1 and "(found: iis)" in check.stderr
    sent = subprocess.run(
        [str(script), "send", "matti@acme.fi", "--company-id", "0112038-9", "--company-name",
         "Acme Oy", "--contract-number", "C", "--invited-by", "boss@acme.fi", "--json"],
        capture_output=True, text=True, env=full_env, timeout=60,
    )
    assert sent.returncode == 0, sent.stderr
    link = json.loads(sent.stdout)["invitation"]["link"]
    verified = subprocess.run([str(script), "verify", token_of(link), "--json"],
                              capture_output=True, text=True, env=full_env, timeout=60)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["invitation"]["email"] == "matti@acme.fi"


def test_send_csv_delegates_to_bulk(env: dict[str, str], tmp_path: Path) -> None:
    rows = tmp_path / "people.csv"
    rows.write_text(
        "email,first_name,last_name,languages,role,company_id,company_name,contract_number,"
        "invited_by\n"
        "a@acme.fi,Aino,Ääpö,fi,user,0112038-9,Acme Oy,LOG-1,boss@acme.fi\n"
        "b@acme.fi,Bertil,Öst,sv,user,0112038-9,Acme Oy,LOG-1,boss@acme.fi\n",
        encoding="utf-8",
    )
    result = run(env, "send", "--csv", str(rows), "--workers", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sent"] == 2
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2
    both = run(env, "send", "x@acme.fi", "--csv", str(rows))
    assert both.exit_code == 2 and "not both" in both.output
    neither = run(env, "send", "--company-id", "0112038-9")
    assert neither.exit_code == 2 and "missing EMAIL" in neither.output
