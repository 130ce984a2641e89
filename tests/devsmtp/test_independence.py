"""devsmtp stands on its own: importing it never loads the invitations toolkit."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    return result.stdout.strip()


def test_the_server_imports_nothing_of_invitations() -> None:
    code = ("import devsmtp.server, sys; "
            "print(sorted(m for m in sys.modules if m.startswith('invitations')))")
    assert _run(code) == "[]"


def test_every_room_imports_nothing_of_invitations() -> None:
    code = ("import sys, devsmtp.server, devsmtp.cli, devsmtp.testing.capture, "
            "devsmtp.testing.mail, devsmtp.pytest_plugin, devsmtp.web.invitation; "
            "print(sorted(m for m in sys.modules if m.startswith('invitations')))")
    assert _run(code) == "[]"


def test_import_devsmtp_loads_no_web_server() -> None:
    code = ("import sys, devsmtp; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'aiosmtpd', 'devsmtp.server') "
            "if m in sys.modules))")
    assert _run(code) == "[]"
