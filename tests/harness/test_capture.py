"""smtp_capture against a real in-process devsmtp: waiting, expect blocks, isolation."""

from __future__ import annotations

import threading
import time

import pytest

from devsmtp.testing import Capture, MailAssertionError

from ._smtp import send


def test_wait_for_returns_the_mail_with_its_envelope(smtp_capture: Capture) -> None:
    alice, hidden = smtp_capture.address("alice"), smtp_capture.address("hidden")
    send(smtp_capture, [alice, hidden], subject="Kutsu käyttäjäksi")
    mail = smtp_capture.wait_for(to="alice", subject="KUTSU")
    assert mail.subject == "Kutsu käyttäjäksi"
    assert mail.sender == "sender@example.test"
    assert sorted(mail.to) == sorted([alice, hidden])  # Bcc-style recipients are visible
    assert mail.raw.startswith(b"From: sender@example.test") or b"From:" in mail.raw


def test_addresses_are_private_to_the_test(smtp_capture: Capture) -> None:
    assert smtp_capture.address("a").endswith(".example")
    assert smtp_capture.address("a") != Capture(
        smtp_capture.client, smtp_capture.smtp_host, smtp_capture.smtp_port).address("a")


def test_wait_for_count_returns_every_mail_in_order(smtp_capture: Capture) -> None:
    for n in range(3):
        send(smtp_capture, smtp_capture.address("bob"), subject=f"n{n}")
    mails = smtp_capture.wait_for(to="bob", count=3)
    assert [m.subject for m in mails] == ["n0", "n1", "n2"]


def test_wait_for_is_pushed_not_polled(smtp_capture: Capture) -> None:
    sent_at: list[float] = []

    def later() -> None:
        send(smtp_capture, smtp_capture.address("late"), subject="late")
        sent_at.append(time.monotonic())

    timer = threading.Timer(0.3, later)
    timer.start()
    try:
        mail = smtp_capture.wait_for(to="late", timeout=20)
        returned = time.monotonic()
    finally:
        timer.join()
    assert mail.subject == "late"
    assert returned - sent_at[0] < 1.0


def test_wait_for_failure_lists_what_arrived(smtp_capture: Capture) -> None:
    send(smtp_capture, smtp_capture.address("bob"), subject="User invitation")
    smtp_capture.wait_for(to="bob")
    with pytest.raises(MailAssertionError) as info:
        smtp_capture.wait_for(to="alice", subject="User invitation", timeout=0.3)
    text = str(info.value)
    assert f"expected 1 new mail(s) to {smtp_capture.address('alice')}" in text
    assert (f"from sender@example.test to {smtp_capture.address('bob')}: 'User invitation'"
            "  [handed out]") in text
    assert "closest match: to" in text and smtp_capture.address("bob") in text


def test_other_tests_mail_is_invisible(smtp_capture: Capture) -> None:
    other = Capture(smtp_capture.client, smtp_capture.smtp_host, smtp_capture.smtp_port)
    send(smtp_capture, other.address("x"), subject="for the other test")
    assert other.wait_for().subject == "for the other test"
    smtp_capture.assert_nothing_sent(within=0.3)
    assert smtp_capture.messages() == []


def test_expect_collects_only_what_the_block_sent(smtp_capture: Capture) -> None:
    send(smtp_capture, smtp_capture.address("c"), subject="before")
    smtp_capture.wait_for(subject="before")
    with smtp_capture.expect(to="c") as got:
        send(smtp_capture, smtp_capture.address("c"), subject="inside")
    assert [m.subject for m in got] == ["inside"]


def test_expect_fails_when_the_block_sends_nothing(smtp_capture: Capture) -> None:
    with pytest.raises(MailAssertionError, match="expected 1 new mail"), \
            smtp_capture.expect(to="c", timeout=0.3):
        pass


def test_assert_nothing_sent(smtp_capture: Capture) -> None:
    smtp_capture.assert_nothing_sent(within=0.2)
    send(smtp_capture, smtp_capture.address("d"), subject="oops")
    with pytest.raises(MailAssertionError, match=r"expected no new mail.*'oops' arrived"):
        smtp_capture.assert_nothing_sent(within=2)
    smtp_capture.wait_for(subject="oops")
    smtp_capture.assert_nothing_sent(within=0.2)  # already seen: not "new" any more


def test_isolated_capture_has_its_own_server(
    smtp_capture: Capture, smtp_capture_isolated: Capture
) -> None:
    assert smtp_capture_isolated.smtp_port != smtp_capture.smtp_port
    send(smtp_capture_isolated, smtp_capture_isolated.address("e"), subject="own")
    assert smtp_capture_isolated.wait_for().subject == "own"
    assert smtp_capture_isolated.client.summaries()[0]["subject"] == "own"
    assert len(smtp_capture_isolated.client.summaries()) == 1


def test_failure_shows_mail_sent_to_a_wrong_address(smtp_capture: Capture) -> None:
    send(smtp_capture, "alice@wrong-domain.example", subject="Kutsu")
    with pytest.raises(MailAssertionError) as info:
        smtp_capture.wait_for(to="alice", timeout=0.3)
    text = str(info.value)
    assert "to alice@wrong-domain.example: 'Kutsu'  [not this test's domain]" in text
    assert "closest match: to ['alice@wrong-domain.example'] subject 'Kutsu'" in text
