"""Issue 12, item 10: release goes only to relays configured at start; errors are generic.

``POST /api/messages/{id}/release`` with ``"host"``/``"port"`` delivered to any address
the caller named, and the error text told open ports from closed ones.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from devsmtp import DevSMTP

from .conftest import devsmtp_mail, devsmtp_send


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_release_to_an_unconfigured_host_is_refused(tmp_path: Path) -> None:
    with DevSMTP(tmp_path / "target") as target, \
            DevSMTP(tmp_path / "d", relay_allow=("*",)) as server:
        devsmtp_send(server, devsmtp_mail())
        answer = httpx.post(server.api_url + "/messages/1/release",
                            json={"to": ["qa@example.com"], "host": "127.0.0.1",
                                  "port": target.smtp_port})
        assert answer.status_code == 403
        assert answer.json()["error"] == "relay_not_allowed"
        assert target.store.count() == 0


def test_release_goes_to_the_configured_relay(tmp_path: Path) -> None:
    with DevSMTP(tmp_path / "target") as target, \
            DevSMTP(tmp_path / "d", relay_allow=("*",), relay_host="127.0.0.1",
                    relay_port=target.smtp_port) as server:
        devsmtp_send(server, devsmtp_mail())
        plain = httpx.post(server.api_url + "/messages/1/release", json={"to": ["qa@x.fi"]})
        named = httpx.post(server.api_url + "/messages/1/release",
                           json={"to": ["qa@x.fi"], "host": "127.0.0.1",
                                 "port": target.smtp_port})
        assert plain.status_code == 200, plain.text
        assert named.status_code == 200, named.text
        assert target.store.wait_until(lambda: target.store.count() == 2, 10)


def test_release_errors_do_not_tell_open_from_closed_ports(tmp_path: Path) -> None:
    closed = _closed_port()
    with DevSMTP(tmp_path / "d", relay_allow=("*",),
                 relay_hosts=(f"127.0.0.1:{closed}",)) as server:
        devsmtp_send(server, devsmtp_mail())
        answer = httpx.post(server.api_url + "/messages/1/release",
                            json={"to": ["qa@x.fi"], "host": "127.0.0.1", "port": closed})
    assert answer.status_code == 502
    text = answer.text.lower()
    assert str(closed) not in text
    assert "refused" not in text and "errno" not in text and "timed out" not in text
