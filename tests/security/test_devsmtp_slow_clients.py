"""Issue 12, item 15: slow clients are cut off on devsmtp's HTTP and SMTP sides.

50 half-sent HTTP requests were held for 77 s: uvicorn has a keep-alive timeout but
none for a request's head. devsmtp closes a connection whose request head is not
complete within ``http_header_timeout``, caps concurrent connections
(``http_limit_concurrency``, 503 beyond), and SMTP sessions idle longer than
``session_timeout`` are closed.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx

from devsmtp import DevSMTP


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if sock.recv(4096) == b"":
                return True
    except (TimeoutError, ConnectionError):
        return False
    return False


def test_half_sent_http_request_is_closed(tmp_path: Path) -> None:
    with DevSMTP(tmp_path / "d", http_header_timeout=1.0) as server:
        with socket.create_connection(("127.0.0.1", server.http_port)) as sock:
            sock.sendall(b"GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1")
            assert _closed_within(sock, 6)
        with socket.create_connection(("127.0.0.1", server.http_port)) as sock:
            assert _closed_within(sock, 6)  # nothing sent at all
        assert httpx.get(server.api_url + "/info").status_code == 200


def test_connection_limit(tmp_path: Path) -> None:
    with DevSMTP(tmp_path / "d", http_limit_concurrency=3, http_header_timeout=30) as server:
        held = [socket.create_connection(("127.0.0.1", server.http_port)) for _ in range(4)]
        try:
            time.sleep(0.3)
            answer = httpx.get(server.api_url + "/info")
            assert answer.status_code == 503
        finally:
            for sock in held:
                sock.close()


def test_idle_smtp_session_is_closed(tmp_path: Path) -> None:
    with DevSMTP(tmp_path / "d", session_timeout=1.0) as server, \
            socket.create_connection(("127.0.0.1", server.smtp_port)) as sock:
        sock.settimeout(5)
        assert sock.recv(4096).startswith(b"220")
        sock.sendall(b"EHLO slow\r\n")
        time.sleep(0.2)
        sock.recv(4096)
        assert _closed_within(sock, 6)
