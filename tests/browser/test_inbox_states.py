"""The invitation panel tells what became of a link, and catches a broken mail.

devsmtp is given the service's keys, its invitation store and its (frozen)
clock, as ``devsmtp serve --secret-keys ... --invitations-db ...`` would be.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from devsmtp.testing import CapturedMail
from invitations.models import Registration

from .inbox_support import Inbox, Shots, inbox_fixture, plain_mail, running_inbox  # noqa: F401
from .scenario_support import GOOD_PASSWORD, MAIN_USER

pytestmark = pytest.mark.browser


def open_mail(page: Page, inbox: Inbox, to: str, nth: int = 0) -> None:
    """Open the ``nth`` newest message of inbox ``to`` by its id."""
    listing = httpx.get(f"{inbox.server.api_url}/messages", params={"to": to},
                        timeout=10).json()
    page.goto(f"{inbox.url}messages/{listing['messages'][nth]['id']}")


def expect_state(page: Page, state: str) -> None:
    expect(page.get_by_test_id("invitation-state")).to_have_attribute("data-state", state)


def rewritten(mail: CapturedMail, edit: Callable[[str], str], to: str) -> EmailMessage:
    """``mail`` with both bodies passed through ``edit`` (a forger, a broken template)."""
    return plain_mail(mail.subject, to, edit(mail.text or ""), html=edit(mail.html or ""),
                      sender=str(mail.header("From")))


def test_valid_used_revoked_superseded_expired(
    inbox: Inbox, page: Page, screenshots: Path
) -> None:
    shots = Shots(screenshots)
    used = inbox.invite("kaytetty@example.com")
    revoked = inbox.invite("peruttu@example.com")
    replaced = inbox.invite("uusittu@example.com")
    inbox.invite("vanheneva@example.com")

    assert used.link is not None
    inbox.service.redeem(used.link.split("token=")[1],
                         Registration("Matti", "Virtanen", "kaytetty@example.com", "",
                                      GOOD_PASSWORD))
    inbox.service.revoke(revoked.id, by=MAIN_USER)
    inbox.service.resend(replaced.id, by=MAIN_USER)
    mail = inbox.outbox[-1]
    inbox.send_raw(mail.data, mail.recipients, mail.sender)

    for to, state in (("kaytetty@example.com", "used"), ("peruttu@example.com", "revoked"),
                      ("vanheneva@example.com", "valid")):
        open_mail(page, inbox, to)
        expect_state(page, state)
        shots(page, f"state-{state}")
    open_mail(page, inbox, "uusittu@example.com", nth=1)
    expect_state(page, "superseded")
    open_mail(page, inbox, "uusittu@example.com", nth=0)
    expect_state(page, "valid")

    inbox.clock.advance(days=7, seconds=1)
    open_mail(page, inbox, "vanheneva@example.com")
    expect_state(page, "expired")
    expect(page.get_by_test_id("invitation-time-left")).to_have_text("vanhentunut")
    shots(page, "state-expired")


def test_tampered_token_and_missing_language_are_flagged(
    inbox: Inbox, page: Page, screenshots: Path
) -> None:
    shots = Shots(screenshots)
    inbox.invite("alkuperainen@example.com")
    original = CapturedMail(inbox.outbox[-1].data)
    token = original.token
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    inbox.send(rewritten(original, lambda body: body.replace(token, forged),
                         "vaarennetty@example.com"))
    without_swedish = re.compile(r'<div[^>]*lang="sv".*?</div>', re.DOTALL)
    inbox.send(rewritten(original, lambda body: without_swedish.sub("", body),
                         "ilman-ruotsia@example.com"))

    open_mail(page, inbox, "vaarennetty@example.com")
    expect_state(page, "tampered")
    # The payload is still readable without the key: the panel shows whose it was.
    expect(page.get_by_test_id("invitation-id")).not_to_have_text("—")
    shots(page, "state-tampered")

    open_mail(page, inbox, "ilman-ruotsia@example.com")
    expect(page.get_by_test_id("language-check")).to_have_attribute("data-ok", "false")
    sections = page.get_by_test_id("language-section")
    expect(sections).to_have_count(2)
    expect(page.get_by_test_id("language-problems")).to_contain_text("fi, en")
    expect(page.get_by_test_id("language-problems")).to_contain_text("fi, sv, en")
    shots(page, "missing-swedish")


def test_missing_database_says_so_and_creates_nothing(tmp_path: Path, page: Page) -> None:
    missing = tmp_path / "no-such.sqlite3"
    with running_inbox(tmp_path, invitations_db=str(missing)) as inbox:
        inbox.invite("kuka@example.com")
        open_mail(page, inbox, "kuka@example.com")
        expect_state(page, "unknown")
        expect(page.get_by_test_id("invitation-state-detail")).to_contain_text(
            "--invitations-db")
        # The signature was still checked with the keys; the panel is otherwise whole.
        expect(page.get_by_test_id("language-check")).to_have_attribute("data-ok", "true")
    assert not missing.exists()
