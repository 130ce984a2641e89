"""The check assertions of CapturedMail, in a throw-away project and on a real invitation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devsmtp.testing import Capture, CapturedMail, MailAssertionError
from invitations import Company, InvitationService, Inviter

from .test_entry_point import project_with, run_pytest

PROJECT = r'''
import smtplib
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def send(capture, html):
    msg = EmailMessage()
    msg["From"] = "app@example.test"
    msg["To"] = capture.address("qa")
    msg["Subject"] = "Checks"
    msg["Message-ID"] = "<checks@example.test>"
    msg.set_content("See the HTML part.")
    msg.add_alternative(html, subtype="html")
    with smtplib.SMTP(capture.smtp_host, capture.smtp_port, timeout=10) as smtp:
        smtp.send_message(msg)
    return capture.wait_for(to="qa")


class Site(BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_table_layout_passes(smtp_capture):
    mail = send(smtp_capture, '<table><tr><td style="color:#222">Hei</td></tr></table>')
    report = mail.assert_html_compatible(max_unsupported=0)
    assert report.score("gmail").unsupported == 0


def test_flex_fails(smtp_capture):
    mail = send(smtp_capture, '<div>\n<div style="display: flex">Hei</div>\n</div>')
    mail.assert_html_compatible(max_unsupported=0, clients=["outlook-windows"])


def test_spam_passes(smtp_capture):
    send(smtp_capture, "<p>Hello</p>").assert_spam_score_below(5.0)


def test_spam_fails(smtp_capture):
    send(smtp_capture, "<p>Hello</p>").assert_spam_score_below(-10)


def test_links_pass(smtp_capture, site):
    send(smtp_capture, f'<a href="{site}/ok">ok</a>').assert_links_ok(base_url=site)


def test_links_fail(smtp_capture, site):
    mail = send(smtp_capture, f'<p>\n<a href="{site}/gone">gone</a></p>')
    mail.assert_links_ok(base_url=site)
'''


def test_the_assertions_pass_and_fail_readably_in_a_project(tmp_path: Path) -> None:
    result = run_pytest(project_with(tmp_path, PROJECT), "-p", "no:randomly")
    out = result.stdout + result.stderr
    assert "3 failed, 3 passed" in out, out
    assert re.search(r"1 HTML feature\(s\) unsupported \(at most 0 allowed\) in the HTML "
                     r"part of mail 'Checks'.*:\n[E\s]+line 2: display:flex \(css-display-flex\) - "
                     r"not in Outlook Windows\n[E\s]+scores: Outlook Windows \d", out), out
    assert re.search(r"SpamAssassin scores mail 'Checks' .* -?[\d.]+, not below -10; rules hit:",
                     out), out
    assert re.search(r"1 bad link\(s\) in mail 'Checks'.*:\n[E\s]+line 2: link "
                     r"http://127\.0\.0\.1:\d+/gone does not answer \(404\)", out), out


@pytest.fixture
def real_mail(invitation_service: InvitationService, smtp_capture: Capture) -> CapturedMail:
    invitation_service.send_invite(
        smtp_capture.address("checks"), company=Company("2077474-0", "Testi Oy",
                                                        contract_number="LC-9"),
        invited_by=Inviter("op@posti.example", "Asiakaspalvelu", role="operator"),
        role="main_user")
    return smtp_capture.wait_for()


def test_todays_invitation_mail_under_the_checks(real_mail: CapturedMail) -> None:
    # The template's known weaknesses show: features some client lacks.
    with pytest.raises(MailAssertionError, match=r"HTML feature\(s\) unsupported"):
        real_mail.assert_html_compatible(max_unsupported=0)
    report = real_mail.assert_spam_score_below(5.0)
    assert report.score is not None and report.threshold == 5.0
    # Its only link is the invitation link on http://localhost, with a valid token;
    # nothing listens there in this test, so it does not answer.
    with pytest.raises(MailAssertionError) as failed:
        real_mail.assert_links_ok(base_url="http://localhost")
    assert "does not answer" in str(failed.value)
    assert "token is" not in str(failed.value)
