"""Reading bounces: RFC 3464 reports, the non-standard formats, what is ignored, limits."""

from __future__ import annotations

import pytest

from invitations.bounces.classify import (
    AUTO_REPLY,
    CHALLENGE,
    MALFORMED,
    NOT_A_BOUNCE,
    REPORT,
    classify,
)
from invitations.bounces.dsn import MAX_BYTES, parse_mail, parse_report
from tests.bounces.fixtures import dsn

MID = "<20261205.abc123@posti.fi>"
RCPT = "maija.meikalainen@example.net"


@pytest.mark.parametrize(("name", "action", "status", "diagnostic", "standard"), [
    ("postfix", "failed", "5.1.1", "User unknown in virtual mailbox table", True),
    ("postfix-delayed", "delayed", "4.4.1", "Connection timed out", True),
    ("exchange", "failed", "5.1.10", "RESOLVER.ADR.RecipientNotFound", True),
    ("gmail", "failed", "5.1.1", "The email account that you tried to reach does not", True),
    ("exim-text", "failed", "5.2.2", "over quota", False),
    ("qmail", "failed", "5.1.1", None, False),
])
def test_each_format_yields_recipient_status_and_returned_message_id(
        name: str, action: str, status: str, diagnostic: str | None, standard: bool) -> None:
    kind, report = classify(parse_mail(dsn(name, recipient=RCPT, message_id=MID)))
    assert kind == REPORT and report is not None
    [recipient] = report.recipients
    assert recipient.recipient == RCPT
    assert (recipient.action, recipient.status) == (action, status)
    if diagnostic is None:
        assert recipient.diagnostic is None
    else:
        assert recipient.diagnostic is not None and diagnostic in recipient.diagnostic
    assert report.message_id == MID
    assert report.standard is standard
    assert recipient.permanent is (action == "failed")
    assert recipient.delayed is (action == "delayed")


def test_folded_diagnostic_is_unfolded_and_type_prefix_dropped() -> None:
    report = parse_report(parse_mail(dsn("postfix", recipient=RCPT)))
    assert report is not None
    diagnostic = report.recipients[0].diagnostic
    assert diagnostic is not None
    assert diagnostic.startswith("550 5.1.1 <")
    assert "\n" not in diagnostic and "  " not in diagnostic


@pytest.mark.parametrize(("name", "kind"), [
    ("out-of-office", AUTO_REPLY),
    ("challenge", CHALLENGE),
    ("malformed", MALFORMED),
])
def test_mail_that_is_not_a_usable_bounce_is_classified_not_reported(name: str,
                                                                     kind: str) -> None:
    assert classify(parse_mail(dsn(name, recipient=RCPT, message_id=MID))) == (kind, None)


def test_ordinary_mail_is_not_a_bounce() -> None:
    raw = (b"From: someone@example.net\r\nTo: bounces@example.org\r\nSubject: Hello\r\n\r\n"
           b"Just saying hello; the meeting is at 5.1.1 o'clock.\r\n")
    assert classify(parse_mail(raw)) == (NOT_A_BOUNCE, None)


def test_nested_report_the_outer_one_counts() -> None:
    """The returned message is itself a report (a bounce of a bounce): its
    ``failed`` block must not be taken for the outer report's ``delayed``."""
    report = parse_report(parse_mail(dsn("nested", recipient=RCPT, message_id=MID)))
    assert report is not None
    assert [(r.recipient, r.action, r.status) for r in report.recipients] == [
        (RCPT, "delayed", "4.2.2")]
    assert report.message_id == MID


def test_huge_bounce_is_parsed_from_its_first_mebibyte_only() -> None:
    """A 20 MB DSN (a returned message with a huge attachment): the report, which
    comes first, is still read; the parse never sees more than MAX_BYTES."""
    head = dsn("exchange", recipient=RCPT, message_id=MID)
    cut = head.rindex(b"--b0d2c8e1-5e6f-4c1a-9a7e-2f0b6d9b1c44--")
    filler = b"Content-Type: application/octet-stream\r\n\r\n" + b"QUFBQUFB" * (20 * 2**20 // 8)
    raw = head[:cut] + b"--b0d2c8e1-5e6f-4c1a-9a7e-2f0b6d9b1c44\r\n" + filler
    assert len(raw) > 20 * 2**20
    message = parse_mail(raw)
    assert len(message.as_bytes()) <= MAX_BYTES + 4096
    kind, report = classify(message)
    assert kind == REPORT and report is not None
    assert report.recipients[0].status == "5.1.10"


def test_many_recipient_blocks_are_bounded() -> None:
    blocks = "".join(f"\r\nFinal-Recipient: rfc822; u{n}@example.net\r\nAction: failed\r\n"
                     f"Status: 5.1.1\r\n" for n in range(5000))
    raw = ("From: MAILER-DAEMON@x.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report;"
           ' report-type=delivery-status; boundary="b"\r\n\r\n--b\r\n'
           "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x.example\r\n"
           f"{blocks}\r\n--b--\r\n").encode()
    report = parse_report(parse_mail(raw))
    assert report is not None
    assert len(report.recipients) == 100


def test_deeply_nested_multiparts_do_not_recurse_without_end() -> None:
    depth = 500
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n'
                      for n in range(depth))
    raw = ("From: MAILER-DAEMON@x.example\r\nMIME-Version: 1.0\r\n" + opening
           + "Content-Type: text/plain\r\n\r\nUndelivered Mail Returned to Sender\r\n").encode()
    kind, report = classify(parse_mail(raw))
    assert report is None and kind == MALFORMED
