"""devsmtp stands on its own: importing it never loads the invitations toolkit."""

from __future__ import annotations

import subprocess
import sys

import pytest


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


def test_the_panel_says_so_when_invitations_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from devsmtp.catalog import language
    from devsmtp.mail import ParsedMail
    from devsmtp.web.invitation import InvitationChecker, build_panel

    for name in ("invitations", "invitations.errors", "invitations.tokens"):
        monkeypatch.setitem(sys.modules, name, None)  # import of it raises ImportError
    raw = (b"Subject: Kutsu\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b'<div lang="en"><a href="http://localhost/register?token=a.b.c">Register</a></div>')
    panel = build_panel(ParsedMail(raw), expected=("en",),
                        checker=InvitationChecker(["k" * 32]), language=language("en"))
    assert panel is not None
    assert panel.state is None
    assert panel.state_detail is not None and "not installed" in panel.state_detail
