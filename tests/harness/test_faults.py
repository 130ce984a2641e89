"""smtp_faults: rules installed for one test, scoped to its domain, removed afterwards."""

from __future__ import annotations

import smtplib

import pytest

from devsmtp.pytest_plugin import Faults
from devsmtp.testing import Capture

from ._smtp import send


def test_first_attempts_refused_then_accepted(smtp_capture: Capture, smtp_faults: Faults) -> None:
    rule = smtp_faults.add("rcpt", code=451, times=2)
    assert rule["to"] == "@" + smtp_capture.domain
    for _ in range(2):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
            send(smtp_capture, smtp_capture.address("a"))
        [(code, _reply)] = info.value.recipients.values()
        assert code == 451
    send(smtp_capture, smtp_capture.address("a"), subject="third time")
    assert smtp_capture.wait_for().subject == "third time"


def test_rules_stay_inside_the_test_domain(smtp_capture: Capture, smtp_faults: Faults) -> None:
    smtp_faults.add("rcpt", code=550)
    other = Capture(smtp_capture.client, smtp_capture.smtp_host, smtp_capture.smtp_port)
    send(other, other.address("b"), subject="not affected")
    assert other.wait_for().subject == "not affected"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(smtp_capture, smtp_capture.address("b"))


def test_clear_removes_only_own_rules(smtp_capture: Capture) -> None:
    mine, theirs = Faults(smtp_capture), Faults(smtp_capture)
    kept = theirs.add("data", code=554, sender="nobody@example.com")
    assert kept["from"] == "nobody@example.com" and kept["to"] is None
    removed = mine.add("rcpt", code=452)
    mine.clear()
    ids = {rule["id"] for rule in smtp_capture.client.faults()}
    assert kept["id"] in ids and removed["id"] not in ids
    theirs.clear()
    assert kept["id"] not in {rule["id"] for rule in smtp_capture.client.faults()}
    send(smtp_capture, smtp_capture.address("c"))  # nothing left to refuse it


def test_faults_follow_the_isolated_server(
    smtp_capture_isolated: Capture, smtp_faults: Faults
) -> None:
    smtp_faults.add("rcpt", code=550)
    assert [rule["code"] for rule in smtp_capture_isolated.client.faults()] == [550]
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(smtp_capture_isolated, smtp_capture_isolated.address("x"))
