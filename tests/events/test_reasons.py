"""reason_for: RFC 3463 status codes and common reply texts -> the plain-words reason."""

from __future__ import annotations

import pytest

from invitations import UndeliverableReason, reason_for
from invitations.undeliverable import enhanced_status

R = UndeliverableReason


@pytest.mark.parametrize(("status", "diagnostic", "expected"), [
    ("5.1.1", "", R.MAILBOX_UNKNOWN),
    ("5.1.10", "", R.MAILBOX_UNKNOWN),
    (None, "550 5.1.1 <x@example.fi>: Recipient address rejected: User unknown",
     R.MAILBOX_UNKNOWN),
    (None, "550 Requested action not taken: mailbox unavailable", R.MAILBOX_UNKNOWN),
    (None, "550 No such user here", R.MAILBOX_UNKNOWN),
    ("5.0.0", "550 5.0.0 <x@example.fi>... User unknown", R.MAILBOX_UNKNOWN),
    ("5.2.2", "", R.MAILBOX_FULL),
    ("4.2.2", "452 4.2.2 The email account that you tried to reach is over quota",
     R.MAILBOX_FULL),
    (None, "552 Mailbox full", R.MAILBOX_FULL),
    ("5.1.2", "", R.DOMAIN_UNKNOWN),
    ("5.4.4", "", R.DOMAIN_UNKNOWN),
    (None, "Host or domain name not found. Name service error for name=exampel.fi",
     R.DOMAIN_UNKNOWN),
    ("5.7.1", "554 5.7.1 Message rejected as spam by Content Filtering", R.REFUSED_AS_SPAM),
    ("5.7.1", "550 5.7.1 Service unavailable; client host blocked using Spamhaus",
     R.REFUSED_AS_SPAM),
    ("5.7.26", "550 5.7.26 Unauthenticated email is not accepted due to DMARC policy",
     R.REFUSED_AS_SPAM),
    ("5.7.1", "554 5.7.1 Transaction failed", R.OTHER),
    ("5.7.1", "550 5.7.1 Relaying denied", R.OTHER),
    (None, "554 Transaction failed", R.OTHER),
    (None, "", R.OTHER),
    ("5.3.4", "552 5.3.4 Message size exceeds fixed maximum", R.OTHER),
])
def test_reason_for(status: str | None, diagnostic: str, expected: UndeliverableReason
                    ) -> None:
    assert reason_for(status, diagnostic) is expected


def test_the_status_code_wins_over_the_text() -> None:
    assert reason_for("5.2.2", "user unknown") is R.MAILBOX_FULL


def test_enhanced_status_is_found_in_a_reply_but_not_in_other_numbers() -> None:
    assert enhanced_status("550 5.1.1 Mailbox unavailable") == "5.1.1"
    assert enhanced_status("550 Mailbox unavailable (10.0.0.1)") is None
    assert enhanced_status("") is None
