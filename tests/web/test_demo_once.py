"""``invitations demo --once``: real devsmtp, real SMTP, real registration page, exit 0."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from invitations.models import InvitationStatus
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore

SUBJECT = "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"


COMMAND = [str(Path(sys.executable).with_name("invitations")), "demo"]
# English whatever the locale: the assertions read the English lines.
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("INVITATIONS_")},
       "INVITATIONS_LANG": "en"}


def _demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "--once", *args], cwd=cwd, env=ENV, capture_output=True, text=True,
        timeout=90, check=False,
    )


def _token(output: str) -> str:
    match = re.search(r"^Registration: (http://127\.0\.0\.1:\d+/register\?token=(\S+))$",
                      output, re.M)
    assert match, output
    return match.group(2)


def test_demo_once_sends_captures_and_exits(tmp_path: Path) -> None:
    result = _demo(tmp_path)
    output = result.stdout
    assert result.returncode == 0, f"{output}\n{result.stderr}"
    assert "NOTICE: generated a new secret key for the demo in .demo/secret-key" in output
    assert f"Subject:   {SUBJECT}" in output
    assert "To:        uusi.kayttaja@example.com" in output
    assert "From:      noreply@posti.fi" in output or "From:      Posti" in output
    assert "Languages: fi, sv, en" in output
    assert re.search(r"^Inbox:        http://127\.0\.0\.1:\d+/$", output, re.M), output
    assert re.search(r"^Message:      http://127\.0\.0\.1:\d+/messages/\S+$", output, re.M)
    assert "The registration page answers 200" in output
    assert "Traceback" not in result.stderr

    demo_dir = tmp_path / ".demo"
    key_file = demo_dir / "secret-key"
    key = key_file.read_text().strip()
    assert len(key) >= 43
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The printed link is a real, still unused invitation in the demo's store
    # (the --once check opened it with GET, which must not have consumed it).
    store = SQLiteInvitationStore(demo_dir / "invitations.sqlite3")
    try:
        service = InvitationService([key], "http://127.0.0.1", None, store=store)
        invitation = service.verify(_token(output))
        assert invitation.email == "uusi.kayttaja@example.com"
        assert invitation.status is InvitationStatus.PENDING
    finally:
        store.close()


def test_demo_once_again_reuses_the_key_and_resends(tmp_path: Path) -> None:
    first = _demo(tmp_path, "--to", "toinen@example.com")
    assert first.returncode == 0, f"{first.stdout}\n{first.stderr}"
    key = (tmp_path / ".demo" / "secret-key").read_text()
    second = _demo(tmp_path, "--to", "toinen@example.com")
    assert second.returncode == 0, f"{second.stdout}\n{second.stderr}"
    assert "Using the demo secret key in .demo/secret-key" in second.stdout
    assert "NOTICE" not in second.stdout
    assert (tmp_path / ".demo" / "secret-key").read_text() == key
    assert _token(first.stdout) != _token(second.stdout)


def test_demo_data_dir_option(tmp_path: Path) -> None:
    result = _demo(tmp_path, "--data-dir", "elsewhere")
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert (tmp_path / "elsewhere" / "secret-key").exists()
    assert not (tmp_path / ".demo").exists()


def _refused(url: str) -> bool:
    host, port = re.match(r"http://([\d.]+):(\d+)", url).groups()  # type: ignore[union-attr]
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((host, int(port))) != 0


# A runner started in the background (``nohup``, ``&`` in a script) ignores SIGINT,
# and so would the demo it starts; the demo relies on Python's KeyboardInterrupt,
# which needs SIGINT at its default when Python starts. Restore it, then exec the demo.
WITH_CTRL_C = [sys.executable, "-c", "import os, signal, sys; "
               "signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])",
               *COMMAND]


def test_interactive_demo_serves_until_ctrl_c(tmp_path: Path) -> None:
    process = subprocess.Popen(
        WITH_CTRL_C, cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any("Press Ctrl-C" in line for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            line = process.stdout.readline()
            assert line, "the demo exited early:\n" + "".join(lines)
            lines.append(line)
        output = "".join(lines)
        inbox = re.search(r"^Inbox:        (\S+)$", output, re.M)
        link = re.search(r"^Registration: (\S+)$", output, re.M)
        assert inbox and link, output
        with httpx.Client(trust_env=False, timeout=10, follow_redirects=True) as client:
            assert client.get(inbox.group(1)).status_code == 200
            form = client.get(link.group(1))
            assert form.status_code == 200 and 'data-testid="page-register"' in form.text
        process.send_signal(signal.SIGINT)
        rest, errors = process.communicate(timeout=30)
        assert process.returncode == 0, errors
        assert "Stopped devsmtp and the registration page." in rest
        assert _refused(inbox.group(1)) and _refused(link.group(1))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
