"""Issue 12, item 7: ``invitations redeem`` never needs the token on its command line.

The process list (``/proc/<pid>/cmdline``) is readable by every local user, so a token
given as an argument is a working link handed to all of them. The token can come from
standard input (``-``, the first line; the password is the next one), from the
``INVITATIONS_TOKEN`` environment variable or from ``--token-file``. Each test reads the
running command's ``cmdline`` while it waits for its standard input.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from invitations.models import Company, Inviter, Role
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore

COMMAND = str(Path(sys.executable).with_name("invitations"))
PASSWORD = "Vahva2026!Kala"
NAMES = ("--first-name", "Matti", "--last-name", "Virtanen")


@dataclass
class Invited:
    env: dict[str, str]
    token: str
    store: Path

    def status(self, invitation_id: str) -> str:
        keys = self.env["INVITATIONS_SECRET_KEYS"]
        store = SQLiteInvitationStore(self.store)
        try:
            with InvitationService([keys], "http://127.0.0.1", None, store=store) as service:
                return str(service.get(invitation_id).status)
        finally:
            store.close()


@pytest.fixture
def invited(tmp_path: Path) -> Iterator[Invited]:
    key = secrets.token_urlsafe(32)
    store_path = tmp_path / "invitations.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVITATIONS_")}
    env.update({
        "INVITATIONS_SECRET_KEYS": key,
        "INVITATIONS_BASE_URL": "http://127.0.0.1:8000",
        "INVITATIONS_TRANSPORT": "null://",
        "INVITATIONS_DB": str(store_path),
        "INVITATIONS_LANG": "en",
    })
    store = SQLiteInvitationStore(store_path)
    try:
        with InvitationService([key], env["INVITATIONS_BASE_URL"], "null://",
                               store=store) as service:
            invitation = service.send_invite(
                "matti@acme.fi", company=Company("0112038-9", "Acme Oy", "LOG-1"),
                invited_by=Inviter("boss@acme.fi", None, Role.MAIN_USER, "0112038-9"))
    finally:
        store.close()
    assert invitation.link is not None
    yield Invited(env, invitation.link.split("token=", 1)[1], store_path)


def _redeem(invited: Invited, args: list[str], stdin: str,
            env: dict[str, str] | None = None) -> tuple[bytes, subprocess.CompletedProcess[str]]:
    """Run ``invitations redeem ARGS``; return its cmdline as the kernel shows it while the
    command waits for standard input, and how it ended."""
    process = subprocess.Popen(  # Popen returns once the command has been exec'd
        [COMMAND, "redeem", *args, *NAMES, "--json"], env=env or invited.env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        cmdline = _cmdline(process.pid)
        stdout, stderr = process.communicate(stdin, timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert b"redeem" in cmdline and b"--first-name" in cmdline, cmdline  # the real command
    return cmdline, subprocess.CompletedProcess(process.args, process.returncode, stdout,
                                                stderr)


def _cmdline(pid: int) -> bytes:
    """The argv of ``pid`` as every local user can read it.

    Popen returns when exec closes its close-on-exec pipe, a moment before the kernel
    has laid out the new argv (the file reads empty until then); the command then waits
    for its standard input, so its argv is read in that wait, yielding meanwhile."""
    path = Path(f"/proc/{pid}/cmdline")
    deadline = time.monotonic() + 10
    while not (cmdline := path.read_bytes()):
        assert time.monotonic() < deadline, "the command never showed its argv"
        os.sched_yield()
    return cmdline


def _accepted(invited: Invited, result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    invitation = json.loads(result.stdout)["invitation"]
    assert invitation["status"] == "accepted"
    assert invited.status(invitation["id"]) == "accepted"


def test_token_and_password_on_standard_input(invited: Invited) -> None:
    cmdline, result = _redeem(invited, ["-"], f"{invited.token}\n{PASSWORD}\n")
    assert invited.token.encode() not in cmdline
    _accepted(invited, result)
    assert "process list" not in result.stderr  # no warning: this is the way


def test_token_in_the_environment(invited: Invited) -> None:
    env = {**invited.env, "INVITATIONS_TOKEN": invited.token}
    cmdline, result = _redeem(invited, [], f"{PASSWORD}\n", env=env)
    assert invited.token.encode() not in cmdline
    _accepted(invited, result)


def test_token_in_a_file(invited: Invited, tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.touch(mode=0o600)
    path.write_text(f"{invited.token}\n", encoding="utf-8")
    cmdline, result = _redeem(invited, ["--token-file", str(path)], f"{PASSWORD}\n")
    assert invited.token.encode() not in cmdline
    _accepted(invited, result)


def test_the_argument_still_works_and_says_why_not_to(invited: Invited) -> None:
    cmdline, result = _redeem(invited, [invited.token], f"{PASSWORD}\n")
    assert invited.token.encode() in cmdline  # what the other ways avoid
    _accepted(invited, result)
    assert "process list" in result.stderr


@pytest.mark.parametrize(("args", "stdin", "message"), [
    ([], f"{PASSWORD}\n", "no token"),
    (["-"], "\n", "no token"),
    (["TOKEN", "--token-file", "/dev/null"], "", "not both"),
])
def test_a_missing_or_doubled_token_is_a_usage_error(
    invited: Invited, args: list[str], stdin: str, message: str
) -> None:
    _, result = _redeem(invited, args, stdin)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
