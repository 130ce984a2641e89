"""Issue 12, item 12: MIME robustness of devsmtp's downloads and views.

An attachment name with CR/LF gave an empty reply on both download routes, a non-Latin-1
name a 500 on ``/api/messages/{id}/parts/{n}``, and MIME nested 2,000 deep a 500 on every
view. Downloads now share one RFC 6266 encoder; a too-deep structure shows the raw
message with a defect note.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from devsmtp import DevSMTP

from .conftest import devsmtp_send


def _with_attachment(name: str) -> bytes:
    """A mail whose attachment name is given as RFC 2231 (``filename*=utf-8''...``)."""
    return (
        "From: a@example.com\r\nTo: qa@example.com\r\nSubject: file\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nHei\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Disposition: attachment; filename*=utf-8''{quote(name)}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nZGF0YQ==\r\n--b--\r\n"
    ).encode()


@pytest.mark.parametrize("name", ["evil\r\nSet-Cookie: x=1.txt", "päivä ✓ 請求書.pdf",
                                  'quote"semi;colon.txt'])
def test_attachment_downloads_have_one_safe_disposition(devsmtp_server: DevSMTP,
                                                        name: str) -> None:
    devsmtp_send(devsmtp_server, _with_attachment(name))
    parts = httpx.get(devsmtp_server.api_url + "/messages/1").json()["parts"]
    index = next(part["index"] for part in parts if part.get("name"))
    for url in (f"{devsmtp_server.api_url}/messages/1/parts/{index}",
                f"{devsmtp_server.http_url}/messages/1/attachments/{index}"):
        answer = httpx.get(url)
        assert answer.status_code == 200, url
        assert answer.content == b"data"
        disposition = answer.headers["content-disposition"]
        assert "\r" not in disposition and "\n" not in disposition
        assert disposition.startswith("attachment; filename=")
        assert "filename*=UTF-8''" in disposition
        assert "set-cookie" not in answer.headers


def _deep(depth: int) -> bytes:
    head = b"From: a@example.com\r\nTo: qa@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    lines = [head]
    for level in range(depth):
        lines.append(f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n'
                     f"--b{level}\r\n".encode())
    lines.append(b"Content-Type: text/plain\r\n\r\nbottom\r\n")
    for level in reversed(range(depth)):
        lines.append(f"--b{level}--\r\n".encode())
    return b"".join(lines)


def test_too_deep_mime_shows_the_raw_message(devsmtp_server: DevSMTP) -> None:
    devsmtp_send(devsmtp_server, _deep(2000))
    detail = httpx.get(devsmtp_server.api_url + "/messages/1", timeout=60)
    assert detail.status_code == 200
    assert "MultipartTooDeep" in detail.json()["defects"]
    for path in ("/api/messages/1/text", "/api/messages/1/raw", "/messages/1"):
        answer = httpx.get(devsmtp_server.http_url + path, timeout=60)
        assert answer.status_code < 500, path
    page = httpx.get(devsmtp_server.http_url + "/messages/1?lang=en", timeout=60)
    assert 'data-testid="message-problem"' in page.text
    listed = httpx.get(devsmtp_server.api_url + "/messages").json()["messages"]
    assert listed[0]["subject"] == "deep"
