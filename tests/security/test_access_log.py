"""Issue 12, item 4: the project's own servers keep invitation tokens out of access logs.

uvicorn logs every request line in full, so ``GET /register?token=...`` put working
links into log files. The registration server (the demo's and the tests') logs request
lines with the token's value replaced by ``[redacted]``, through a filter that a mounted
app can install too (``invitations.web.RedactTokens``).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from uvicorn.logging import AccessFormatter

from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from invitations.web import RedactTokens, create_app
from invitations.web.server import BackgroundServer

KEY = "security-tests-secret-key-0123456789abcdef"
SECRET = "SECRET-c2VjcmV0LXRva2VuLXZhbHVl"


class Records(logging.Handler):
    """Keeps every record that reaches it, formatted as uvicorn formats access lines."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s'))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.lines.append(record.getMessage())


@contextmanager
def recording(logger: logging.Logger) -> Iterator[Records]:
    records = Records()
    logger.addHandler(records)
    try:
        yield records
    finally:
        logger.removeHandler(records)


@pytest.mark.parametrize(("target", "logged"), [
    (f"/register?token={SECRET}", "/register?token=[redacted]"),
    (f"/register?lang=sv&token={SECRET}", "/register?lang=sv&token=[redacted]"),
    (f"/confirm-email?token={SECRET}&lang=fi", "/confirm-email?token=[redacted]&lang=fi"),
    # Starlette reads a percent-encoded key as "token": so does the filter.
    (f"/register?%74oken={SECRET}", "/register?%74oken=[redacted]"),
])
def test_the_registration_server_logs_requests_without_the_token(
    tmp_path: Path, target: str, logged: str
) -> None:
    store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
    web = BackgroundServer(access_log=True)
    try:
        service = InvitationService([KEY], web.url, "memory://", store=store)
        # Starting configures uvicorn's loggers afresh: listen once it has.
        web.start(create_app(service, session_keys=[KEY]))
        with (recording(logging.getLogger("uvicorn.access")) as access_log,
              httpx.Client(base_url=web.url, trust_env=False, timeout=10) as client):
            response = client.get(target)
        # uvicorn logs the line as the response starts, before the client has it.
        assert response.status_code == 303
    finally:
        web.stop()
        store.close()
    assert access_log.lines, "the server logged no request"
    assert not [line for line in access_log.lines if SECRET in line], access_log.lines
    assert all(f"GET {logged} HTTP/1.1" in line for line in access_log.lines), access_log.lines


def test_the_filter_keeps_other_parameters_and_every_record() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/register?lang=fi&token={SECRET}&x=1", "1.1", 303), None,
    )
    assert RedactTokens().filter(record) is True
    assert record.getMessage() == (
        '127.0.0.1:5000 - "GET /register?lang=fi&token=[redacted]&x=1 HTTP/1.1" 303')
    assert isinstance(record.args, tuple) and len(record.args) == 5  # uvicorn unpacks them


def test_the_demo_prints_its_requests_with_the_token_redacted(tmp_path: Path) -> None:
    command = [str(Path(sys.executable).with_name("invitations")), "demo", "--once",
               "--data-dir", str(tmp_path / "demo")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVITATIONS_")}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=90,
                            check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    link = re.search(r"^Registration: \S+\?token=(\S+)$", output, re.M)
    assert link, output
    token = link.group(1)
    # The demo prints the link on purpose, once; its access log never does.
    assert output.count(token) == 1, output
    assert re.search(r'"GET /register\?token=\[redacted\] HTTP/1\.1" 303', output), output
