"""Fault injection: codes at each stage, scopes, first-N, disconnect, delay, logs."""

from __future__ import annotations

import smtplib
import time

import httpx
import pytest

from devsmtp import DevSMTP

from .conftest import make_message, send


def add(api: httpx.Client, **rule: object) -> str:
    response = api.put("/faults", json=rule)
    assert response.status_code == 201, response.text
    return str(response.json()["rules"][0]["id"])


def test_first_n_attempts_then_accept(server: DevSMTP, api: httpx.Client) -> None:
    add(api, stage="data", code=451, times=2)
    for _ in range(2):
        with pytest.raises(smtplib.SMTPDataError) as failure:
            send(server, make_message())
        assert failure.value.smtp_code == 451
    send(server, make_message())
    assert server.store.count() == 1
    (rule,) = api.get("/faults").json()["rules"]
    assert rule["fired"] == 2 and rule["exhausted"] is True


def test_rcpt_scope_refuses_only_that_recipient(server: DevSMTP, api: httpx.Client) -> None:
    add(api, stage="rcpt", code=550, to="bad@example.com")
    with smtplib.SMTP("127.0.0.1", server.smtp_port) as client:
        refused = client.sendmail("a@example.com", ["good@example.com", "bad@example.com"],
                                  make_message())
    assert refused["bad@example.com"][0] == 550
    (message,) = server.store.list().messages
    assert message.envelope.rcpt_to == ("good@example.com",)
    assert any("fault f1 fired at rcpt" in line for line in message.envelope.session_log)


def test_mail_scope_by_sender(server: DevSMTP, api: httpx.Client) -> None:
    add(api, stage="mail", code=452, **{"from": "@spammy.example"})
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(server, make_message(), sender="x@spammy.example")
    assert refused.value.smtp_code == 452
    send(server, make_message(), sender="x@fine.example")
    assert server.store.count() == 1


@pytest.mark.parametrize("code", [421, 554])
def test_connect_stage(server: DevSMTP, api: httpx.Client, code: int) -> None:
    add(api, stage="connect", code=code, times=1)
    with pytest.raises(smtplib.SMTPConnectError) as refused:
        smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10)
    assert refused.value.smtp_code == code
    send(server, make_message())  # the next connection is accepted
    assert server.store.count() == 1


def test_421_closes_the_connection(server: DevSMTP, api: httpx.Client) -> None:
    add(api, stage="rcpt", code=421, times=1)
    with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as client:
        client.ehlo()
        client.mail("a@example.com")
        assert client.rcpt("b@example.com")[0] == 421
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()


def test_disconnect_mid_data(server: DevSMTP, api: httpx.Client) -> None:
    add(api, stage="data", disconnect=True, times=1, to="victim@example.com")
    with pytest.raises((smtplib.SMTPServerDisconnected, ConnectionError)):
        send(server, make_message(body="x" * 200_000), to=["victim@example.com"])
    assert server.store.count() == 0
    send(server, make_message(), to=["victim@example.com"])
    assert server.store.count() == 1
    sessions = api.get("/sessions").json()["sessions"]
    assert any("disconnect" in line for s in sessions for line in s["log"])


def test_delay_then_continue(server: DevSMTP, api: httpx.Client) -> None:
    add(api, stage="rcpt", delay=0.4, times=1)
    started = time.perf_counter()
    send(server, make_message())
    assert time.perf_counter() - started >= 0.4
    assert server.store.count() == 1


def test_clear_by_id_and_all(api: httpx.Client) -> None:
    first = add(api, stage="data", code=451)
    add(api, stage="rcpt", code=550)
    assert api.delete(f"/faults/{first}").json() == {"deleted": 1}
    assert api.delete(f"/faults/{first}").status_code == 404
    assert [r["stage"] for r in api.get("/faults").json()["rules"]] == ["rcpt"]
    assert api.delete("/faults").json() == {"deleted": 1}
    assert api.get("/faults").json()["rules"] == []


def test_rules_payload_forms(api: httpx.Client) -> None:
    response = api.put("/faults", json={"rules": [{"stage": "data", "code": 451},
                                                  {"stage": "mail", "code": 421}]})
    assert [r["id"] for r in response.json()["rules"]] == ["f1", "f2"]


@pytest.mark.parametrize(
    "rule",
    [
        {"stage": "helo", "code": 451},
        {"stage": "data", "code": 450},
        {"stage": "data"},
        {"stage": "connect", "code": 421, "to": "a@example.com"},
        {"stage": "data", "code": 451, "times": 0},
        {"stage": "data", "code": 451, "colour": "red"},
    ],
)
def test_invalid_rules_are_explained(api: httpx.Client, rule: dict[str, object]) -> None:
    response = api.put("/faults", json=rule)
    assert response.status_code == 400
    assert response.json()["error"] == "fault_rule_invalid"
    assert api.get("/faults").json()["rules"] == []
