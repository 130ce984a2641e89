"""Issue 12, item 9: devsmtp refuses cross-site requests and DNS-rebinding host names.

A page on another origin (another localhost port is "same-site" for a browser) could
``POST`` a fault rule with ``Content-Type: text/plain`` (no preflight), and any ``Host``
header was served, so a rebinding domain read every captured mail. JSON endpoints now
refuse non-JSON bodies (415), state-changing requests from another origin are refused
(403), and only the bound host, ``localhost``, ``127.0.0.1``, ``[::1]`` and
``allowed_hosts`` are served (421).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from devsmtp import DevSMTP

RULE = '{"stage": "rcpt", "code": 550}'


def _rules(server: DevSMTP) -> list[object]:
    rules: list[object] = httpx.get(server.api_url + "/faults").json()["rules"]
    return rules


def test_text_plain_body_is_refused(devsmtp_server: DevSMTP) -> None:
    answer = httpx.post(devsmtp_server.api_url + "/faults", content=RULE,
                        headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415
    assert answer.json()["error"] == "unsupported_media_type"
    assert _rules(devsmtp_server) == []


def test_form_body_is_refused(devsmtp_server: DevSMTP) -> None:
    answer = httpx.post(devsmtp_server.api_url + "/messages/1/release",
                        data={"to": "a@example.com"})
    assert answer.status_code == 415


@pytest.mark.parametrize("headers", [
    {"Origin": "http://127.0.0.1:1"},
    {"Origin": "null"},
    {"Origin": "http://attacker.example"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site"},
])
def test_cross_site_state_change_is_refused(devsmtp_server: DevSMTP,
                                            headers: dict[str, str]) -> None:
    answer = httpx.put(devsmtp_server.api_url + "/faults", content=RULE,
                       headers={"Content-Type": "application/json", **headers})
    assert answer.status_code == 403
    assert answer.json()["error"] == "cross_site_refused"
    assert _rules(devsmtp_server) == []
    deleted = httpx.delete(devsmtp_server.api_url + "/messages", headers=headers)
    assert deleted.status_code == 403


def test_same_origin_state_change_is_served(devsmtp_server: DevSMTP) -> None:
    headers = {"Origin": devsmtp_server.http_url, "Sec-Fetch-Site": "same-origin"}
    answer = httpx.put(devsmtp_server.api_url + "/faults", json={"stage": "rcpt", "code": 550},
                       headers=headers)
    assert answer.status_code == 201
    assert len(_rules(devsmtp_server)) == 1


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:80", "127.0.0.1.nip.io"])
def test_rebinding_host_is_refused(devsmtp_server: DevSMTP, host: str) -> None:
    for path in ("/api/messages", "/", "/api/info"):
        answer = httpx.get(devsmtp_server.http_url + path, headers={"Host": host})
        assert answer.status_code == 421, path
        assert "attacker" not in answer.text


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST:8025", "[::1]:1"])
def test_loopback_names_are_served(devsmtp_server: DevSMTP, host: str) -> None:
    answer = httpx.get(devsmtp_server.api_url + "/info", headers={"Host": host})
    assert answer.status_code == 200


def test_allowed_host_is_served(tmp_path: Path) -> None:
    with DevSMTP(tmp_path / "d", allowed_hosts=("devsmtp.test",)) as server:
        ok = httpx.get(server.api_url + "/info", headers={"Host": "devsmtp.test:8025"})
        refused = httpx.get(server.api_url + "/info", headers={"Host": "other.test"})
    assert ok.status_code == 200
    assert refused.status_code == 421
