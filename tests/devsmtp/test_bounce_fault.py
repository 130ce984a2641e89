"""devsmtp bounces on request: a ``bounce`` fault rule accepts with 250, stores the
message, then sends an RFC 3464 DSN to the envelope sender through the bounce relay
(here a second devsmtp on loopback, standing in for a bounce receiver)."""

from __future__ import annotations

import email
import smtplib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devsmtp import DevSMTP
from devsmtp.mail.report import delivery_statuses
from devsmtp.testing import Capture

from .conftest import make_message


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[DevSMTP]:
    """Where the DSNs go: a devsmtp of its own."""
    with DevSMTP(tmp_path / "receiver") as running:
        yield running


@pytest.fixture
def bouncing(tmp_path: Path, receiver: DevSMTP) -> Iterator[DevSMTP]:
    with DevSMTP(tmp_path / "bouncing",
                 bounce_relay=f"127.0.0.1:{receiver.smtp_port}") as running:
        yield running


def _send(server: DevSMTP, sender: str, to: list[str]) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
        client.ehlo()
        client.mail(sender)
        for address in to:
            client.rcpt(address)
        return client.data(make_message(to=", ".join(to)))


def _wait_for_dsn(receiver: DevSMTP, to: str) -> bytes:
    with httpx.Client(base_url=receiver.api_url, timeout=30) as api:
        response = api.get("/wait", params={"to": to, "timeout": 10})
        assert response.status_code == 200, response.text
        [summary] = response.json()["messages"]
        return api.get(f"/messages/{summary['id']}/raw").content


def test_bounce_rule_accepts_then_sends_a_dsn(bouncing: DevSMTP, receiver: DevSMTP) -> None:
    with httpx.Client(base_url=bouncing.api_url, timeout=30) as api:
        response = api.put("/faults", json={
            "action": "bounce", "to": "typo@example.com", "status": "5.1.1",
            "diagnostic": "550 5.1.1 <typo@example.com>: User unknown"})
        assert response.status_code == 201, response.text
        [rule] = response.json()["rules"]
        assert (rule["action"], rule["stage"], rule["status"]) == ("bounce", "data", "5.1.1")
    code, reply = _send(bouncing, "bounces+tag123@example.org",
                        ["typo@example.com", "fine@example.com"])
    assert code == 250, reply  # accepted, as a relay does before it finds out
    assert bouncing.store.count() == 1  # and stored

    raw = _wait_for_dsn(receiver, "bounces+tag123@example.org")
    [stored] = receiver.store.list().messages
    assert stored.envelope.mail_from in ("", "<>")  # the null sender: no bounce of the bounce
    tree = email.message_from_bytes(raw)
    assert tree.get_content_type() == "multipart/report"
    assert tree.get_param("report-type") == "delivery-status"
    statuses = delivery_statuses(tree)
    assert statuses is not None
    # Only the recipient in the rule's scope bounced.
    assert [(s.recipient, s.action, s.status) for s in statuses] == [
        ("typo@example.com", "failed", "5.1.1")]
    assert statuses[0].diagnostic == "550 5.1.1 <typo@example.com>: User unknown"
    assert b"Message-ID: <test@example.com>" in raw  # the returned headers
    assert b"Hello there." not in raw  # never the body


def test_a_4xx_status_sends_a_delay_notice(bouncing: DevSMTP, receiver: DevSMTP) -> None:
    with httpx.Client(base_url=bouncing.api_url, timeout=30) as api:
        assert api.put("/faults", json={"action": "bounce", "status": "4.2.2"}).status_code == 201
    _send(bouncing, "sender@example.org", ["full@example.com"])
    tree = email.message_from_bytes(_wait_for_dsn(receiver, "sender@example.org"))
    assert "Delayed" in str(tree["Subject"])
    statuses = delivery_statuses(tree)
    assert statuses is not None and statuses[0].action == "delayed"
    assert statuses[0].diagnostic.startswith("450 4.2.2")


def test_mail_with_the_null_sender_is_never_bounced(bouncing: DevSMTP,
                                                    receiver: DevSMTP) -> None:
    with httpx.Client(base_url=bouncing.api_url, timeout=30) as api:
        assert api.put("/faults", json={"action": "bounce", "times": 1}).status_code == 201
        _send(bouncing, "", ["someone@example.com"])
        rules = api.get("/faults").json()["rules"]
    assert rules[0]["fired"] == 1
    assert bouncing.store.count() == 1
    # A later, ordinary message shows the relay works and nothing was queued before it.
    with httpx.Client(base_url=bouncing.api_url, timeout=30) as api:
        assert api.put("/faults", json={"action": "bounce", "times": 1}).status_code == 201
    _send(bouncing, "later@example.org", ["someone@example.com"])
    _wait_for_dsn(receiver, "later@example.org")
    assert [m.envelope.rcpt_to for m in receiver.store.list().messages] == [
        ("later@example.org",)]


@pytest.mark.parametrize(("rule", "problem"), [
    ({"action": "bounce", "stage": "rcpt"}, "acts after DATA"),
    ({"action": "bounce", "code": 550}, "no 'code'"),
    ({"action": "bounce", "status": "5.1"}, "enhanced status"),
    ({"action": "bounce", "diagnostic": "550 x\r\nInjected: yes"}, "one line"),
    ({"action": "explode"}, "'action' must be one of"),
    ({"stage": "data", "code": 550, "status": "5.1.1"}, "go with"),
])
def test_bad_bounce_rules_are_refused_with_the_reason(bouncing: DevSMTP, rule: dict[str, object],
                                                      problem: str) -> None:
    with httpx.Client(base_url=bouncing.api_url, timeout=30) as api:
        response = api.put("/faults", json=rule)
        assert response.status_code == 400
        assert response.json()["error"] == "fault_rule_invalid"
        assert problem in response.json()["message"]
        assert api.get("/faults").json()["rules"] == []


def test_without_a_bounce_relay_a_bounce_rule_is_refused(server: DevSMTP,
                                                         api: httpx.Client) -> None:
    response = api.put("/faults", json={"action": "bounce"})
    assert response.status_code == 400
    assert "--bounce-relay" in response.json()["message"]


def test_an_unreachable_relay_is_logged_and_the_server_stays_up(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with DevSMTP(tmp_path / "b", bounce_relay=f"127.0.0.1:{port}") as server:
        with httpx.Client(base_url=server.api_url, timeout=30) as api:
            assert api.put("/faults", json={"action": "bounce"}).status_code == 201
        _send(server, "x@example.org", ["y@example.com"])
        bouncer = server.handler.bouncer
        assert bouncer is not None
        deadline = time.monotonic() + 20
        while bouncer.failed < 1:  # the DSN's attempt happens in the background
            assert time.monotonic() < deadline, "the failed DSN was not counted"
            time.sleep(0.05)
        code, _ = _send(server, "x@example.org", ["z@example.com"])
        assert code == 250 and server.store.count() == 2


def test_the_web_inbox_shows_a_dsn_readably(bouncing: DevSMTP, receiver: DevSMTP) -> None:
    with httpx.Client(base_url=bouncing.api_url, timeout=30) as api:
        api.put("/faults", json={"action": "bounce", "status": "5.2.2",
                                 "diagnostic": "552 5.2.2 Mailbox full"})
    _send(bouncing, "owner@example.org", ["full@example.com"])
    _wait_for_dsn(receiver, "owner@example.org")
    [stored] = receiver.store.list().messages
    with httpx.Client(base_url=receiver.http_url, timeout=30) as web:
        page = web.get(f"/messages/{stored.id}", headers={"Accept-Language": "fi"}).text
    assert 'data-testid="dsn-panel"' in page
    assert "full@example.com" in page and "5.2.2" in page and "552 5.2.2 Mailbox full" in page
    assert "Toimitusilmoitus" in page  # the panel's title from devsmtp's Finnish catalog


def test_plugin_helper_bounces_to_your_receiver(smtp_bouncing: object, tmp_path: Path) -> None:
    with DevSMTP(tmp_path / "mine") as mine:
        assert callable(smtp_bouncing)
        capture = smtp_bouncing(f"127.0.0.1:{mine.smtp_port}")
        assert isinstance(capture, Capture)
        from devsmtp.testing.plugin import Faults

        faults = Faults(capture)
        rule = faults.bounce(status="5.1.1")
        assert rule["action"] == "bounce" and rule["to"] == "@" + capture.domain
        with smtplib.SMTP(capture.smtp_host, capture.smtp_port, timeout=30) as client:
            client.sendmail("me@example.org", [capture.address("typo")], make_message())
        raw = _wait_for_dsn(mine, "me@example.org")
        assert capture.address("typo").encode() in raw
        faults.clear()


def test_cli_fault_add_bounce(bouncing: DevSMTP, receiver: DevSMTP) -> None:
    from click.testing import CliRunner

    from devsmtp.cli import main

    runner = CliRunner()
    added = runner.invoke(main, ["fault", "add", "--bounce", "5.1.2", "--diagnostic",
                                 "550 5.1.2 Host unknown", "--api", bouncing.api_url])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["fault", "list", "--api", bouncing.api_url])
    assert "bounce 5.1.2" in listed.output
    _send(bouncing, "cli@example.org", ["x@nowhere.example"])
    statuses = delivery_statuses(email.message_from_bytes(_wait_for_dsn(receiver,
                                                                        "cli@example.org")))
    assert statuses is not None and statuses[0].status == "5.1.2"
    missing = runner.invoke(main, ["fault", "add", "--api", bouncing.api_url])
    assert missing.exit_code != 0 and "--stage" in missing.output
