"""Issue 12, fuzzing: devsmtp's SMTP side fed malformed command sequences and bodies.

A seeded, bounded run of sessions mixing valid and broken commands, binary junk, over-long
lines, bare CR/LF, pipelined garbage and DATA cut off mid-body. After each session the
server still answers a well-formed transaction, and only messages whose DATA ended with
``<CRLF>.<CRLF>`` were stored (nothing partial).
"""

from __future__ import annotations

import contextlib
import random
import smtplib
import socket
from pathlib import Path

from devsmtp import DevSMTP

SEED = 20261205
SESSIONS = 40
COMMANDS = [b"EHLO fuzz", b"HELO fuzz", b"MAIL FROM:<a@example.com>", b"RCPT TO:<qa@example.com>",
            b"RSET", b"NOOP", b"VRFY x", b"MAIL FROM:<>", b"RCPT TO:<>", b"MAIL FROM:a@b c",
            b"RCPT TO:<qa@example.com> SIZE=-1", b"MAIL FROM:<a@example.com> SIZE=99999999999999",
            b"AUTH PLAIN", b"STARTTLS", b"BDAT 10 LAST", b"DATA", b"QUIT", b"\x00\xff\xfe",
            b"EHLO " + b"x" * 5000, b"MAIL FROM:<" + b"a" * 3000 + b"@example.com>"]


def _junk(rng: random.Random) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    if kind == 1:
        return rng.choice([b"\r", b"\n", b"\r\r\n", b"\n.\n", b"\r.\r"]) * rng.randrange(1, 5)
    if kind == 2:
        return b"Subject: " + b"y" * rng.randrange(1000, 20000)
    return rng.choice(COMMANDS)


def _session(port: int, rng: random.Random) -> None:
    """One hostile session; a DATA body is never terminated (it must not be stored)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.settimeout(0.3)
        try:
            sock.recv(4096)
            for _ in range(rng.randrange(1, 12)):
                line = rng.choice(COMMANDS) if rng.random() < 0.6 else _junk(rng)
                sock.sendall(line + rng.choice([b"\r\n", b"\n", b"\r\n", b""]))
                with contextlib.suppress(TimeoutError):
                    sock.recv(65536)
            # Cut off: a body without the final <CRLF>.<CRLF>, then hang up.
            sock.sendall(b"From: a@example.com\r\n\r\nunfinished " + _junk(rng))
        except (ConnectionError, TimeoutError):
            pass


def test_malformed_sessions_store_nothing_and_keep_the_server_up(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    with DevSMTP(tmp_path / "d", session_timeout=5) as server:
        for _ in range(SESSIONS):
            _session(server.smtp_port, rng)
        assert server.wait_connections_closed(30)
        assert server.store.count() == 0
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
            client.sendmail("a@example.com", ["qa@example.com"],
                            b"From: a@example.com\r\nSubject: ok\r\n\r\nstill up\r\n")
        assert server.store.wait_until(lambda: server.store.count() == 1, 10)
