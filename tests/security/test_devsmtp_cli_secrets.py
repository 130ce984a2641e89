"""Issue 12, item 7 (devsmtp's part): ``devsmtp serve`` takes its secrets from files or the
environment, so they need not be in the process list (``--secret-keys-file`` /
``DEVSMTP_SECRET_KEYS``, ``--auth-file`` / ``DEVSMTP_AUTH``).
"""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import devsmtp.server
from devsmtp.cli.commands import main
from devsmtp.errors import DevSMTPError

KEYS = "Uusi-avain-2026-abcdefghijklmnop,Vanha-avain-2025-qrstuvwxyz012345"
AUTH = "qa:Vahva2026!Kala"


class _Stop(DevSMTPError):
    code = "stop"


def _serve(monkeypatch: pytest.MonkeyPatch, args: list[str],
           env: dict[str, str] | None = None) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    class Recorder:
        def __init__(self, data_dir: Path, **options: Any) -> None:
            seen.update(options)

        def start(self) -> None:
            raise _Stop("recorded")

    monkeypatch.setattr(devsmtp.server, "DevSMTP", Recorder)
    result = CliRunner().invoke(main, ["serve", *args], env=env or {})
    assert seen, result.output
    return seen


def test_secret_keys_and_auth_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "keys").write_text(KEYS + "\n")
    (tmp_path / "auth").write_text(AUTH + "\n")
    seen = _serve(monkeypatch, ["--data", str(tmp_path / "d"),
                                "--secret-keys-file", str(tmp_path / "keys"),
                                "--auth-file", str(tmp_path / "auth")])
    assert seen["web"]["secret_keys"] == KEYS
    assert seen["auth"] == AUTH


def test_secret_keys_and_auth_from_the_environment(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _serve(monkeypatch, ["--data", str(tmp_path / "d")],
                  env={"DEVSMTP_SECRET_KEYS": KEYS, "DEVSMTP_AUTH": AUTH})
    assert seen["web"]["secret_keys"] == KEYS
    assert seen["auth"] == AUTH


def test_running_server_keeps_the_password_off_its_command_line(tmp_path: Path) -> None:
    (tmp_path / "auth").write_text(AUTH + "\n")
    os.chmod(tmp_path / "auth", 0o600)
    command = [sys.executable, "-m", "devsmtp", "serve", "--smtp", "127.0.0.1:0",
               "--http", "127.0.0.1:0", "--data", str(tmp_path / "d"), "--json",
               "--auth-file", str(tmp_path / "auth")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "devsmtp serve did not start"
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert b"Vahva2026" not in cmdline
        import json
        port = json.loads(line)["smtp_port"]
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.login("qa", "Vahva2026!Kala")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client, \
                pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("qa", "wrong")
    finally:
        process.terminate()
        process.wait(10)
        time.sleep(0)
