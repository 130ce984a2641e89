"""No page of the inbox executes mail content, and remote content waits for consent.

A hostile mail carries inline and remote scripts, an ``onerror`` handler, a
form, a remote stylesheet and a remote image, all pointing at a counting HTTP
server on 127.0.0.1. The preview must show the mail with no dialog and no
request to that server; "load remote images" may fetch the image and nothing
else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from .inbox_support import HitCounter, Inbox, Shots, Watch, inbox_fixture, plain_mail  # noqa: F401 - the `inbox` fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def counter() -> Iterator[HitCounter]:
    with HitCounter() as server:
        yield server


def hostile_html(base: str) -> str:
    return f"""<!doctype html><html><head>
<script src="{base}/evil.js"></script>
<link rel="stylesheet" href="{base}/style.css">
<style>body {{ background: #fffbe6; }}</style>
</head><body>
<h1 id="title">Vihamielinen viesti</h1>
<script>alert("inline script ran"); fetch("{base}/fetch");</script>
<img src="missing.png" onerror="alert('onerror ran'); new Image().src='{base}/onerror'">
<img src="{base}/pixel.png" alt="seuranta">
<svg onload="alert('svg onload ran')"></svg>
<form action="{base}/form" method="get"><input name="q" value="1">
<button id="send" type="submit">Lähetä</button></form>
<iframe src="{base}/frame.html"></iframe>
<object data="{base}/object.swf"></object>
<p><a id="js-link" href="javascript:alert('link ran')">Skriptilinkki</a></p>
</body></html>"""


def wait_for_hit(page: Page, counter: HitCounter, path: str) -> None:
    for _ in range(50):  # bounded: 5 s
        with counter.lock:
            if counter.hits[path]:
                return
        page.wait_for_timeout(100)
    raise AssertionError(f"{path} was never requested; hits: {dict(counter.hits)}")


def test_hostile_mail_shows_without_running(
    inbox: Inbox, counter: HitCounter, context: BrowserContext, page: Page, screenshots: Path
) -> None:
    shots = Shots(screenshots)
    watch = Watch(context, page)
    # Chromium reports requests it then blocks (CSP, sandbox) as "request"
    # followed by "requestfailed"; only "requestfinished" means bytes moved.
    finished: list[str] = []
    blocked: dict[str, str | None] = {}

    def on_finished(request: Request) -> None:
        finished.append(request.url)

    def on_failed(request: Request) -> None:
        blocked[request.url] = request.failure

    context.on("requestfinished", on_finished)
    context.on("requestfailed", on_failed)
    inbox.send(plain_mail("Vihamielinen viesti", "qa@example.com", html=hostile_html(counter.base)))
    page.goto(inbox.url)
    page.get_by_test_id("row-subject").click()
    mail = page.frame_locator("[data-testid=preview]")
    expect(mail.locator("#title")).to_have_text("Vihamielinen viesti")
    expect(page.get_by_test_id("remote-images-blocked")).to_contain_text("1")
    # A click on the mail's submit button must not submit (no allow-forms), nor
    # may a javascript: link run (the sandbox and the CSP both forbid it).
    mail.locator("#send").click()
    mail.locator("#js-link").click()
    page.wait_for_timeout(500)  # give anything that could run the time to run
    shots(page, "hostile-mail-preview")

    assert watch.dialogs == []
    assert [url for url in finished if url.startswith(counter.base)] == []
    with counter.lock:
        assert dict(counter.hits) == {}
    attempts = {url: why for url, why in blocked.items() if url.startswith(counter.base)}
    assert attempts and set(attempts.values()) == {"csp"}, attempts

    preview = page.get_by_test_id("preview")
    sandbox = (preview.get_attribute("sandbox") or "").split()
    assert "allow-scripts" not in sandbox and "allow-forms" not in sandbox
    preview_url = f"{inbox.url.rstrip('/')}{preview.get_attribute('src')}"
    csp = httpx.get(preview_url, timeout=10).headers["content-security-policy"]
    assert csp.startswith("default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:;")

    # Consent: remote images (and only images) load for this view.
    page.get_by_test_id("load-remote-images").click()
    expect(page.get_by_test_id("remote-images-on")).to_be_visible()
    expect(mail.locator("#title")).to_have_text("Vihamielinen viesti")
    wait_for_hit(page, counter, "/pixel.png")
    page.wait_for_timeout(300)
    shots(page, "remote-images-allowed")
    with counter.lock:
        assert set(counter.hits) == {"/pixel.png"}, dict(counter.hits)
    assert watch.dialogs == []

    # Opened on its own (not in the iframe), the preview still runs nothing:
    # its CSP sandboxes it and forbids every script.
    page.goto(preview_url)
    expect(page.locator("#title")).to_have_text("Vihamielinen viesti")
    page.wait_for_timeout(300)
    assert watch.dialogs == []
    with counter.lock:
        assert set(counter.hits) == {"/pixel.png"}, dict(counter.hits)


def test_inbox_pages_allow_only_their_own_scripts(inbox: Inbox) -> None:
    inbox.send(plain_mail("<script>alert(1)</script>", "qa@example.com",
                          html="<p>hei</p>"))
    listing = httpx.get(f"{inbox.server.api_url}/messages", timeout=10).json()
    message_id = listing["messages"][0]["id"]
    for path in ("", f"messages/{message_id}", "messages/999999"):
        response = httpx.get(inbox.url + path, timeout=10)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        # The subject is shown escaped, never as markup.
        assert "<script>alert(1)</script>" not in response.text
        assert "<script>" not in response.text.split("</title>")[0].split("<title>")[1]
    page = httpx.get(inbox.url + f"messages/{message_id}", timeout=10).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


BROKEN = {
    "unknown-charset@example.com": b"From: a@example.com\r\nSubject: charset\r\n"
    b"Content-Type: text/html; charset=x-nope\r\n\r\n<p>hei \xff</p>\r\n",
    "no-headers@example.com": b"\x00\x01 not a mail at all\r\n\r\n\xff\xfe",
    "bad-words@example.com": b"From: =?utf-8?q?=FF?= <\r\nSubject: =?x-bad?b?zzz?=\r\n"
    b'Content-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\n'
    b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--a--\r\n",
}


def test_broken_mail_is_shown_not_a_server_error(inbox: Inbox, page: Page) -> None:
    for to, data in BROKEN.items():
        inbox.send_raw(data, [to])
    page.goto(inbox.url)
    expect(page.get_by_test_id("inbox-row")).to_have_count(len(BROKEN))
    for to in BROKEN:
        page.goto(inbox.url)
        page.get_by_test_id("inbox-row").filter(has_text=to).get_by_test_id(
            "row-subject").click()
        expect(page.get_by_test_id("message-to")).to_have_text(to)
        page.get_by_test_id("tab-raw").click()
        expect(page.get_by_test_id("raw-source")).not_to_be_empty()
