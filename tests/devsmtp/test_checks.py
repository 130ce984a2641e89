"""The checks of devsmtp.checks on real inputs: caniemail data, SpamAssassin, loopback HTTP."""

from __future__ import annotations

import io
import json
import shutil
import socket
import tarfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devsmtp.checks import check_links, html_compatibility, spam_score
from devsmtp.checks.compat import CLIENTS, DATA, caniemail_source
from devsmtp.checks.refresh import compact
from devsmtp.checks.refresh import main as refresh_main
from devsmtp.mail import ParsedMail
from devsmtp.testing import Capture, CapturedMail
from devsmtp.web.invitation import InvitationChecker
from invitations import Company, InvitationService, Inviter

from .conftest import make_message

LAYOUT = """<!DOCTYPE html>
<html>
<head>
<style>
/* dark mode */
@media (prefers-color-scheme: dark) {
  .card { background-color: #111 }
}
a:hover { color: red }
</style>
</head>
<body>
<div class="card" style="padding: 8px;
     display: flex">
  <p>Hei</p>
  <img src="https://cdn.example.com/logo.webp" alt="Logo">
</div>
</body>
</html>
"""


# -- HTML compatibility


def _line(html: str, number: int) -> str:
    return html.splitlines()[number - 1]


def test_features_are_found_with_their_lines_and_the_clients_lacking_them() -> None:
    report = html_compatibility(LAYOUT)
    by_slug = {feature.slug: feature for feature in report.unsupported}
    flex = by_slug["css-display-flex"]
    assert flex.line == 14 and "display: flex" in _line(LAYOUT, 14)
    assert "outlook-windows" in flex.unsupported
    dark = by_slug["css-at-media-prefers-color-scheme"]
    assert dark.line == 6 and "prefers-color-scheme" in _line(LAYOUT, 6)
    assert "outlook-windows" in dark.unsupported and "apple-mail" not in dark.unsupported
    assert by_slug["css-pseudo-class-hover"].line == 9
    assert by_slug["image-webp"].line == 16
    assert by_slug["css-comments"].line == 5
    assert by_slug["html-doctype"].line == 1
    assert {"css-padding", "html-div", "html-p", "html-img"} <= set(report.found)
    assert flex.url == "https://www.caniemail.com/features/css-display-flex/"
    assert flex.title and flex.category == "css"


def test_each_client_family_gets_a_score_weighted_like_mailpit() -> None:
    report = html_compatibility(LAYOUT)
    assert [score.client for score in report.scores] == list(CLIENTS)
    for score in (*report.scores, report.total):
        assert score.supported + score.partial + score.unsupported == pytest.approx(100)
    # Apple Mail supports all of it; classic Outlook lacks flex, dark mode, :hover, webp.
    assert report.score("apple-mail").supported == 100
    assert report.score("outlook-windows").unsupported > 0
    assert report.score("outlook-windows").supported < report.score("apple-mail").supported
    # One use among 5 elements (style, body, div, p, img) weighs 1/5: all of
    # Outlook Windows' platforms lack flex.
    assert report.nodes == 5
    assert report.score("outlook-windows").unsupported == pytest.approx(100 / 5, abs=0.01)


def test_more_uses_weigh_more() -> None:
    once = "<body>" + '<div style="display:flex">x</div>' + "<p>y</p>" * 9 + "</body>"
    often = "<body>" + '<div style="display:flex">x</div>' * 10 + "</body>"
    assert (html_compatibility(often).score("outlook-windows").unsupported
            > html_compatibility(once).score("outlook-windows").unsupported)


def test_plain_table_markup_is_supported_everywhere() -> None:
    html = ('<table role="presentation" width="100%"><tr><td style="color: #222222">'
            "<p>Hei</p></td></tr></table>")
    report = html_compatibility(html)
    assert not [f for f in report.unsupported if f.unsupported]
    assert all(score.unsupported == 0 for score in report.scores)


def test_clients_narrow_the_report() -> None:
    report = html_compatibility(LAYOUT, clients=["apple-mail"])
    assert [score.client for score in report.scores] == ["apple-mail"]
    assert report.unsupported == () or all(f.unsupported == () for f in report.unsupported)
    with pytest.raises(ValueError, match="unknown client family nokia; known: outlook-windows"):
        html_compatibility(LAYOUT, clients=["nokia"])


def test_the_check_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the compatibility check opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert html_compatibility('<link rel="stylesheet" href="https://x.example/a.css">').found


def test_the_vendored_snapshot_names_its_source_and_licence() -> None:
    source = caniemail_source()
    readme = (DATA.parent / "README.md").read_text(encoding="utf-8")
    assert source["package"] == "caniemail"
    assert f"caniemail {source['version']}" in readme
    assert source["snapshot_date"] in readme and source["last_update_date"] in readme
    assert "MIT License" in (DATA.parent / "CANIEMAIL-LICENSE").read_text(encoding="utf-8")
    assert len(json.loads(DATA.read_text(encoding="utf-8"))["features"]) > 250


def _caniemail_package(tmp_path: Path) -> Path:
    """A tarball shaped like ``npm pack caniemail`` with one feature."""
    data = {"api_version": "9", "last_update_date": "2030-01-01", "nicenames": {}, "data": [{
        "slug": "css-display-flex", "title": "display:flex", "category": "css",
        "url": "https://www.caniemail.com/features/css-display-flex/",
        "stats": {"outlook": {"windows": {"2016": "y", "2019": "n"},
                              "outlook-com": {"2024-01": "a #1"}},
                  "gmail": {"desktop-webmail": {"2020": "y"}, "ios": {"2020": "u"}}}}]}
    files = {"package/package.json": json.dumps({"name": "caniemail", "version": "9.9.9"}),
             "package/data/caniemail.json": json.dumps(data),
             "package/LICENSE": "MIT License\n"}
    path = tmp_path / "caniemail-9.9.9.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            blob = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def test_refresh_keeps_the_latest_version_of_each_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import devsmtp.checks.refresh as refresh

    monkeypatch.setattr(refresh, "DATA_DIR", tmp_path / "out")
    assert refresh_main([str(_caniemail_package(tmp_path))]) == 0
    written = json.loads((tmp_path / "out" / "caniemail.json").read_text(encoding="utf-8"))
    support = written["features"]["css-display-flex"]["support"]
    assert support["outlook-windows"] == "n" and support["outlook-com"] == "a"
    assert support["gmail"] == "y---"  # ios unknown, android and mobile not tested
    assert written["source"]["version"] == "9.9.9"
    assert (tmp_path / "out" / "CANIEMAIL-LICENSE").read_text() == "MIT License\n"
    assert compact({"data": []}, "1", "2030-01-02")["source"]["snapshot_date"] == "2030-01-02"


# -- SpamAssassin

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def test_spamassassin_is_installed_here() -> None:
    assert shutil.which("spamassassin"), "make sysdeps installs it (Debian: spamassassin)"


def test_a_message_gets_a_score_and_the_rules_hit() -> None:
    raw = (b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n"
           b"Date: Fri, 4 Dec 2026 05:00:00 +0000\r\nMessage-ID: <x@example.com>\r\n"
           b"Content-Type: text/html; charset=utf-8\r\n\r\n"
           b'<html><body><p>Hello <a href="http://localhost/x">x</a></p></body></html>\r\n')
    report = spam_score(raw)
    assert report.available and report.engine == "spamassassin"
    assert report.threshold == 5.0 and report.score is not None and not report.is_spam
    rules = {rule.name: rule for rule in report.rules}
    assert "MIME_HTML_ONLY" in rules and rules["MIME_HTML_ONLY"].points > 0
    # A description SpamAssassin wraps onto a second line is read whole.
    assert rules["MIME_HEADER_CTYPE_ONLY"].description == (
        "'Content-Type' found without required MIME headers")
    assert report.score == pytest.approx(sum(rule.points for rule in report.rules), abs=0.1)


def test_the_spam_test_string_is_spam() -> None:
    report = spam_score(make_message(body=f"{GTUBE}\n"))
    assert report.is_spam and report.score is not None and report.score >= 1000
    assert "GTUBE" in {rule.name for rule in report.rules}


def test_without_spamassassin_the_report_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    report = spam_score(make_message())
    assert not report.available and report.score is None
    assert report.reason is not None and "not installed" in report.reason


def test_the_check_is_bounded_in_time_and_size() -> None:
    slow = spam_score(make_message(), timeout=0.01)
    assert not slow.available and slow.reason == "spamassassin took longer than 0.01 s"
    large = spam_score(make_message(body="x" * 2000), max_size=1000)
    assert not large.available and large.reason is not None and "1000-byte limit" in large.reason


# -- links


class _Site(BaseHTTPRequestHandler):
    requests: list[str] = []

    def _answer(self, body: bool) -> None:
        type(self).requests.append(f"{self.command} {self.path}")
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "/ok")
        elif self.path.startswith("/away"):
            self.send_response(302)
            self.send_header("Location", "https://tracker.example.com/t")
        elif self.path.startswith("/get-only") and self.command == "HEAD":
            self.send_response(405)
        elif self.path.startswith(("/ok", "/get-only", "/logo.png", "/register")):
            self.send_response(200)
        else:
            self.send_response(404)
        self.send_header("Content-Length", "2" if body else "0")
        self.end_headers()
        if body:
            self.wfile.write(b"ok")

    def do_HEAD(self) -> None:
        self._answer(False)

    def do_GET(self) -> None:
        self._answer(True)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    _Site.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _links_mail(site: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", "Links"
    msg.set_content(f"Plain: {site}/ok\n")
    html = (f'<p><a href="{site}/ok">fine</a>\n<a href="{site}/missing">gone</a>\n'
            f'<a href="{site}/moved">moved</a> <a href="{site}/away">away</a>\n'
            f'<a href="{site}/get-only">get</a>\n'
            '<a href="https://www.example.com/?token=secret">external</a>\n'
            '<a href="mailto:help@example.com">mail</a> <a href="/relative">rel</a>\n'
            f'<img src="{site}/logo.png" alt="Logo"><img src="cid:logo@x" alt="">'
            '<img src="cid:nothere@x" alt=""></p>')
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(b"\x89PNG\r\n", "image", "png", cid="<logo@x>")
    return msg.as_bytes(policy=SMTP_POLICY)


def test_links_on_loopback_are_requested_and_others_only_listed(site: str) -> None:
    report = check_links(_links_mail(site), base_url=site)
    by_url = {(link.url, link.kind): link for link in report.links}
    ok = by_url[(f"{site}/ok", "link")]
    assert ok.fetched and ok.status == 200 and ok.ok and ok.on_base
    assert ok.parts == ("html", "text") and ok.text == "fine" and ok.line == 1
    gone = by_url[(f"{site}/missing", "link")]
    assert gone.status == 404 and gone.ok is False and gone.line == 2
    assert gone.problems == ["does not answer (404)"]
    assert by_url[(f"{site}/moved", "link")].status == 200
    away = by_url[(f"{site}/away", "link")]
    assert away.status == 302 and away.note == "redirects to tracker.example.com (not fetched)"
    assert by_url[(f"{site}/get-only", "link")].status == 200
    external = by_url[("https://www.example.com/?token=secret", "link")]
    assert not external.fetched and external.ok is None and external.on_base is False
    assert external.note == ("not fetched: www.example.com is neither loopback nor an "
                             "allowed host")
    assert by_url[("mailto:help@example.com", "link")].ok is None
    assert by_url[("/relative", "link")].ok is False
    assert by_url[(f"{site}/logo.png", "image")].ok
    assert by_url[("cid:logo@x", "image")].ok is True
    assert by_url[("cid:nothere@x", "image")].ok is False
    assert not any("tracker" in request or "example.com" in request
                   for request in _Site.requests)
    assert "HEAD /ok" in _Site.requests and "GET /get-only" in _Site.requests
    failing = {link.url for link in report.failures}
    assert failing == {f"{site}/missing", "https://www.example.com/?token=secret",
                       "/relative", "cid:nothere@x"}


def test_an_unreachable_loopback_port_is_reported(site: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = check_links(make_message(body=f"http://127.0.0.1:{port}/x\n"), timeout=2)
    (link,) = report.links
    assert link.fetched and link.ok is False and link.status is None
    assert link.note is not None and "ConnectError" in link.note


@pytest.fixture
def sent(invitation_service: InvitationService, smtp_capture: Capture) -> CapturedMail:
    invitation_service.send_invite(
        smtp_capture.address("links"),
        company=Company("2077474-0", "Testi Oy", contract_number="LC-9"),
        invited_by=Inviter("op@posti.example", "Asiakaspalvelu", role="operator"),
        role="main_user")
    return smtp_capture.wait_for()


def test_the_invitation_token_is_judged_by_the_panels_checker(
    sent: CapturedMail, invitation_service: InvitationService, invitation_keys: list[str],
    tmp_path: Path, clock: object,
) -> None:
    checker = InvitationChecker(invitation_keys, tmp_path / "invitations.sqlite3",
                                clock=clock)  # type: ignore[arg-type]
    link, _token = sent.find_invitation() or ("", "")
    token = next(item.token for item in check_links(sent, checker=checker).links
                 if item.url == link)
    assert token is not None and token.state == "valid" and token.verified
    invitation_service.revoke(sent.invitation.id,
                              by=Inviter("op@posti.example", "Asiakaspalvelu", role="operator"))
    after = next(item for item in check_links(sent, checker=checker).links if item.url == link)
    assert after.token is not None and after.token.state == "revoked"
    assert "token is revoked" in after.problems


def test_without_keys_the_token_is_only_decoded(sent: CapturedMail) -> None:
    link, _token = sent.find_invitation() or ("", "")
    expires = sent.invitation.expires_at
    now = next(item.token for item in check_links(sent, now=expires - timedelta(hours=1)).links
               if item.url == link)
    assert now is not None and now.state == "valid" and not now.verified
    later = next(item.token for item in check_links(sent, now=expires + timedelta(seconds=1))
                 .links if item.url == link)
    assert later is not None and later.state == "expired"


def test_the_links_of_a_parsed_mail_and_of_its_bytes_agree(site: str) -> None:
    raw = _links_mail(site)
    assert check_links(ParsedMail(raw)).links == check_links(raw).links


def test_a_score_never_goes_below_zero() -> None:
    # The worst partial feature (div, used twice) and the worst unsupported one
    # (flex) differ; Mailpit's sum would say -50 %.
    report = html_compatibility('<div>\n<div style="display: flex">Hei</div>\n</div>')
    for score in report.scores:
        assert 0 <= score.supported <= 100 and score.partial + score.unsupported <= 100
